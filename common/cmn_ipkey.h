/* cmn_ipkey: the key a per-address limit counts a client under. An IPv4 address is
 * its own key; an IPv6 address counts under its /64, because one subscriber line
 * or one cloud VM is handed a whole /64 and can pick any of its 2^64 addresses per
 * request: windows keyed by the full address would never fill. */
#ifndef CMN_IPKEY_H
#define CMN_IPKEY_H

#include <stddef.h>

#define CMN_IPKEY_MAX 48 /* "xxxx:xxxx:xxxx:xxxx::/64" and any IPv4 text fit */

/* Writes the limit key of the textual address ip into out (CMN_IPKEY_MAX bytes at
 * least): "192.0.2.1" as is, "2001:db8:1:2:a:b:c:d" as "2001:db8:1:2::/64". Text
 * that is no address is copied as it is (cut to fit): it still counts somewhere.
 * An IPv4-mapped IPv6 address counts as its IPv4 address. */
void cmn_ipkey(const char *ip, char *out, size_t outlen);

#endif
