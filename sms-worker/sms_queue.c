/* sms_queue: the durable SMS queue (layout in sms_queue.h). Every function runs
 * in the caller's write transaction, so a job's state change commits with the
 * batch that caused it and the ack or the "sent" mark is never ahead of the disk. */
#include "sms_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "proto/store.pb-c.h"

const char *const sms_queue_dbs[SMS_QUEUE_NDBS] = {"queue", "done",  "byid", "status",
                                                   "byref", "await", "conv"};

#define SMS_KEY_MAX (8 + SMS_ID_MAX)
/* The first byte of a "byid" value says which database the rest is a key of. */
#define SMS_TAG_QUEUE 'q'
#define SMS_TAG_DONE 'd'

struct sms_queue {
    MDB_dbi queue, done, byid;
    uint8_t key[CMN_KEY_BYTES];
    sms_queue_forget_fn *forget;
    void *forget_arg;
};

int sms_queue_depth(sms_queue_t *self, MDB_txn *txn, uint64_t *n) {
    MDB_stat st;
    if (cmn_db_note(mdb_stat(txn, self->queue, &st)) != 0)
        return -1;
    *n = st.ms_entries;
    return 0;
}

sms_queue_t *sms_queue_new(cmn_db_t *db, const uint8_t key[CMN_KEY_BYTES]) {
    sms_queue_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->queue = cmn_db_dbi(db, 0);
    self->done = cmn_db_dbi(db, 1);
    self->byid = cmn_db_dbi(db, 2);
    memcpy(self->key, key, CMN_KEY_BYTES);
    return self;
}

void sms_queue_destroy(sms_queue_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_wipe((*self_p)->key, CMN_KEY_BYTES);
    free(*self_p);
    *self_p = NULL;
}

void sms_job_clear(sms_job_t *job) {
    free(job->sealed);
    memset(job, 0, sizeof(*job));
}

/* be64(ms) . id: big-endian so LMDB's byte order is time order. */
static size_t s_key(uint8_t out[SMS_KEY_MAX], uint64_t ms, const char *id) {
    size_t idlen = strlen(id);
    for (int i = 7; i >= 0; i--, ms >>= 8)
        out[i] = (uint8_t)ms;
    memcpy(out + 8, id, idlen);
    return 8 + idlen;
}

static uint64_t s_key_ms(const uint8_t *key) {
    uint64_t ms = 0;
    for (int i = 0; i < 8; i++)
        ms = ms << 8 | key[i];
    return ms;
}

static int s_index(sms_queue_t *self, MDB_txn *txn, const char *id, char tag, const uint8_t *key,
                   size_t klen) {
    uint8_t val[1 + SMS_KEY_MAX];
    val[0] = (uint8_t)tag;
    memcpy(val + 1, key, klen);
    return cmn_db_put(txn, self->byid, id, strlen(id), val, 1 + klen, 0) == CMN_DB_OK ? 0 : -1;
}

/* Writes job under key in dbi, with sealed as its body (NULL: none). */
static int s_write(MDB_txn *txn, MDB_dbi dbi, const uint8_t *key, size_t klen, const sms_job_t *job,
                   const uint8_t *sealed, size_t sealed_len) {
    Dvcid__Store__SmsJob rec = DVCID__STORE__SMS_JOB__INIT;
    rec.message_id = (char *)job->message_id;
    rec.sealed.data = (uint8_t *)sealed;
    rec.sealed.len = sealed ? sealed_len : 0;
    rec.purpose = job->purpose;
    rec.state = job->state;
    rec.tries = job->tries;
    rec.created_ms = job->created_ms;
    rec.next_try_ms = job->next_try_ms;
    rec.sent_ms = job->sent_ms;
    return cmn_db_put_msg(txn, dbi, key, klen, &rec, 0) == CMN_DB_OK ? 0 : -1;
}

