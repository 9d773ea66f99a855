/* sms_queue: sms-worker's durable SMS queue in LMDB, driven inside the caller's
 * write transaction (no sockets), so the service and the unit tests use it alike.
 *
 * Three databases (sms_queue_dbs, in this order, given to cmn_db_new):
 *   "queue"  be64(next_try_ms) . message_id -> SmsJob   jobs waiting to be sent,
 *            so the due ones are a prefix of the B-tree and first tries go FIFO;
 *   "done"   be64(finished_ms) . message_id -> SmsJob   sent or dead: metadata
 *            only (the sealed body is dropped), swept after a retention period;
 *   "byid"   message_id -> tag . key in queue or done   the idempotency index.
 * Bodies are the packed SmsSend sealed with crypto_secretbox (security.md "OTP").
 * A job handed to a provider with a thread stays in "queue", re-keyed to the end
 * of its lease and marked SMS_JOB_INFLIGHT: if the process dies before the
 * outcome, the job is due again (at-least-once), at once after a restart
 * (sms_queue_release). The further databases of sms_queue_dbs belong to
 * sms_status (delivery status, receipts). */
#ifndef SMS_QUEUE_H
#define SMS_QUEUE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "proto/dvcid.pb-c.h"

#define SMS_QUEUE_NDBS 7
extern const char *const sms_queue_dbs[SMS_QUEUE_NDBS];

/* Longest message_id accepted (bytes). */
#define SMS_ID_MAX 64
/* Failed deliveries before a job is dead-lettered. */
#define SMS_MAX_TRIES 8
/* Retry delays: exponential from 1 s, capped at 5 minutes. */
#define SMS_BACKOFF_BASE_MS 1000u
#define SMS_BACKOFF_CAP_MS 300000u

typedef enum {
    SMS_JOB_QUEUED = 1,
    SMS_JOB_SENT = 2,
    SMS_JOB_DEAD = 3,
    SMS_JOB_INFLIGHT = 4 /* with a provider, in "queue" until its lease ends */
} sms_job_state_t;

enum { SMS_QUEUE_OK = 0, SMS_QUEUE_DUPLICATE = 1, SMS_QUEUE_NOTFOUND = 2, SMS_QUEUE_ERROR = -1 };

typedef struct sms_queue sms_queue_t;

/* Jobs in "queue" (waiting, retrying or with a provider) into *n. 0 or -1. */
int sms_queue_depth(sms_queue_t *self, MDB_txn *txn, uint64_t *n);

/* A job copied out of the map (it outlives the transaction). sealed is owned:
 * release with sms_job_clear. */
typedef struct {
    char message_id[SMS_ID_MAX + 1];
    sms_job_state_t state;
    uint32_t purpose;
    uint32_t tries;
    uint64_t created_ms;
    uint64_t next_try_ms;
    uint64_t sent_ms; /* when it reached the provider, or was dead-lettered */
    uint8_t *sealed;
    size_t sealed_len;
} sms_job_t;

/* A queue over db's first SMS_QUEUE_NDBS databases (opened with sms_queue_dbs),
 * sealing with key (copied). Returns NULL on failure. */
sms_queue_t *sms_queue_new(cmn_db_t *db, const uint8_t key[CMN_KEY_BYTES]);
void sms_queue_destroy(sms_queue_t **self_p);

/* Seals msg and queues it, due at now. SMS_QUEUE_DUPLICATE (nothing written) when
 * its message_id is already queued, sent or dead. msg must have passed
 * sms_queue_valid. Returns SMS_QUEUE_OK, SMS_QUEUE_DUPLICATE or SMS_QUEUE_ERROR. */
int sms_queue_put(sms_queue_t *self, MDB_txn *txn, const Dvcid__SmsSend *msg, uint64_t now);

/* Copies up to max queued jobs with next_try_ms <= now into jobs, earliest first.
 * Returns how many (the caller clears each), or -1. */
