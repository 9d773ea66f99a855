/* gw_client_ip: trusted-proxy CIDRs (cmn_cidr) and the X-Forwarded-For walk. */
#include "gw_client_ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_cidr.h"
#include "gw_str.h"

struct gw_client_ip {
    cmn_cidr_t *cidrs;
};

gw_client_ip_t *gw_client_ip_new(const char *cidrs) {
    gw_client_ip_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->cidrs = cmn_cidr_new(cidrs, "gateway.trusted_proxies");
    if (!self->cidrs)
        gw_client_ip_destroy(&self);
    return self;
}

void gw_client_ip_destroy(gw_client_ip_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_cidr_destroy(&(*self_p)->cidrs);
    free(*self_p);
    *self_p = NULL;
}

static bool s_trusted(const gw_client_ip_t *self, const uint8_t addr[16]) {
    return cmn_cidr_has_addr(self->cidrs, addr);
}

bool gw_client_ip_trusted(const gw_client_ip_t *self, const char *ip) {
    return self && cmn_cidr_has(self->cidrs, ip);
}

/* Cuts one X-Forwarded-For entry down to its address: trims blanks, and drops
 * "[...]:port" brackets or an IPv4 ":port" that some proxies add. */
static void s_entry_addr(const char *start, size_t len, char *out, size_t outlen) {
    while (len > 0 && (*start == ' ' || *start == '\t'))
        start++, len--;
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
        len--;
    if (len > 0 && *start == '[') {
        const char *close = memchr(start, ']', len);
        if (close) {
            len = (size_t)(close - start - 1);
            start++;
        }
    } else {
        const char *colon = memchr(start, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - start) - 1) &&
            memchr(start, '.', (size_t)(colon - start)))
            len = (size_t)(colon - start);
    }
    if (len >= outlen)
        len = 0; /* too long to be an address: unparsable */
    memcpy(out, start, len);
    out[len] = '\0';
}

void gw_client_ip_resolve(const gw_client_ip_t *self, const char *peer, const char *xff, char *out,
                          size_t outlen) {
    gw_str_copy(out, outlen, peer);
    if (!self || !xff || !gw_client_ip_trusted(self, peer))
        return;
    /* Walk right to left; every hop passed so far was a trusted proxy. */
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        char entry[GW_IP_MAX];
        uint8_t addr[16];
        bool v4;
        s_entry_addr(xff + start, end - start, entry, sizeof(entry));
        if (!cmn_cidr_parse_addr(entry, addr, &v4))
            return;
        gw_str_copy(out, outlen, entry);
        if (!s_trusted(self, addr))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}

int gw_client_ip_xff_add(gw_xff_t *xff, const char *value) {
    if (xff->overflow)
        return -1;
    size_t used = strlen(xff->list), n = strlen(value), sep = used ? 1 : 0;
    if (used + sep + n >= sizeof(xff->list)) {
        xff->overflow = true;
        return -1;
    }
    if (sep)
        xff->list[used++] = ',';
    memcpy(xff->list + used, value, n + 1);
    return 0;
}

/* Dotted quad of 4 bytes into buf (INET_ADDRSTRLEN): what inet_ntop(AF_INET) writes,
 * without its sprintf, once per request. */
static void s_ipv4(const unsigned char *b, char *buf) {
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        n += gw_str_int(buf + n, b[i]);
        buf[n++] = i < 3 ? '.' : '\0';
    }
}

void gw_client_ip_from_sockaddr(const struct sockaddr *sa, char *out, size_t outlen) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (sa && sa->sa_family == AF_INET) {
        s_ipv4((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, buf);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            s_ipv4(&a6->s6_addr[12], buf);
        else
            inet_ntop(AF_INET6, a6, buf, sizeof(buf));
    }
    gw_str_copy(out, outlen, buf);
}
