/* cmn_outbox: entries keyed by string in their own database; the keys in flight in a
 * hash in memory, each ask's continuation carrying a copy of its key. A peer that
 * refuses (its store is full, say) gets one entry a while, the probe, instead of every
 * entry every retry: on a slow machine re-asking a thousand entries a second of a peer
 * that cannot store any took both processes down with it (test_storage_full). An
 * acknowledged entry is deleted in the outbox's next write (a put or the retry timer's
 * turn), not in a commit of its own: the batch that only reads answers then writes
 * nothing, and LMDB commits it without a sync. Lost in a crash, such a delete costs one
 * repeat, which the peer drops by the message's id. */
#include "cmn_outbox.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_time.h"

/* The first wait after a refusal, doubled at each refused probe up to the cap. */
#define S_BACKOFF_MS 1000u
#define S_BACKOFF_CAP_MS 8000u

struct cmn_outbox {
    cmn_outbox_opts_t o;
    zhashx_t *in_flight; /* key -> (void *)1 */
    uint64_t backoff_ms; /* 0: the peer takes entries; else the wait between probes */
    uint64_t probe_at;   /* no probe before this time (ms) */
    zlistx_t *acked;     /* keys acknowledged, deleted at the next write */
    int in_retry;        /* cmn_outbox_retry is sending */
    int probe_left;      /* probes the running retry may still send */
};

/* One ask in flight: what its continuation needs. */
typedef struct {
    cmn_outbox_t *outbox;
    uint64_t at_ms;
    int probe; /* sent while the peer refused */
    char key[CMN_OUTBOX_KEY_MAX];
} s_ack_t;

cmn_outbox_t *cmn_outbox_new(const cmn_outbox_opts_t *opts) {
    cmn_outbox_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->o = *opts;
    self->in_flight = zhashx_new();
    self->acked = zlistx_new();
    if (!self->in_flight || !self->acked) {
        zhashx_destroy(&self->in_flight);
        zlistx_destroy(&self->acked);
        free(self);
        return NULL;
    }
    zlistx_set_destructor(self->acked, (zlistx_destructor_fn *)zstr_free);
    return self;
}

void cmn_outbox_destroy(cmn_outbox_t **self_p) {
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->in_flight);
    zlistx_destroy(&(*self_p)->acked);
    free(*self_p);
    *self_p = NULL;
}

size_t cmn_outbox_in_flight(const cmn_outbox_t *self) { return zhashx_size(self->in_flight); }

int cmn_outbox_peer(const cmn_outbox_t *self) { return self->o.peer; }

void *cmn_outbox_arg(const cmn_outbox_t *self) { return self->o.arg; }

/* cmn_outbox_put's answer for a cmn_db code. */
static int s_put_rc(int rc) { return rc == CMN_DB_OK ? 0 : rc == CMN_DB_EXISTS ? 1 : -1; }

/* Deletes the acknowledged entries in txn. If txn is undone later, they were not
 * deleted and are asked again (acknowledged again, then deleted). 0 or -1. */
static int s_acked_flush(cmn_outbox_t *self, MDB_txn *txn) {
    int rc = 0;
    for (char *k = zlistx_first(self->acked); k && rc == 0; k = zlistx_next(self->acked))
        if (cmn_db_del(txn, self->o.dbi, k, strlen(k)) == CMN_DB_ERROR)
            rc = -1;
    zlistx_purge(self->acked);
    return rc;
}

int cmn_outbox_put(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *key, const void *val,
                   size_t vlen, int noover) {
    size_t klen = strlen(key);
    if (klen == 0 || klen >= CMN_OUTBOX_KEY_MAX || s_acked_flush(self, ctx->txn) != 0)
        return -1;
    return s_put_rc(cmn_db_put(ctx->txn, self->o.dbi, key, klen, val, vlen, noover));
}

