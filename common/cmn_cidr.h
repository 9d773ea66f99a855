/* cmn_cidr: a set of IPv4 and IPv6 CIDRs from a config list, and membership of a
 * textual address: the gateway's trusted proxies, the receipt listener's allowed
 * sources, the sources exempt from per-address limits. */
#ifndef CMN_CIDR_H
#define CMN_CIDR_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cmn_cidr cmn_cidr_t;

/* Parses a comma/space separated list of CIDRs ("10.0.0.0/8 ::1"; a bare address
 * is a /32 or /128). what names the config key in the log line of a bad entry.
 * Returns NULL on a bad entry or out of memory. An empty list holds nothing. */
cmn_cidr_t *cmn_cidr_new(const char *list, const char *what);

/* Frees and nullifies *self_p. Tolerates NULL. */
void cmn_cidr_destroy(cmn_cidr_t **self_p);

/* How many CIDRs the set holds. */
int cmn_cidr_count(const cmn_cidr_t *self);

/* Parses one textual address into the 16-byte form (IPv4 as IPv4-mapped IPv6);
 * *v4 tells which family it was. False when text is no address. */
bool cmn_cidr_parse_addr(const char *text, uint8_t out[16], bool *v4);

/* True when the 16-byte address lies in the set. */
bool cmn_cidr_has_addr(const cmn_cidr_t *self, const uint8_t addr[16]);

/* True when the textual address lies in the set (false for NULL or junk). */
bool cmn_cidr_has(const cmn_cidr_t *self, const char *ip);

#endif
