/* cmn_service_batch: the transaction of one turn. A turn opens one batch transaction,
 * runs every item (a request, a continuation, a job's end, a timer) in it or in a
 * transaction nested in it, and commits once, durably; a failure of the store turns what
 * the batch staged into 503 and the batch begins again (cmn_service.c runs the turn). */
#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_service_int.h"

/* Whether this turn takes more work: it has its batch transaction (or no LMDB at all)
 * and no item failed for want of storage (the rest waits in the sockets and the pool for
 * the next turn, after the map has grown). */
int cmn_service_batch_open(const cmn_service_t *self) {
    return !self->turn_stop && (!self->db || self->txn);
}

/* Aborts the batch transaction and begins a fresh one (growing the map first when it
 * was found full, while no transaction of ours is open). */
static void s_batch_restart(cmn_service_t *self) {
    if (self->txn)
        mdb_txn_abort(self->txn);
    self->txn = NULL;
    if (cmn_db_map_full_take())
        self->grow_wanted = 1;
    if (self->grow_wanted && cmn_db_grow(self->db, 1) >= 0)
        self->grow_wanted = 0;
    if (cmn_db_txn_begin(self->db, NULL, 0, &self->txn) != 0)
        self->txn = NULL;
    self->turn_writes = cmn_db_writes();
    self->turn_cache_wrote = 0;
}

/* Rolls the batch back after a write to the batch transaction itself failed (LMDB
 * refuses a transaction after a failed write, so nothing in it could commit): every
 * answer staged so far becomes 503 (none was sent: early answers wait while storage is
 * tight, cmn_db_roomy), the map grows if it was full, and a fresh batch begins. */
void cmn_service_batch_reset(cmn_service_t *self, const char *why) {
    size_t n = self->nout;
    cmn_service_out_fail(self, 0, DVCID__STATUS__STATUS_UNAVAILABLE);
    cmn_metrics_add(self->metrics, "dvcid_storage_rollbacks_total", "", 1, CMN_HELP_ROLLBACKS);
    CMN_ERROR(NULL, "batch rolled back (%s): %zu staged answers turned into 503", why, n);
    self->turn_roomy = 0;
    self->turn_stop = 1;
    s_batch_restart(self);
}

/* Whether the batch transaction holds no write yet: aborting it then undoes nothing but
 * the item that ran in it. */
static int s_batch_clean(const cmn_service_t *self) {
    return cmn_db_writes() == self->turn_writes && !self->turn_cache_wrote;
}

/* Begins an item in a transaction nested in the batch, or in the batch transaction itself
 * while that holds no write (the first item of a turn, mostly): LMDB mallocs and frees a
 * dirty list of some 3 MiB for every nested transaction, the main cost of a lone request
 * under the sanitizers and a real one without. Returns 0, or -1 when there is no
 * transaction to run it in (the item must not run: its handler reads and writes). */
int cmn_service_item_begin(cmn_service_t *self, cmn_item_t *it) {
    it->ctx.self = self->self;
    it->ctx.svc = self;
    it->ctx.txn = NULL;
    it->parent = NULL;
    it->direct = 0;
    it->mark = self->nout;
    it->faults = cmn_db_faults();
    it->writes = cmn_db_writes();
    self->batch_items++;
    if (!self->db)
        return 0;
    if (self->txn && s_batch_clean(self)) {
        it->ctx.txn = it->parent = self->txn;
        it->direct = 1;
        return 0;
    }
    for (int tries = 0; tries < 2 && self->txn; tries++) {
        if (cmn_db_txn_begin(self->db, self->txn, 0, &it->ctx.txn) == 0) {
            it->parent = self->txn;
            it->mark = self->nout;
            it->faults = cmn_db_faults();
            it->writes = cmn_db_writes();
            return 0;
        }
        cmn_service_batch_reset(self, "a nested transaction could not begin");
    }
    return -1;
}

/* After an item's nested commit: its replies go into the reply cache, written in the
 * batch transaction itself (a write in the nested one would copy the cache's pages
 * into it first), then the replies declared early leave at once. An early reply
 * whose entry could not be written waits for the commit like any other, and so does
 * every reply of an item that wrote (wrote): its answer is not true before the commit,
 * whatever its handler declared (cmn_call_answer_early is for items that write nothing). */
static void s_item_replies(cmn_service_t *self, cmn_item_t *it, int wrote) {
    for (size_t i = it->mark; i < self->nout; i++) {
        s_out_t *o = &self->out[i];
        if (o->kind != S_OUT_REPLY || !o->cache_origin || !o->data)
            continue;
        /* An answer that leaves now for work that wrote nothing: its entry waits for a
         * commit that happens anyway (cmn_service_later_write). */
        if (o->early && self->turn_roomy && !wrote && cmn_service_later_add(self, o) == 0)
            continue;
        if (cmn_service_replies_put(self, it->parent, o->cache_origin, o->request_id,
                                    o->cache_deadline, o->data, o->len) != 0) {
            cmn_service_batch_reset(self, "the reply cache refused a write");
            return;
        }
    }
    size_t keep = it->mark;
    for (size_t i = it->mark; i < self->nout; i++) {
        s_out_t *o = &self->out[i];
        /* An early answer leaves before the commit: only while the commit cannot fail
         * for want of space, or the user would hold an answer the store does not. */
        if (o->kind == S_OUT_REPLY && o->early && self->turn_roomy && !wrote) {
            cmn_service_send_reply(self, o);
            zframe_destroy(&o->identity);
            free(o->data);
            continue;
        }
        self->out[keep++] = *o;
    }
    self->nout = keep;
}

