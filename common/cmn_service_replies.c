/* cmn_service_replies: the reply cache of a service with LMDB.
 *
 * Every reply to a request that carries an origin (a service asking through
 * cmn_service_ask) is stored under be64(origin) . be64(request_id) in the database
 * "cmn_replies" of the service's own environment, in the batch transaction right
 * after the item that replies, so it commits with the handler's effects or not at all. A
 * request seen again (its asker sent it to another instance after the first one
 * dropped, or the same instance after a restart) is answered with the stored reply
 * and its handler does not run: done once, answered however often it is asked.
 *
 * A request whose handler did not answer in its first item (it waits on a peer or
 * the worker pool) gets a pending mark beside that item's effects: they are then
 * committed while its answer is not. A repeat that finds the mark is answered
 * UNAVAILABLE without running the handler: the instance that began it dropped in the
 * middle, and running it again could do its effects twice (a second SMS), so the
 * caller is told to try again instead. Entries (value: be64(expires_ms), then the
 * sealed reply; no reply for a mark) live until S_KEEP_MS past their request's deadline:
 * a request that comes after its deadline is dropped unread (cmn_service.c), so an
 * entry is of no use after it, and the deadline is read on this host's clock both times.
 * A timer sweeps them a slice at a time (cmn_db_sweep): at 10k requests/s the cache
 * holds every reply of the last few seconds, and walking it whole stalled the loop.
 *
 * The reply of an item that wrote nothing and answered early (cmn_call_answer_early: the
 * continuation of a registration start, whose effects committed before its ask left) is
 * not worth a durable commit of its own: at a few starts per second that commit was a
 * third of what account-svc wrote (docs/BENCHMARKS.md "Write amplification"). Such entries
 * wait in memory (cmn_service_later_*) and are written in the next batch that commits
 * anyway, or after S_LATER_MS at the latest; a repeat meanwhile is answered from memory. A
 * crash before then loses them, which is the crash window early answers always had: the
 * repeat finds the pending mark and gets UNAVAILABLE, nothing runs twice, nothing answered
 * is lost (the effects committed before the answer left).
 *
 * Not in the item's nested transaction: a nested write first copies every page it
 * touches (malloc, zeroing, copy, free of 4 KiB each), and every item touches the
 * cache's pages. An answer declared early (cmn_call_answer_early) leaves once its
 * entry is written, before the commit: a repeat after a crash in between finds the
 * pending mark and gets UNAVAILABLE.
 *
 * Nonces: a random 16-byte prefix drawn when the process opens the cache, then a
 * 64-bit counter; processes that share the key (instances on one environment) differ
 * by their prefixes, and a restart draws a new one.
 *
 * A reply is sealed (crypto_secretbox, cmn_seal's layout) with the key in replies.key beside
 * the environment, shared by the instances that share it: replies carry session
 * tokens, captcha answers and access tokens, which are never in clear at rest. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_service_int.h"
#include "cmn_time.h"

_Static_assert(sizeof(((cmn_service_t *)0)->replies_nonce) == crypto_secretbox_NONCEBYTES,
               "a secretbox nonce");

#define S_KEEP_MS 5000         /* kept past the request's deadline */
#define S_NO_DEADLINE_MS 60000 /* for a request without one */
#define S_SWEEP_MS 1000

static void s_key(uint8_t key[16], uint64_t origin, uint64_t rid) {
    for (int i = 0; i < 8; i++) {
        key[i] = (uint8_t)(origin >> (56 - 8 * i));
        key[8 + i] = (uint8_t)(rid >> (56 - 8 * i));
    }
}

static uint64_t s_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int s_expired(const MDB_val *val, uint64_t now, const void *arg) {
    (void)arg;
    return val->mv_size < 8 || s_be64(val->mv_data) <= now;
}

static int s_sweep(cmn_ctx_t *ctx) {
    cmn_service_t *self = ctx->svc;
    if (cmn_db_sweep(ctx->txn, self->replies, cmn_time_now_ms(), s_expired, NULL,
                     &self->replies_sweep) < 0)
        return -1;
    if (self->replies_sweep.behind)
        cmn_service_wake(self, self->replies_timer);
    return 0;
}

int cmn_service_replies_open(cmn_service_t *self) {
    const char *dir = NULL;
    char path[1024];
    if (mdb_env_get_path(cmn_db_env(self->db), &dir) != 0 ||
        (size_t)snprintf(path, sizeof(path), "%s/replies.key", dir) >= sizeof(path) ||
        cmn_key_load(path, self->replies_key) != 0) {
        CMN_ERROR(NULL, "cannot load the reply cache key");
        return -1;
    }
    MDB_txn *txn = NULL;
    int rc = cmn_db_txn_begin(self->db, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "cmn_replies", MDB_CREATE, &self->replies);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot open the reply cache: %s", mdb_strerror(rc));
        return -1;
    }
    randombytes_buf(self->replies_nonce, sizeof(self->replies_nonce));
    self->has_replies = 1;
    /* Request ids grow within each asking process: ordered per 8-byte origin. */
    self->replies_sweep.ordered = 1;
    self->replies_sweep.group_len = 8;
    self->replies_sweep.lap_ms = 2000; /* entries live seconds: keep the table small */
    self->replies_timer = cmn_service_every(self, S_SWEEP_MS, s_sweep);
    return self->replies_timer < 0 ? -1 : 0;
}

