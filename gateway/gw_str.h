/* gw_str: the two string chores of every request, without printf: a bounded copy and a
 * decimal integer. snprintf("%s") and snprintf("%lld") cost 300-700 instructions each
 * (format parsing, stdio's string-stream set-up), and the hot path made about a dozen
 * per request. */
#ifndef GW_STR_H
#define GW_STR_H

#include <stddef.h>

/* Copies s (NULL reads as "") into out, cut to outlen - 1 bytes and NUL-terminated, as
 * snprintf(out, outlen, "%s", s) does. Returns the bytes copied. outlen 0 writes nothing. */
size_t gw_str_copy(char *out, size_t outlen, const char *s);

/* Writes v in decimal ("-12") into out, which must hold GW_STR_INT_MAX bytes; returns the
 * length (no NUL written). */
#define GW_STR_INT_MAX 20
size_t gw_str_int(char out[GW_STR_INT_MAX], long long v);

#endif