int sms_queue_put(sms_queue_t *self, MDB_txn *txn, const Dvcid__SmsSend *msg, uint64_t now) {
    size_t idlen = strlen(msg->message_id);
    if (idlen == 0 || idlen > SMS_ID_MAX)
        return SMS_QUEUE_ERROR; /* the caller skipped sms_queue_valid */
    MDB_val v;
    int rc = cmn_db_get(txn, self->byid, msg->message_id, idlen, &v);
    if (rc == CMN_DB_OK)
        return SMS_QUEUE_DUPLICATE;
    if (rc != CMN_DB_NOTFOUND)
        return SMS_QUEUE_ERROR;

    size_t plen = dvcid__sms_send__get_packed_size(msg);
    uint8_t *plain = malloc(plen + 1);
    if (!plain)
        return SMS_QUEUE_ERROR;
    dvcid__sms_send__pack(msg, plain);
    uint8_t *box = NULL;
    size_t boxlen = 0;
    rc = cmn_seal(self->key, plain, plen, &box, &boxlen);
    cmn_wipe(plain, plen);
    free(plain);
    if (rc != 0)
        return SMS_QUEUE_ERROR;

    sms_job_t job = {.state = SMS_JOB_QUEUED,
                     .purpose = (uint32_t)msg->purpose,
                     .created_ms = now,
                     .next_try_ms = now};
    snprintf(job.message_id, sizeof(job.message_id), "%s", msg->message_id);
    uint8_t key[SMS_KEY_MAX];
    size_t klen = s_key(key, now, job.message_id);
    rc = s_write(txn, self->queue, key, klen, &job, box, boxlen) == 0 &&
                 s_index(self, txn, job.message_id, SMS_TAG_QUEUE, key, klen) == 0
             ? SMS_QUEUE_OK
             : SMS_QUEUE_ERROR;
    free(box);
    return rc;
}

/* Fills job from a stored record; a record that does not unpack keeps only what its
 * key says, and no body, so the worker dead-letters it instead of looping on it. */
static void s_read(sms_job_t *job, const MDB_val *k, const MDB_val *v, int with_body) {
    memset(job, 0, sizeof(*job));
    size_t idlen = k->mv_size - 8;
    memcpy(job->message_id, (const uint8_t *)k->mv_data + 8, idlen);
    job->message_id[idlen] = '\0';
    job->next_try_ms = s_key_ms(k->mv_data);
    job->state = SMS_JOB_QUEUED;
    Dvcid__Store__SmsJob *rec = dvcid__store__sms_job__unpack(NULL, v->mv_size, v->mv_data);
    if (!rec) {
        CMN_ERROR(NULL, "sms queue: record %s does not unpack", job->message_id);
        return;
    }
    job->state = (sms_job_state_t)rec->state;
    job->purpose = rec->purpose;
    job->tries = rec->tries;
    job->created_ms = rec->created_ms;
    job->next_try_ms = rec->next_try_ms;
    job->sent_ms = rec->sent_ms;
    if (with_body && rec->sealed.len > 0 && (job->sealed = malloc(rec->sealed.len))) {
        memcpy(job->sealed, rec->sealed.data, rec->sealed.len);
        job->sealed_len = rec->sealed.len;
    }
    dvcid__store__sms_job__free_unpacked(rec, NULL);
}

static int s_key_ok(const MDB_val *k) { return k->mv_size > 8 && k->mv_size <= SMS_KEY_MAX; }

int sms_queue_due(sms_queue_t *self, MDB_txn *txn, uint64_t now, sms_job_t *jobs, int max) {
    MDB_cursor *cur;
    int rc = cmn_db_note(mdb_cursor_open(txn, self->queue, &cur));
    if (rc != 0) {
        CMN_ERROR(NULL, "sms queue: cursor: %s", mdb_strerror(rc));
        return -1;
    }
    int n = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < max;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!s_key_ok(&k)) {
            CMN_ERROR(NULL, "sms queue: skipping a key of %zu bytes", k.mv_size);
            continue;
        }
        if (s_key_ms(k.mv_data) > now)
            break;
        s_read(&jobs[n], &k, &v, 1);
        /* The key, not the record, says where the job is: mark_* deletes by it. */
        jobs[n].next_try_ms = s_key_ms(k.mv_data);
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        CMN_ERROR(NULL, "sms queue: walk: %s", mdb_strerror(rc));
        for (int i = 0; i < n; i++)
            sms_job_clear(&jobs[i]);
        return -1;
    }
    return n;
}

Dvcid__SmsSend *sms_queue_open(sms_queue_t *self, const sms_job_t *job) {
    if (!job->sealed)
        return NULL;
    uint8_t *plain = NULL;
    size_t plen = 0;
    if (cmn_unseal(self->key, job->sealed, job->sealed_len, &plain, &plen) != 0)
        return NULL;
    Dvcid__SmsSend *msg = dvcid__sms_send__unpack(NULL, plen, plain);
    cmn_wipe(plain, plen);
    free(plain);
    return msg;
}

void sms_queue_msg_free(Dvcid__SmsSend **msg_p) {
    if (!msg_p || !*msg_p)
        return;
    char *code = (*msg_p)->code;
    if (code)
        cmn_wipe(code, strlen(code));
    dvcid__sms_send__free_unpacked(*msg_p, NULL);
    *msg_p = NULL;
}

