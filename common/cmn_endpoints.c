/* cmn_endpoints: a small hand parser over one config value (no allocation per token). */
#include "cmn_endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char endpoint[CMN_EP_LEN];
    char key[CMN_EP_KEY_LEN];
} s_ep_t;

struct cmn_endpoints {
    char name[64];
    int nshards;
    int ninstances[CMN_EP_MAX_SHARDS];
    s_ep_t *eps[CMN_EP_MAX_SHARDS]; /* ninstances[s] entries each */
};

void cmn_endpoints_destroy(cmn_endpoints_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_endpoints_t *self = *self_p;
    for (int s = 0; s < self->nshards; s++)
        free(self->eps[s]);
    free(self);
    *self_p = NULL;
}

static int s_is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* A "@KEY" is 40 Z85 characters or a cert name of [A-Za-z0-9._-]. */
static int s_key_ok(const char *k) {
    size_t n = strlen(k);
    if (n == 0)
        return 0;
    if (n == 40) {
        static const char z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  ".-:+=^!/*?&<>()[]{}@%$#";
        if (strspn(k, z85) == n)
            return 1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return k[0] != '.';
}

/* Checks and stores one token "transport://address[@KEY]". */
static int s_token(cmn_endpoints_t *self, s_ep_t *ep, const char *tok, size_t len, int shard,
                   char *err, size_t errlen) {
    if (len >= CMN_EP_LEN + CMN_EP_KEY_LEN) {
        snprintf(err, errlen, "%s: endpoint in shard %d is longer than %d bytes", self->name, shard,
                 CMN_EP_LEN - 1);
        return -1;
    }
    char buf[CMN_EP_LEN + CMN_EP_KEY_LEN];
    memcpy(buf, tok, len);
    buf[len] = '\0';
    static const char *const transports[] = {"tcp://", "ipc://", "inproc://"};
    size_t t = 0, nt = sizeof(transports) / sizeof(transports[0]);
    while (t < nt && strncmp(buf, transports[t], strlen(transports[t])) != 0)
        t++;
    if (t == nt) {
        snprintf(err, errlen,
                 "%s: \"%.80s\" is not an endpoint (expected tcp://, ipc:// or inproc://)",
                 self->name, buf);
        return -1;
    }
    if (strstr(buf + strlen(transports[t]), "://")) {
        snprintf(err, errlen, "%s: \"%.80s\" holds two endpoints (a ',' missing between them?)",
                 self->name, buf);
        return -1;
    }
    /* The first '@' after the transport: a Z85 key may itself hold '@'. */
    char *at = strchr(buf + strlen(transports[t]), '@');
    ep->key[0] = '\0';
    if (at) {
        *at = '\0';
        if (strlen(at + 1) >= CMN_EP_KEY_LEN || !s_key_ok(at + 1)) {
            snprintf(err, errlen,
                     "%s: \"@%.70s\" after %.80s is not a server key (40 Z85 characters or a "
                     "cert name)",
                     self->name, at + 1, buf);
            return -1;
        }
        memcpy(ep->key, at + 1, strlen(at + 1) + 1);
    }
    size_t elen = strlen(buf);
    if (elen >= CMN_EP_LEN) {
        snprintf(err, errlen, "%s: endpoint in shard %d is longer than %d bytes", self->name, shard,
                 CMN_EP_LEN - 1);
        return -1;
    }
    if (elen == strlen(transports[t])) {
        snprintf(err, errlen, "%s: \"%s\" has no address", self->name, buf);
        return -1;
    }
    memcpy(ep->endpoint, buf, elen + 1);
    return 0;
}

/* Parses one shard's text [p, end) into self->eps[shard]. */
static int s_shard(cmn_endpoints_t *self, const char *p, const char *end, int shard, char *err,
                   size_t errlen) {
    s_ep_t tmp[CMN_EP_MAX_INSTANCES];
    int n = 0;
    while (p < end) {
        while (p < end && s_is_sep(*p))
            p++;
        if (p == end)
            break;
        const char *q = p;
        while (q < end && !s_is_sep(*q))
            q++;
        if (n == CMN_EP_MAX_INSTANCES) {
            snprintf(err, errlen, "%s: shard %d has more than %d instances", self->name, shard,
                     CMN_EP_MAX_INSTANCES);
            return -1;
        }
        if (s_token(self, &tmp[n], p, (size_t)(q - p), shard, err, errlen) != 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(tmp[i].endpoint, tmp[n].endpoint) == 0) {
                snprintf(err, errlen, "%s: %s is listed twice in shard %d", self->name,
                         tmp[n].endpoint, shard);
                return -1;
            }
        }
        n++;
        p = q;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: shard %d has no endpoint", self->name, shard);
        return -1;
    }
    self->eps[shard] = malloc((size_t)n * sizeof(s_ep_t));
    if (!self->eps[shard]) {
        snprintf(err, errlen, "%s: out of memory", self->name);
        return -1;
    }
    memcpy(self->eps[shard], tmp, (size_t)n * sizeof(s_ep_t));
    self->ninstances[shard] = n;
    return 0;
}

cmn_endpoints_t *cmn_endpoints_new(const char *key, const char *value, char *err, size_t errlen) {
    cmn_endpoints_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "%s: out of memory", key);
        return NULL;
    }
    snprintf(self->name, sizeof(self->name), "%s", key ? key : "endpoint");
    const char *p = value ? value : "";
    for (;;) {
        const char *bar = strchr(p, '|');
        const char *end = bar ? bar : p + strlen(p);
        if (self->nshards == CMN_EP_MAX_SHARDS) {
            snprintf(err, errlen, "%s: more than %d shards", self->name, CMN_EP_MAX_SHARDS);
            cmn_endpoints_destroy(&self);
            return NULL;
        }
        if (s_shard(self, p, end, self->nshards, err, errlen) != 0) {
            cmn_endpoints_destroy(&self);
            return NULL;
        }
        self->nshards++;
        if (!bar)
            break;
        p = bar + 1;
    }
    return self;
}

const char *cmn_endpoints_name(const cmn_endpoints_t *self) { return self->name; }

int cmn_endpoints_shards(const cmn_endpoints_t *self) { return self->nshards; }

int cmn_endpoints_instances(const cmn_endpoints_t *self, int shard) {
    return shard >= 0 && shard < self->nshards ? self->ninstances[shard] : 0;
}

static const s_ep_t *s_at(const cmn_endpoints_t *self, int shard, int instance) {
    if (shard < 0 || shard >= self->nshards || instance < 0 || instance >= self->ninstances[shard])
        return NULL;
    return &self->eps[shard][instance];
}

const char *cmn_endpoints_get(const cmn_endpoints_t *self, int shard, int instance) {
    const s_ep_t *e = s_at(self, shard, instance);
    return e ? e->endpoint : NULL;
}

const char *cmn_endpoints_server_key(const cmn_endpoints_t *self, int shard, int instance) {
    const s_ep_t *e = s_at(self, shard, instance);
    return e ? e->key : NULL;
}

int cmn_endpoints_count(const cmn_endpoints_t *self) {
    int n = 0;
    for (int s = 0; s < self->nshards; s++)
        n += self->ninstances[s];
    return n;
}

int cmn_endpoints_is_local(const char *endpoint) {
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return 1;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return 0;
    const char *host = endpoint + 6;
    /* A connect may name its source ("tcp://src;dst"): the destination decides. */
    const char *semi = strchr(host, ';');
    if (semi)
        host = semi + 1;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]:", 6) == 0 ||
           strncmp(host, "localhost:", 10) == 0;
}
