/* gw_client_ip: who the client is. The socket peer, unless that peer is one of
 * gateway.trusted_proxies: then the right-most address of X-Forwarded-For that is
 * not itself a trusted proxy (the left part of that header is whatever the client
 * chose to send, so it is never believed). IPv4 and IPv6 CIDRs. */
#ifndef GW_CLIENT_IP_H
#define GW_CLIENT_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define GW_IP_MAX 64    /* room for any textual address (INET6_ADDRSTRLEN is 46) */
#define GW_XFF_MAX 1024 /* the joined X-Forwarded-For headers a request may carry */

/* Every X-Forwarded-For header of one request, comma joined in arrival order. A
 * list that does not fit is marked overflowed rather than cut: the hops a trusted
 * proxy appends are at its right end, so a cut list would leave the client's own
 * left-hand entries to be believed. */
typedef struct {
    char list[GW_XFF_MAX];
    bool overflow;
} gw_xff_t;

typedef struct gw_client_ip gw_client_ip_t;

/* Parses a comma/space separated list of CIDRs ("10.0.0.0/8 ::1"; a bare address
 * is a /32 or /128). Returns NULL on a bad entry (logged) or out of memory. An
 * empty list trusts nobody. */
gw_client_ip_t *gw_client_ip_new(const char *cidrs);

/* Frees and nullifies *self_p. Tolerates NULL. */
void gw_client_ip_destroy(gw_client_ip_t **self_p);

/* True when ip (textual) lies in a trusted CIDR. */
bool gw_client_ip_trusted(const gw_client_ip_t *self, const char *ip);

/* Writes the client address into out (GW_IP_MAX bytes at least): peer, or the
 * right-most untrusted X-Forwarded-For entry when peer is trusted. xff may be NULL.
 * An unparsable entry ends the walk: the hop to its right is the answer. */
void gw_client_ip_resolve(const gw_client_ip_t *self, const char *peer, const char *xff, char *out,
                          size_t outlen);

/* Appends one X-Forwarded-For header value to xff. Returns 0, or -1 when the joined
 * list does not fit (xff->overflow is then set and stays set). */
int gw_client_ip_xff_add(gw_xff_t *xff, const char *value);

/* The textual form of a socket address; IPv4-mapped IPv6 is shown as IPv4.
 * Writes "" for anything that is not AF_INET/AF_INET6. */
void gw_client_ip_from_sockaddr(const struct sockaddr *sa, char *out, size_t outlen);

#endif