int cmn_outbox_put_msg(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *key, const void *msg,
                       int noover) {
    size_t klen = strlen(key);
    if (klen == 0 || klen >= CMN_OUTBOX_KEY_MAX || s_acked_flush(self, ctx->txn) != 0)
        return -1;
    return s_put_rc(cmn_db_put_msg(ctx->txn, self->o.dbi, key, klen, msg, noover));
}

/* A peer that cannot store now answers UNAVAILABLE (a full map, a rolled-back batch)
 * or INTERNAL; a deadline that passed says nothing about it. */
static bool s_refusal(const Dvcid__Reply *reply) {
    return reply->error && (reply->error->status == DVCID__STATUS__STATUS_UNAVAILABLE ||
                            reply->error->status == DVCID__STATUS__STATUS_INTERNAL);
}

/* Records what the answer to a says of the peer: an acknowledgement ends the backoff; a
 * refusal starts it, or doubles it when the refused ask was a probe (the refusals of
 * asks sent before the first one say nothing new). */
static void s_backoff_note(cmn_outbox_t *self, const s_ack_t *a, const Dvcid__Reply *reply,
                           int done) {
    if (done == CMN_OUTBOX_DONE && !reply->error) {
        if (self->backoff_ms)
            CMN_INFO(NULL, "%s: %s takes entries again", self->o.name, self->o.peer_name);
        self->backoff_ms = 0;
        return;
    }
    if (done == CMN_OUTBOX_DONE || !s_refusal(reply) || (self->backoff_ms && !a->probe))
        return;
    if (!self->backoff_ms) {
        self->backoff_ms = S_BACKOFF_MS;
        CMN_WARN(NULL, "%s: %s refuses (status %d): one entry at a time until it takes one",
                 self->o.name, self->o.peer_name, (int)reply->error->status);
    } else if (self->backoff_ms < S_BACKOFF_CAP_MS) {
        self->backoff_ms *= 2;
    }
    self->probe_at = cmn_time_mono_ms() + self->backoff_ms;
}

/* The peer answered (or the deadline passed, or the ask was undone with its item): an
 * acknowledgement deletes the entry, anything else leaves it for the next retry. */
static int s_on_answer(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_ack_t *a = arg;
    cmn_outbox_t *self = a->outbox;
    zhashx_delete(self->in_flight, a->key);
    int done;
    if (reply->error && reply->error->status == DVCID__STATUS__STATUS_INVALID_REQUEST) {
        /* The peer will never take this entry: retrying would loop forever. */
        CMN_ERROR(NULL, "%s %s refused by %s as malformed: dropped", self->o.name, a->key,
                  self->o.peer_name);
        done = CMN_OUTBOX_DONE;
    } else if (self->o.acked) {
        done = self->o.acked(self, ctx, reply, a->key, a->at_ms, self->o.arg);
    } else {
        done = reply->error ? CMN_OUTBOX_KEEP : CMN_OUTBOX_DONE;
    }
    s_backoff_note(self, a, reply, done);
    int rc = 0;
    if (done == CMN_OUTBOX_DONE) {
        char *k = strdup(a->key);
        /* Without memory, deleted now, in a commit of its own. */
        if (!k || !zlistx_add_end(self->acked, k)) {
            free(k);
            rc = cmn_db_del(ctx->txn, self->o.dbi, a->key, strlen(a->key)) == CMN_DB_ERROR ? -1 : 0;
        }
    } else
        CMN_DEBUG(NULL, "%s %s not acknowledged (status %d): will retry", self->o.name, a->key,
                  reply->error ? (int)reply->error->status : -1);
    free(a);
    return rc;
}