/* Moves job from "queue" to "done" in state; the body is dropped once a provider has
 * it, and kept (sealed) for a dead letter, which an operator may queue again. */
static int s_finish(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, sms_job_state_t state,
                    uint64_t now) {
    uint8_t key[SMS_KEY_MAX];
    size_t klen = s_key(key, job->next_try_ms, job->message_id);
    if (cmn_db_del(txn, self->queue, key, klen) == CMN_DB_ERROR)
        return -1;
    job->state = state;
    job->sent_ms = now;
    if (state != SMS_JOB_DEAD) {
        free(job->sealed);
        job->sealed = NULL;
        job->sealed_len = 0;
    }
    klen = s_key(key, now, job->message_id);
    if (s_write(txn, self->done, key, klen, job, job->sealed, job->sealed_len) != 0)
        return -1;
    return s_index(self, txn, job->message_id, SMS_TAG_DONE, key, klen);
}

int sms_queue_mark_sent(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t now) {
    return s_finish(self, txn, job, SMS_JOB_SENT, now);
}

int sms_queue_mark_failed(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t now,
                          uint32_t delay_ms) {
    job->tries++;
    if (job->tries >= SMS_MAX_TRIES || delay_ms == 0)
        return s_finish(self, txn, job, SMS_JOB_DEAD, now) == 0 ? SMS_JOB_DEAD : -1;
    uint8_t key[SMS_KEY_MAX];
    size_t klen = s_key(key, job->next_try_ms, job->message_id);
    if (cmn_db_del(txn, self->queue, key, klen) == CMN_DB_ERROR)
        return -1;
    job->next_try_ms = now + delay_ms;
    klen = s_key(key, job->next_try_ms, job->message_id);
    if (s_write(txn, self->queue, key, klen, job, job->sealed, job->sealed_len) != 0 ||
        s_index(self, txn, job->message_id, SMS_TAG_QUEUE, key, klen) != 0)
        return -1;
    return SMS_JOB_QUEUED;
}

static int s_get(sms_queue_t *self, MDB_txn *txn, const char *message_id, sms_job_t *job,
                 int with_body) {
    size_t idlen = strlen(message_id);
    if (idlen == 0 || idlen > SMS_ID_MAX)
        return SMS_QUEUE_NOTFOUND;
    MDB_val v;
    int rc = cmn_db_get(txn, self->byid, message_id, idlen, &v);
    if (rc != CMN_DB_OK)
        return rc == CMN_DB_NOTFOUND ? SMS_QUEUE_NOTFOUND : SMS_QUEUE_ERROR;
    if (v.mv_size < 1)
        return SMS_QUEUE_ERROR;
    MDB_val k = {.mv_size = v.mv_size - 1, .mv_data = (uint8_t *)v.mv_data + 1};
    if (!s_key_ok(&k))
        return SMS_QUEUE_ERROR;
    MDB_dbi dbi = ((const uint8_t *)v.mv_data)[0] == SMS_TAG_DONE ? self->done : self->queue;
    rc = cmn_db_get(txn, dbi, k.mv_data, k.mv_size, &v);
    if (rc != CMN_DB_OK)
        return SMS_QUEUE_ERROR; /* the index points nowhere */
    s_read(job, &k, &v, with_body);
    return SMS_QUEUE_OK;
}

int sms_queue_get(sms_queue_t *self, MDB_txn *txn, const char *message_id, sms_job_t *job) {
    return s_get(self, txn, message_id, job, 0);
}

int sms_queue_get_body(sms_queue_t *self, MDB_txn *txn, const char *message_id, sms_job_t *job) {
    return s_get(self, txn, message_id, job, 1);
}

int sms_queue_reschedule(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t next_ms,
                         sms_job_state_t state) {
    uint8_t key[SMS_KEY_MAX];
    size_t klen = s_key(key, job->next_try_ms, job->message_id);
    if (cmn_db_del(txn, self->queue, key, klen) == CMN_DB_ERROR)
        return -1;
    job->next_try_ms = next_ms;
    job->state = state;
    klen = s_key(key, next_ms, job->message_id);
    if (s_write(txn, self->queue, key, klen, job, job->sealed, job->sealed_len) != 0 ||
        s_index(self, txn, job->message_id, SMS_TAG_QUEUE, key, klen) != 0)
        return -1;
    return 0;
}

