/* gw_client_ip: trusted-proxy CIDRs and the X-Forwarded-For walk. Addresses are
 * compared as 16 bytes, IPv4 as IPv4-mapped IPv6, so one prefix match serves both. */
#include "gw_client_ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "gw_str.h"

typedef struct {
    uint8_t addr[16];
    int prefix; /* bits, 0..128, counted on the 16-byte form */
} s_cidr_t;

struct gw_client_ip {
    s_cidr_t *cidrs;
    size_t n;
};

/* Parses one textual address into the 16-byte form; *v4 tells which family it was. */
static bool s_parse_addr(const char *text, uint8_t out[16], bool *v4) {
    struct in_addr a4;
    if (inet_pton(AF_INET, text, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *v4 = true;
        return true;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        memcpy(out, &a6, 16);
        *v4 = false;
        return true;
    }
    return false;
}

static bool s_parse_cidr(const char *text, s_cidr_t *c) {
    char buf[GW_IP_MAX];
    size_t len = strlen(text);
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, text, len + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || bits < 0)
            return false;
    }
    bool v4;
    if (!s_parse_addr(buf, c->addr, &v4))
        return false;
    long max = v4 ? 32 : 128;
    if (bits < 0)
        bits = max;
    if (bits > max)
        return false;
    c->prefix = (int)(v4 ? bits + 96 : bits);
    return true;
}

static bool s_in_cidr(const s_cidr_t *c, const uint8_t addr[16]) {
    int full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr, addr, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (addr[full] & mask);
}

gw_client_ip_t *gw_client_ip_new(const char *cidrs) {
    gw_client_ip_t *self = calloc(1, sizeof(*self));
    char *copy = strdup(cidrs ? cidrs : "");
    if (!self || !copy)
        goto fail;
    /* Each entry needs at least two characters and a separator: an upper bound. */
    self->cidrs = calloc(strlen(copy) / 2 + 1, sizeof(s_cidr_t));
    if (!self->cidrs)
        goto fail;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (!s_parse_cidr(tok, &self->cidrs[self->n])) {
            char esc[GW_IP_MAX * 4];
            cmn_log_escape(tok, esc, sizeof(esc));
            CMN_ERROR(NULL, "gateway.trusted_proxies: \"%s\" is not an address or CIDR", esc);
            goto fail;
        }
        self->n++;
    }
    free(copy);
    return self;
fail:
    free(copy);
    gw_client_ip_destroy(&self);
    return NULL;
}

void gw_client_ip_destroy(gw_client_ip_t **self_p) {
    if (!self_p || !*self_p)
        return;
    free((*self_p)->cidrs);
    free(*self_p);
    *self_p = NULL;
}

static bool s_trusted(const gw_client_ip_t *self, const uint8_t addr[16]) {
    for (size_t i = 0; i < self->n; i++)
        if (s_in_cidr(&self->cidrs[i], addr))
            return true;
    return false;
}

bool gw_client_ip_trusted(const gw_client_ip_t *self, const char *ip) {
    uint8_t addr[16];
    bool v4;
    return self && ip && s_parse_addr(ip, addr, &v4) && s_trusted(self, addr);
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
        if (!s_parse_addr(entry, addr, &v4))
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
