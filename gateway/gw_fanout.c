/* gw_fanout: gathering and merging the answers of every shard. */
#include "gw_fanout.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_KEYS 64

struct gw_fanout {
    Dvcid__Request__BodyCase body;
    int waiting;
    cmn_reply_fn *done;
    void *arg;
    Dvcid__Status error; /* the first error; OK when none */
    bool not_ready;
    char **texts; /* metrics */
    size_t ntexts;
    char **instances; /* metrics: who answered (MetricsReply.instances) */
    size_t ninstances;
    Dvcid__Jwk keys[S_MAX_KEYS]; /* JWKS, strings owned */
    size_t nkeys;
};

gw_fanout_t *gw_fanout_start(Dvcid__Request__BodyCase body, int n, cmn_reply_fn *done, void *arg) {
    gw_fanout_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->texts = calloc((size_t)n, sizeof(char *));
    if (!self->texts) {
        free(self);
        return NULL;
    }
    self->body = body;
    self->waiting = n;
    self->done = done;
    self->arg = arg;
    return self;
}

static void s_free(gw_fanout_t *self) {
    for (size_t i = 0; i < self->ntexts; i++)
        free(self->texts[i]);
    free(self->texts);
    for (size_t i = 0; i < self->ninstances; i++)
        free(self->instances[i]);
    free(self->instances);
    for (size_t i = 0; i < self->nkeys; i++) {
        free(self->keys[i].kid);
        free(self->keys[i].x);
    }
    free(self);
}

static void s_add_key(gw_fanout_t *self, const Dvcid__Jwk *k) {
    for (size_t i = 0; i < self->nkeys; i++)
        if (strcmp(self->keys[i].kid, k->kid) == 0)
            return; /* a split copies keys: both halves publish them */
    if (self->nkeys == S_MAX_KEYS)
        return;
    Dvcid__Jwk *out = &self->keys[self->nkeys];
    dvcid__jwk__init(out);
    out->kid = strdup(k->kid);
    out->x = strdup(k->x);
    if (!out->kid || !out->x) {
        free(out->kid);
        free(out->x);
        self->error = DVCID__STATUS__STATUS_INTERNAL;
        return;
    }
    self->nkeys++;
}

/* Appends a copy of text to the list (*v, *n); nothing on out-of-memory. */
static void s_push(char ***v, size_t *n, const char *text) {
    char **t = realloc(*v, (*n + 1) * sizeof(char *));
    if (!t)
        return;
    *v = t;
    if ((t[*n] = strdup(text)) != NULL)
        (*n)++;
}

static void s_take(gw_fanout_t *self, const Dvcid__Reply *reply) {
    bool failed = reply->error && reply->error->status != DVCID__STATUS__STATUS_OK;
    switch (self->body) {
    case DVCID__REQUEST__BODY_PING:
        if (failed || reply->body_case != DVCID__REPLY__BODY_PONG || !reply->pong->ready)
            self->not_ready = true;
        return;
    case DVCID__REQUEST__BODY_METRICS_GET:
        if (!failed && reply->body_case == DVCID__REPLY__BODY_METRICS) {
            for (size_t i = 0; i < reply->metrics->n_texts; i++)
                s_push(&self->texts, &self->ntexts, reply->metrics->texts[i]);
            for (size_t i = 0; i < reply->metrics->n_instances; i++)
                s_push(&self->instances, &self->ninstances, reply->metrics->instances[i]);
        }
        return;
    default:
        break;
    }
    if (failed || reply->body_case != DVCID__REPLY__BODY_JWKS) {
        if (self->error == DVCID__STATUS__STATUS_OK)
            self->error = failed ? reply->error->status : DVCID__STATUS__STATUS_INTERNAL;
        return;
    }
    for (size_t i = 0; i < reply->jwks->n_keys; i++)
        s_add_key(self, reply->jwks->keys[i]);
}

static int s_finish(cmn_ctx_t *ctx, gw_fanout_t *self) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    Dvcid__MetricsReply m = DVCID__METRICS_REPLY__INIT;
    Dvcid__JwksReply j = DVCID__JWKS_REPLY__INIT;
    Dvcid__Jwk *keys[S_MAX_KEYS];
    if (self->body == DVCID__REQUEST__BODY_PING) {
        pong.service = "account-svc";
        pong.ready = !self->not_ready;
        r.body_case = DVCID__REPLY__BODY_PONG;
        r.pong = &pong;
    } else if (self->body == DVCID__REQUEST__BODY_METRICS_GET) {
        m.texts = self->texts;
        m.n_texts = self->ntexts;
        m.instances = self->instances;
        m.n_instances = self->ninstances;
        r.body_case = DVCID__REPLY__BODY_METRICS;
        r.metrics = &m;
    } else if (self->error != DVCID__STATUS__STATUS_OK) {
        e.status = self->error;
        r.error = &e;
    } else {
        for (size_t i = 0; i < self->nkeys; i++)
            keys[i] = &self->keys[i];
        j.keys = keys;
        j.n_keys = self->nkeys;
        r.body_case = DVCID__REPLY__BODY_JWKS;
        r.jwks = &j;
    }
    int rc = self->done(ctx, &r, self->arg);
    s_free(self);
    return rc;
}

int gw_fanout_on_reply(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    gw_fanout_t *self = arg;
    s_take(self, reply);
    if (--self->waiting > 0)
        return 0;
    return s_finish(ctx, self);
}