int sms_queue_release(sms_queue_t *self, MDB_txn *txn, uint64_t now) {
    MDB_cursor *cur;
    int rc = cmn_db_note(mdb_cursor_open(txn, self->queue, &cur));
    if (rc != 0) {
        CMN_ERROR(NULL, "sms queue: cursor: %s", mdb_strerror(rc));
        return -1;
    }
    /* Collected first: rescheduling moves keys under the cursor. */
    int n = 0, cap = 0;
    sms_job_t *jobs = NULL;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!s_key_ok(&k))
            continue;
        sms_job_t job;
        s_read(&job, &k, &v, 1);
        job.next_try_ms = s_key_ms(k.mv_data);
        if (job.state != SMS_JOB_INFLIGHT) {
            sms_job_clear(&job);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            sms_job_t *more = realloc(jobs, (size_t)cap * sizeof(*jobs));
            if (!more) {
                sms_job_clear(&job);
                rc = -1;
                break;
            }
            jobs = more;
        }
        jobs[n++] = job;
    }
    mdb_cursor_close(cur);
    int out = rc == MDB_NOTFOUND ? 0 : -1;
    for (int i = 0; i < n; i++) {
        if (out == 0 && sms_queue_reschedule(self, txn, &jobs[i], now, SMS_JOB_QUEUED) != 0)
            out = -1;
        sms_job_clear(&jobs[i]);
    }
    free(jobs);
    return out == 0 ? n : -1;
}

void sms_queue_on_forget(sms_queue_t *self, sms_queue_forget_fn *fn, void *arg) {
    self->forget = fn;
    self->forget_arg = arg;
}