void cmn_outbox_send(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                     Dvcid__Request *req, uint64_t at_ms) {
    /* While the peer refuses, an entry waits on disk for the retry that finds the peer
     * taking them again; only that retry's probe goes. */
    if (self->backoff_ms && (!self->in_retry || self->probe_left == 0))
        return;
    s_ack_t *a = calloc(1, sizeof(*a));
    if (!a || strlen(key) >= sizeof(a->key)) {
        CMN_ERROR(trace, "%s %s: out of memory; left for the next try", self->o.name, key);
        free(a);
        return;
    }
    a->outbox = self;
    a->at_ms = at_ms;
    if (self->backoff_ms) {
        a->probe = 1;
        self->probe_left--;
        self->probe_at = cmn_time_mono_ms() + self->backoff_ms; /* one probe per wait */
    }
    snprintf(a->key, sizeof(a->key), "%s", key);
    zhashx_insert(self->in_flight, a->key, (void *)1);
    cmn_service_ask(ctx, self->o.peer, req, trace, cmn_time_now_ms() + self->o.ack_ms, s_on_answer,
                    a);
}

void cmn_outbox_send_packed(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                            Dvcid__Request__BodyCase body, const uint8_t *packed, size_t len,
                            uint64_t at_ms) {
    /* protobuf-c packs a message's unknown fields as they are (the bytes after the tag),
     * after its known ones: the length as a varint and then the packed body, under the
     * tag of the oneof case (protobuf-c numbers the cases by their fields), are on the
     * wire exactly the body set as a message, and the peer reads them as one. */
    uint8_t *wire = malloc(len + 10);
    if (!wire) {
        CMN_ERROR(trace, "%s %s: out of memory; left for the next try", self->o.name, key);
        return;
    }
    size_t n = 0;
    uint64_t v = len;
    for (; v >= 0x80; v >>= 7)
        wire[n++] = (uint8_t)(v | 0x80);
    wire[n++] = (uint8_t)v;
    memcpy(wire + n, packed, len);
    ProtobufCMessageUnknownField f = {.tag = (uint32_t)body,
                                      .wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
                                      .len = n + len,
                                      .data = wire};
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.base.n_unknown_fields = 1;
    req.base.unknown_fields = &f;
    cmn_outbox_send(self, ctx, trace, key, &req, at_ms);
    cmn_wipe(wire, n + len); /* a body may hold a secret (an OTP code) */
    free(wire);
}

typedef struct {
    cmn_outbox_t *self;
    cmn_ctx_t *ctx;
    uint64_t now;
    int n;
} s_retry_t;

/* Sends one waiting entry again unless it is in flight; retry_max a turn at the most. */
static int s_retry_one(const MDB_val *k, const MDB_val *v, void *arg) {
    s_retry_t *r = arg;
    if (r->n++ == r->self->o.retry_max || (r->self->backoff_ms && r->self->probe_left == 0))
        return CMN_DB_EACH_STOP;
    char key[CMN_OUTBOX_KEY_MAX];
    if (k->mv_size == 0 || k->mv_size >= sizeof(key))
        return CMN_DB_EACH_NEXT; /* no key an outbox writes */
    memcpy(key, k->mv_data, k->mv_size);
    key[k->mv_size] = '\0';
    if (zhashx_lookup(r->self->in_flight, key))
        return CMN_DB_EACH_NEXT;
    return r->self->o.again(r->self, r->ctx, key, v, r->now, r->self->o.arg) == 0 ? CMN_DB_EACH_NEXT
                                                                                  : -1;
}

int cmn_outbox_retry(cmn_outbox_t *self, cmn_ctx_t *ctx) {
    if (s_acked_flush(self, ctx->txn) != 0)
        return -1;
    if (self->backoff_ms && cmn_time_mono_ms() < self->probe_at)
        return 0;
    s_retry_t r = {self, ctx, cmn_time_now_ms(), 0};
    self->in_retry = 1;
    self->probe_left = 1;
    int rc = cmn_db_each(ctx->txn, self->o.dbi, NULL, 0, s_retry_one, &r) < 0 ? -1 : 0;
    self->in_retry = 0;
    return rc;
}

int cmn_outbox_refused(const cmn_outbox_t *self) { return self->backoff_ms != 0; }
