/* cmn_cidr: addresses are compared as 16 bytes, IPv4 as IPv4-mapped IPv6, so one
 * prefix match serves both families. */
#include "cmn_cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"

#define S_TEXT_MAX 64 /* room for any textual address and a prefix */

typedef struct {
    uint8_t addr[16];
    int prefix; /* bits, 0..128, counted on the 16-byte form */
} s_cidr_t;

struct cmn_cidr {
    s_cidr_t *cidrs;
    size_t n;
};

/* Parses one textual address into the 16-byte form; *v4 tells which family it was. */
bool cmn_cidr_parse_addr(const char *text, uint8_t out[16], bool *v4) {
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
    char buf[S_TEXT_MAX];
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
    if (!cmn_cidr_parse_addr(buf, c->addr, &v4))
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

cmn_cidr_t *cmn_cidr_new(const char *cidrs, const char *what) {
    cmn_cidr_t *self = calloc(1, sizeof(*self));
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
            char esc[S_TEXT_MAX * 4];
            cmn_log_escape(tok, esc, sizeof(esc));
            CMN_ERROR(NULL, "%s: \"%s\" is not an address or CIDR", what, esc);
            goto fail;
        }
        self->n++;
    }
    free(copy);
    return self;
fail:
    free(copy);
    cmn_cidr_destroy(&self);
    return NULL;
}

void cmn_cidr_destroy(cmn_cidr_t **self_p) {
    if (!self_p || !*self_p)
        return;
    free((*self_p)->cidrs);
    free(*self_p);
    *self_p = NULL;
}

bool cmn_cidr_has_addr(const cmn_cidr_t *self, const uint8_t addr[16]) {
    if (!self)
        return false;
    for (size_t i = 0; i < self->n; i++)
        if (s_in_cidr(&self->cidrs[i], addr))
            return true;
    return false;
}

int cmn_cidr_count(const cmn_cidr_t *self) { return self ? (int)self->n : 0; }

bool cmn_cidr_has(const cmn_cidr_t *self, const char *ip) {
    uint8_t addr[16];
    bool v4;
    return self && ip && cmn_cidr_parse_addr(ip, addr, &v4) && cmn_cidr_has_addr(self, addr);
}
