/* sms_route: route parsing, longest-prefix match and the pick among a route's gates
 * (see sms_route.h). No I/O, no clock: every function takes now. */
#include "sms_route.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies the trimmed [b, e) into out (size outlen). Returns its length, or -1. */
static int s_trim(const char *b, const char *e, char *out, size_t outlen) {
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - b) >= outlen)
        return -1;
    memcpy(out, b, (size_t)(e - b));
    out[e - b] = '\0';
    return (int)(e - b);
}

static int s_prefix_ok(const char *p) {
    if (strcmp(p, "*") == 0)
        return 1;
    if (p[0] != '+' || !p[1])
        return 0;
    for (p++; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

/* Parses "name[*weight],..." into r. Returns 0 or -1 with err. */
static int s_ways(const char *b, const char *e, const char *const *names, int nnames,
                  sms_route_t *r, char *err, size_t errlen) {
    r->n = 0;
    while (b < e) {
        const char *comma = memchr(b, ',', (size_t)(e - b));
        const char *end = comma ? comma : e;
        char way[64], *star;
        if (s_trim(b, end, way, sizeof(way)) <= 0) {
            snprintf(err, errlen, "route %s: empty provider", r->prefix);
            return -1;
        }
        int weight = 1;
        if ((star = strchr(way, '*'))) {
            char *stop = NULL;
            long w = strtol(star + 1, &stop, 10);
            if (stop == star + 1 || *stop || w < 0 || w > SMS_WEIGHT_MAX) {
                snprintf(err, errlen, "route %s: weight of %s is not 0..%d", r->prefix, way,
                         SMS_WEIGHT_MAX);
                return -1;
            }
            weight = (int)w;
            *star = '\0';
        }
        int found = -1;
        for (int i = 0; i < nnames; i++)
            if (strcmp(names[i], way) == 0)
                found = i;
        if (found < 0) {
            snprintf(err, errlen, "route %s: unknown provider \"%s\"", r->prefix, way);
            return -1;
        }
        for (int i = 0; i < r->n; i++) {
            if (r->prov[i] == found) {
                snprintf(err, errlen, "route %s: provider %s twice", r->prefix, way);
                return -1;
            }
        }
        if (r->n == SMS_ROUTE_WAYS) {
            snprintf(err, errlen, "route %s: more than %d providers", r->prefix, SMS_ROUTE_WAYS);
            return -1;
        }
        r->prov[r->n] = found;
        r->weight[r->n++] = weight;
        b = comma ? comma + 1 : e;
    }
    if (r->n == 0) {
        snprintf(err, errlen, "route %s: no provider", r->prefix);
        return -1;
    }
    return 0;
}

int sms_route_parse(const char *spec, const char *const *names, int nnames, sms_route_t *routes,
                    int max, char *err, size_t errlen) {
    int n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        const char *semi = strchr(p, ';');
        const char *end = semi ? semi : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char blank[4];
        if (!eq) {
            if (s_trim(p, end, blank, sizeof(blank)) != 0) {
                snprintf(err, errlen, "route \"%.*s\": expected PREFIX=PROVIDER,...",
                         (int)(end - p), p);
                return -1;
            }
            p = semi ? semi + 1 : end;
            continue;
        }
        /* Several prefixes before '=' share the providers after it. */
        int first = n;
        for (const char *b = p; b < eq;) {
            const char *comma = memchr(b, ',', (size_t)(eq - b));
            const char *pe = comma ? comma : eq;
            if (n == max) {
                snprintf(err, errlen, "more than %d routes", max);
                return -1;
            }
            sms_route_t *r = &routes[n];
            memset(r, 0, sizeof(*r));
            if (s_trim(b, pe, r->prefix, sizeof(r->prefix)) <= 0 || !s_prefix_ok(r->prefix)) {
                snprintf(err, errlen, "route prefix \"%.*s\": expected * or + and digits",
                         (int)(pe - b), b);
                return -1;
            }
            for (int i = 0; i < n; i++) {
                if (strcmp(routes[i].prefix, r->prefix) == 0) {
                    snprintf(err, errlen, "route %s given twice", r->prefix);
                    return -1;
                }
            }
            if (n == first) {
                if (s_ways(eq + 1, end, names, nnames, r, err, errlen) != 0)
                    return -1;
            } else {
                char prefix[SMS_PREFIX_MAX + 1];
                memcpy(prefix, r->prefix, sizeof(prefix));
                *r = routes[first];
                memcpy(r->prefix, prefix, sizeof(prefix));
            }
            n++;
            b = comma ? comma + 1 : eq;
        }
        p = semi ? semi + 1 : end;
    }
    if (n == 0) {
        if (nnames < 1 || max < 1) {
            snprintf(err, errlen, "no provider to route to");
            return -1;
        }
        memset(&routes[0], 0, sizeof(routes[0]));
        snprintf(routes[0].prefix, sizeof(routes[0].prefix), "*");
        routes[0].n = 1;
        routes[0].prov[0] = 0;
        routes[0].weight[0] = 1;
        n = 1;
    }
    return n;
}

const sms_route_t *sms_route_match(const sms_route_t *routes, int n, const char *phone) {
    const sms_route_t *best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < n; i++) {
        const char *p = routes[i].prefix;
        size_t len = strcmp(p, "*") == 0 ? 0 : strlen(p);
        if ((len == 0 || strncmp(phone, p, len) == 0) && (!best || len > best_len)) {
            best = &routes[i];
            best_len = len;
        }
    }
    return best;
}

int sms_route_pick(const sms_route_t *route, sms_gate_t *gates, uint64_t now, uint32_t rnd) {
    int total = 0, up = 0, standby = -1;
    bool ready[SMS_ROUTE_WAYS] = {false};
    for (int i = 0; i < route->n; i++) {
        sms_gate_t *g = &gates[route->prov[i]];
        up += sms_gate_up(g, now);
        ready[i] = sms_gate_ready(g, now);
        if (ready[i])
            total += route->weight[i];
        if (ready[i] && route->weight[i] == 0 && standby < 0)
            standby = i;
    }
    if (total == 0 && standby >= 0) { /* only stand-by providers can take it */
        sms_gate_take(&gates[route->prov[standby]], now);
        return route->prov[standby];
    }
    if (total == 0)
        return up ? SMS_PICK_CAPPED : SMS_PICK_BROKEN;
    int r = (int)(rnd % (uint32_t)total);
    for (int i = 0; i < route->n; i++) {
        if (!ready[i] || route->weight[i] == 0)
            continue;
        if (r < route->weight[i]) {
            sms_gate_take(&gates[route->prov[i]], now);
            return route->prov[i];
        }
        r -= route->weight[i];
    }
    return SMS_PICK_BROKEN; /* not reached: r < total */
}