int cmn_service_replies_get(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                            uint8_t **data, size_t *len) {
    uint8_t key[16];
    MDB_val v;
    s_key(key, origin, rid);
    int rc = cmn_db_get(txn, self->replies, key, sizeof(key), &v);
    if (rc != CMN_DB_OK)
        return rc == CMN_DB_NOTFOUND ? 0 : -1;
    if (v.mv_size < 8 || s_be64(v.mv_data) <= cmn_time_now_ms())
        return 0;
    if (v.mv_size == 8)
        return 2; /* a pending mark */
    if (cmn_unseal(self->replies_key, (const uint8_t *)v.mv_data + 8, v.mv_size - 8, data, len) !=
        0) {
        CMN_WARN(NULL, "reply cache: an entry does not open with this key; asked again as new");
        return 0;
    }
    return 1;
}

int cmn_service_replies_pending(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                                uint64_t deadline_ms) {
    return cmn_service_replies_put(self, txn, origin, rid, deadline_ms, NULL, 0);
}

int cmn_service_replies_put(cmn_service_t *self, MDB_txn *txn, uint64_t origin, uint64_t rid,
                            uint64_t deadline_ms, const uint8_t *data, size_t len) {
    /* Sealed straight into LMDB's space (cmn_seal's layout: nonce, then the box), with
     * no buffer of its own to fill, copy and free. */
    uint8_t key[16];
    size_t boxlen = len ? crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len : 0;
    s_key(key, origin, rid);
    MDB_val k = {sizeof(key), key}, v = {boxlen + 8, NULL};
    int rc = cmn_db_note(cmn_db_wrote(mdb_put(txn, self->replies, &k, &v, MDB_RESERVE)));
    if (rc != 0) {
        CMN_WARN(NULL, "reply cache: %s", mdb_strerror(rc));
        return -1;
    }
    self->turn_cache_wrote = 1;
    uint64_t now = cmn_time_now_ms();
    uint64_t exp =
        deadline_ms ? (deadline_ms > now ? deadline_ms : now) + S_KEEP_MS : now + S_NO_DEADLINE_MS;
    uint8_t *p = v.mv_data;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(exp >> (56 - 8 * i));
    if (boxlen) {
        /* Unique without a random draw per reply (with libsodium's internal generator,
         * a getpid() call each): 16 random bytes of this process, then a counter. */
        uint8_t *nonce = p + 8;
        sodium_increment(self->replies_nonce + 16, 8);
        memcpy(nonce, self->replies_nonce, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, data, len, nonce,
                              self->replies_key);
    }
    return 0;
}

/* --- entries that wait for a commit (cmn_service_int.h) ------------------------- */

#define S_LATER_MS 1000  /* written by then at the latest */
#define S_LATER_MAX 4096 /* ... or when this many wait */

/* Keeps the cache entry of o, an early reply of an item that wrote nothing, for a later
 * commit (o->data itself leaves now). Returns 0, or -1 when out of memory (write it now). */
int cmn_service_later_add(cmn_service_t *self, const s_out_t *o) {
    if (self->nlater == self->caplater) {
        size_t cap = self->caplater ? self->caplater * 2 : 64;
        s_later_t *n = realloc(self->later, cap * sizeof(*n));
        if (!n)
            return -1;
        self->later = n;
        self->caplater = cap;
    }
    uint8_t *copy = malloc(o->len ? o->len : 1);
    if (!copy)
        return -1;
    memcpy(copy, o->data, o->len);
    if (self->nlater == 0)
        self->later_since_mono = cmn_time_mono_ms();
    s_later_t *l = &self->later[self->nlater++];
    l->origin = o->cache_origin;
    l->request_id = o->request_id;
    l->deadline_ms = o->cache_deadline;
    l->data = copy;
    l->len = o->len;
    return 0;
}

void cmn_service_later_clear(cmn_service_t *self) {
    for (size_t i = 0; i < self->nlater; i++) {
        cmn_wipe(self->later[i].data, self->later[i].len); /* replies carry tokens */
        free(self->later[i].data);
    }
    self->nlater = 0;
}

/* The waiting entry of (origin, rid): a copy of its reply in *data (caller frees).
 * Returns 1, or 0 when none waits (or out of memory: the store is asked then). */
int cmn_service_later_find(const cmn_service_t *self, uint64_t origin, uint64_t rid, uint8_t **data,
                           size_t *len) {
    for (size_t i = self->nlater; i-- > 0;) {
        const s_later_t *l = &self->later[i];
        if (l->origin == origin && l->request_id == rid) {
            *data = malloc(l->len ? l->len : 1);
            if (!*data)
                return 0;
            memcpy(*data, l->data, l->len);
            *len = l->len;
            return 1;
        }
    }
    return 0;
}

/* Before the batch commits: writes the waiting entries when the batch writes anyway, when
 * the oldest has waited S_LATER_MS or too many wait, or with force (at a stop). Straight
 * into the batch transaction, not a nested one (LMDB mallocs a 3 MiB dirty list for
 * each): an entry that cannot be written fails the batch, whose answers none has left
 * (the store is full, so its items would most likely fail anyway), and the entries are
 * lost, as in a crash: repeats get UNAVAILABLE from the pending marks. */
int cmn_service_later_write(cmn_service_t *self, int force) {
    if (!self->nlater || !self->txn)
        return 0;
    int dirty = cmn_db_writes() != self->turn_writes || self->turn_cache_wrote;
    if (!force && !dirty && self->nlater < S_LATER_MAX &&
        cmn_time_mono_ms() - self->later_since_mono < S_LATER_MS)
        return 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < self->nlater; i++) {
        const s_later_t *l = &self->later[i];
        rc = cmn_service_replies_put(self, self->txn, l->origin, l->request_id, l->deadline_ms,
                                     l->data, l->len);
    }
    if (rc != 0)
        CMN_WARN(NULL,
                 "reply cache: %zu answers already sent not remembered (a repeat gets "
                 "UNAVAILABLE)",
                 self->nlater);
    cmn_service_later_clear(self);
    return rc == 0 ? 0 : -1;
}