/* Ends an item: commits or aborts its nested transaction. Returns 0 when its effects
 * are in the batch transaction, else -1 (its staged outputs turned into failures). */
int cmn_service_item_end(cmn_service_t *self, cmn_item_t *it, int rc) {
    /* A store failure inside the item (a full map, say) is the store's, not the
     * request's: the item is undone and answered 503, and committing its transaction
     * would poison the batch (LMDB marks a parent whose failed child commits). */
    int fault = self->db && cmn_db_faults() != it->faults;
    int wrote = cmn_db_writes() != it->writes;
    if (it->direct) {
        /* The batch held nothing else: undoing the item is aborting it. */
        if (rc != 0 || fault)
            s_batch_restart(self);
        it->ctx.txn = NULL;
    } else if (it->ctx.txn) {
        if (rc == 0 && !fault) {
            int crc = cmn_db_note(mdb_txn_commit(it->ctx.txn));
            it->ctx.txn = NULL;
            if (crc != 0) {
                CMN_ERROR(NULL, "nested commit: %s", mdb_strerror(crc));
                cmn_service_batch_reset(self, "a nested commit failed");
                return -1;
            }
        } else {
            mdb_txn_abort(it->ctx.txn);
        }
        it->ctx.txn = NULL;
    }
    if (fault) {
        cmn_service_out_fail(self, it->mark, DVCID__STATUS__STATUS_UNAVAILABLE);
        cmn_metrics_add(self->metrics, "dvcid_storage_faults_total", "", 1, CMN_HELP_FAULTS);
        if (cmn_db_map_full_take())
            self->grow_wanted = 1;
        self->turn_stop = 1; /* the rest waits for the next turn, after the map grows */
        return -1;
    }
    if (rc != 0) {
        cmn_service_out_fail(self, it->mark, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    s_item_replies(self, it, wrote);
    return 0;
}

/* Opens the turn's batch transaction. Before it, with no transaction of ours open, the
 * map grows when it is nearly full (or was found full), and the state of storage is read
 * for the turn: whether early answers are safe and whether writes are allowed. */
void cmn_service_batch_begin(cmn_service_t *self) {
    self->txn = NULL;
    self->turn_stop = 0;
    self->batch_items = 0;
    self->turn_writes = cmn_db_writes();
    self->turn_cache_wrote = 0;
    if (!self->db)
        return;
    if (cmn_db_grow(self->db, self->grow_wanted) >= 0)
        self->grow_wanted = 0;
    self->turn_roomy = cmn_db_roomy(self->db);
    self->writable = cmn_db_writable(self->db);
    if (!self->writable && !self->refusing)
        CMN_ERROR(NULL,
                  "free disk space under %s is below storage.min_free_mib: writes are "
                  "refused (503) until space returns",
                  self->cfg ? self->cfg->storage_dir : "");
    else if (self->writable && self->refusing)
        CMN_INFO(NULL, "free disk space is back above storage.min_free_mib: writes resume");
    self->refusing = !self->writable;
    /* Another instance on this environment may hold the write lock; the watchdog
     * thread vouches for this process meanwhile (cmn_service_run). */
    atomic_store(&self->lock_wait, 1);
    int rc = cmn_db_txn_begin(self->db, NULL, 0, &self->txn);
    atomic_store(&self->lock_wait, 0);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot begin a write transaction: %s", mdb_strerror(rc));
        self->txn = NULL;
    }
}

/* The one durable commit of this turn: nothing but early answers leaves before it. With
 * force (at a stop) the reply-cache entries still waiting go into it. */
void cmn_service_batch_commit(cmn_service_t *self, int force) {
    if (!self->txn)
        return;
    if (cmn_service_later_write(self, force) != 0)
        cmn_service_batch_reset(self, "the reply cache refused an entry");
    if (!self->txn)
        return;
    uint64_t t0 = cmn_service_now_us();
    int rc = cmn_db_note(mdb_txn_commit(self->txn));
    self->txn = NULL;
    if (rc != 0) {
        CMN_ERROR(NULL, "batch commit failed: %s", mdb_strerror(rc));
        cmn_metrics_add(self->metrics, "dvcid_storage_rollbacks_total", "", 1, CMN_HELP_ROLLBACKS);
        cmn_service_out_fail(self, 0, DVCID__STATUS__STATUS_UNAVAILABLE);
        if (cmn_db_map_full_take())
            self->grow_wanted = 1;
    } else if (self->batch_items) {
        cmn_service_count_batch(self, cmn_service_now_us() - t0, self->batch_items);
    }
}