int sms_queue_due(sms_queue_t *self, MDB_txn *txn, uint64_t now, sms_job_t *jobs, int max);

/* Unseals job's body. Returns the SmsSend (caller frees with sms_queue_msg_free,
 * which wipes the code), or NULL when the body is gone or does not open. */
Dvcid__SmsSend *sms_queue_open(sms_queue_t *self, const sms_job_t *job);
void sms_queue_msg_free(Dvcid__SmsSend **msg_p);

/* The provider has job: moves it to "done" as SENT at now, body dropped. */
int sms_queue_mark_sent(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t now);

/* A delivery failed: tries++, then either requeued at now + delay_ms (returns
 * SMS_JOB_QUEUED) or, at SMS_MAX_TRIES or when delay_ms is 0 (the job can never
 * be sent), moved to "done" as DEAD (returns SMS_JOB_DEAD). -1 on a storage error. */
int sms_queue_mark_failed(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t now,
                          uint32_t delay_ms);

/* Reads a job by message_id into job (without its body). Returns SMS_QUEUE_OK,
 * SMS_QUEUE_NOTFOUND or SMS_QUEUE_ERROR. */
int sms_queue_get(sms_queue_t *self, MDB_txn *txn, const char *message_id, sms_job_t *job);

/* The same with the sealed body (the caller clears job). */
int sms_queue_get_body(sms_queue_t *self, MDB_txn *txn, const char *message_id, sms_job_t *job);

/* Moves a queued job (body kept, tries unchanged) to next_ms in state (QUEUED or
 * INFLIGHT): a lease, or a wait for a provider to become free. Returns 0 or -1. */
int sms_queue_reschedule(sms_queue_t *self, MDB_txn *txn, sms_job_t *job, uint64_t next_ms,
                         sms_job_state_t state);

/* Makes every INFLIGHT job QUEUED and due at now (nothing is in flight at a
 * start). Returns how many, or -1. */
int sms_queue_release(sms_queue_t *self, MDB_txn *txn, uint64_t now);

/* Called by sms_queue_sweep for each message_id it forgets, in its transaction. */
typedef int(sms_queue_forget_fn)(void *arg, MDB_txn *txn, const char *message_id);
void sms_queue_on_forget(sms_queue_t *self, sms_queue_forget_fn *fn, void *arg);

/* Dead letters, newest first: up to max copied into jobs (no bodies; clear them with
 * sms_job_clear); *total gets how many there are. Returns how many were copied, or -1. */
int sms_queue_dead_list(sms_queue_t *self, MDB_txn *txn, sms_job_t *jobs, int max, uint64_t *total);

/* Queues dead letters again with fresh tries, due now: the one of message_id, or every
 * one when message_id is NULL or "". Returns how many, or -1. */
int sms_queue_dead_retry(sms_queue_t *self, MDB_txn *txn, const char *message_id, uint64_t now);

/* Deletes up to max sent/dead records finished before before_ms. Returns how many, or -1. */
int sms_queue_sweep(sms_queue_t *self, MDB_txn *txn, uint64_t before_ms, int max);

/* Frees job's body and wipes the struct. */
void sms_job_clear(sms_job_t *job);

/* Checks a SmsSend from the wire: message_id 1..SMS_ID_MAX printable ASCII, phone
 * E.164 ('+' and 8..15 digits), a known purpose, a code of 1..9 digits (empty for
 * a notice), lang "", "vi" or "en". Returns 0, or -1 with the offending field in *field. */
int sms_queue_valid(const Dvcid__SmsSend *msg, const char **field);

/* The retry delay after the tries-th failure (tries >= 1): SMS_BACKOFF_BASE_MS
 * doubled per try, capped at SMS_BACKOFF_CAP_MS, minus up to a quarter of jitter
 * drawn from rnd, so retries of one outage spread out. */
uint32_t sms_queue_backoff_ms(uint32_t tries, uint32_t rnd);

#endif