int sms_queue_sweep(sms_queue_t *self, MDB_txn *txn, uint64_t before_ms, int max) {
    MDB_cursor *cur;
    int rc = cmn_db_note(mdb_cursor_open(txn, self->done, &cur));
    if (rc != 0) {
        CMN_ERROR(NULL, "sms queue: cursor: %s", mdb_strerror(rc));
        return -1;
    }
    int n = 0;
    MDB_val k, v;
    /* Always the first record: the one just deleted is gone, and keys are time order. */
    while (n < max && (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
        if (k.mv_size < 8 || s_key_ms(k.mv_data) >= before_ms)
            break;
        if (s_key_ok(&k) &&
            cmn_db_del(txn, self->byid, (uint8_t *)k.mv_data + 8, k.mv_size - 8) == CMN_DB_ERROR) {
            rc = -1;
            break;
        }
        if (s_key_ok(&k) && self->forget) {
            char id[SMS_ID_MAX + 1];
            memcpy(id, (uint8_t *)k.mv_data + 8, k.mv_size - 8);
            id[k.mv_size - 8] = '\0';
            if (self->forget(self->forget_arg, txn, id) != 0) {
                rc = -1;
                break;
            }
        }
        if ((rc = cmn_db_note(cmn_db_wrote(mdb_cursor_del(cur, 0)))) != 0)
            break;
        n++;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        if (rc != -1)
            CMN_ERROR(NULL, "sms queue: sweep: %s", mdb_strerror(rc));
        return -1;
    }
    return n;
}

int sms_queue_valid(const Dvcid__SmsSend *msg, const char **field) {
    size_t len = strlen(msg->message_id);
    *field = "message_id";
    if (len == 0 || len > SMS_ID_MAX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (msg->message_id[i] < 0x21 || msg->message_id[i] > 0x7e)
            return -1;
    *field = "phone";
    len = strlen(msg->phone);
    if (msg->phone[0] != '+' || len < 9 || len > 16)
        return -1;
    for (size_t i = 1; i < len; i++)
        if (msg->phone[i] < '0' || msg->phone[i] > '9')
            return -1;
    *field = "purpose";
    if (msg->purpose < DVCID__PURPOSE__PURPOSE_REGISTER ||
        msg->purpose > DVCID__PURPOSE__PURPOSE_UNLOCK)
        return -1;
    *field = "code";
    len = strlen(msg->code);
    if (msg->purpose == DVCID__PURPOSE__PURPOSE_NOTICE ? len != 0 : len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (msg->code[i] < '0' || msg->code[i] > '9')
            return -1;
    *field = "lang";
    if (msg->lang[0] && strcmp(msg->lang, "vi") != 0 && strcmp(msg->lang, "en") != 0)
        return -1;
    *field = NULL;
    return 0;
}

uint32_t sms_queue_backoff_ms(uint32_t tries, uint32_t rnd) {
    uint64_t delay = SMS_BACKOFF_BASE_MS;
    for (uint32_t i = 1; i < tries && delay < SMS_BACKOFF_CAP_MS; i++)
        delay *= 2;
    if (delay > SMS_BACKOFF_CAP_MS)
        delay = SMS_BACKOFF_CAP_MS;
    return (uint32_t)(delay - rnd % (delay / 4 + 1));
}

int sms_queue_dead_list(sms_queue_t *self, MDB_txn *txn, sms_job_t *jobs, int max,
                        uint64_t *total) {
    MDB_cursor *cur;
    if (cmn_db_note(mdb_cursor_open(txn, self->done, &cur)) != 0)
        return -1;
    int n = 0;
    *total = 0;
    MDB_val k, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (!s_key_ok(&k))
            continue;
        sms_job_t job;
        memset(&job, 0, sizeof(job));
        s_read(&job, &k, &v, 0);
        if (job.state == SMS_JOB_DEAD) {
            (*total)++;
            if (n < max)
                jobs[n++] = job; /* newest first */
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? n : -1;
}

/* Moves one dead letter (done key k) back to the queue, due now with fresh tries. */
static int s_revive(sms_queue_t *self, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                    uint64_t now) {
    sms_job_t job;
    memset(&job, 0, sizeof(job));
    s_read(&job, k, v, 1);
    int rc = -1;
    if (job.state == SMS_JOB_DEAD && job.sealed &&
        cmn_db_del(txn, self->done, k->mv_data, k->mv_size) != CMN_DB_ERROR) {
        uint8_t key[SMS_KEY_MAX];
        job.state = SMS_JOB_QUEUED;
        job.tries = 0;
        job.next_try_ms = now;
        size_t klen = s_key(key, now, job.message_id);
        if (s_write(txn, self->queue, key, klen, &job, job.sealed, job.sealed_len) == 0 &&
            s_index(self, txn, job.message_id, SMS_TAG_QUEUE, key, klen) == 0)
            rc = 1;
    } else if (job.state != SMS_JOB_DEAD || !job.sealed) {
        rc = 0; /* not a dead letter, or one kept from before bodies were kept */
    }
    sms_job_clear(&job);
    return rc;
}

int sms_queue_dead_retry(sms_queue_t *self, MDB_txn *txn, const char *message_id, uint64_t now) {
    if (message_id && *message_id) {
        size_t idlen = strlen(message_id);
        MDB_val v;
        if (idlen > SMS_ID_MAX || cmn_db_get(txn, self->byid, message_id, idlen, &v) != CMN_DB_OK)
            return 0;
        if (v.mv_size < 1 || ((const uint8_t *)v.mv_data)[0] != SMS_TAG_DONE)
            return 0;
        uint8_t key[SMS_KEY_MAX];
        MDB_val k = {.mv_size = v.mv_size - 1, .mv_data = key};
        if (!s_key_ok(&k))
            return -1;
        memcpy(key, (const uint8_t *)v.mv_data + 1, k.mv_size);
        if (cmn_db_get(txn, self->done, key, k.mv_size, &v) != CMN_DB_OK)
            return -1;
        return s_revive(self, txn, &k, &v, now);
    }
    /* Every dead letter: collect their keys first (the walk must not see its own writes). */
    MDB_cursor *cur;
    if (cmn_db_note(mdb_cursor_open(txn, self->done, &cur)) != 0)
        return -1;
    struct {
        uint8_t key[SMS_KEY_MAX];
        size_t len;
    } *keys = NULL;
    size_t n = 0, cap = 0;
    MDB_val k, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        sms_job_t job;
        memset(&job, 0, sizeof(job));
        if (!s_key_ok(&k))
            continue;
        s_read(&job, &k, &v, 0);
        if (job.state != SMS_JOB_DEAD)
            continue;
        if (n == cap) {
            void *nk = realloc(keys, (cap ? cap * 2 : 64) * sizeof(*keys));
            if (!nk) {
                rc = -1;
                break;
            }
            keys = nk;
            cap = cap ? cap * 2 : 64;
        }
        memcpy(keys[n].key, k.mv_data, k.mv_size);
        keys[n++].len = k.mv_size;
    }
    mdb_cursor_close(cur);
    int count = rc == MDB_NOTFOUND ? 0 : -1;
    for (size_t i = 0; count >= 0 && i < n; i++) {
        MDB_val kk = {.mv_size = keys[i].len, .mv_data = keys[i].key};
        if (cmn_db_get(txn, self->done, keys[i].key, keys[i].len, &v) != CMN_DB_OK) {
            count = -1;
            break;
        }
        int r = s_revive(self, txn, &kk, &v, now);
        count = r < 0 ? -1 : count + r;
    }
    free(keys);
    return count;
}
