/* sms_worker: the sms-worker service. It takes SmsSend from otp-svc's outbox,
 * stores each message once (message_id is the idempotency key) in the sealed
 * queue, and acknowledges only after the batch commit, so an acknowledged SMS
 * survives kill -9. A timer hands due messages to the provider in FIFO order,
 * retries failures with backoff and dead-letters a message after SMS_MAX_TRIES.
 * Messages are routed (sms_route) to providers (sms_provider: the `file` sink, or
 * `http`/`smpp` threads) and marked sent when their outcome comes back
 * (sms_dispatch.c); delivery receipts update each message's status (sms_status).
 * Design notes: sms-worker/README.md.
 *
 * The pieces the service runs in its batches (accept, deliver) are public so the
 * unit tests drive them on a bare LMDB transaction, without sockets. */
#ifndef SMS_WORKER_H
#define SMS_WORKER_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_config.h"
#include "cmn_db.h"
#include "cmn_metrics.h"
#include "proto/dvcid.pb-c.h"
#include "sms_status.h"

/* Due messages handed to the provider per batch: more than the service loop takes
 * requests per turn (512), so what a turn accepts goes out in the same turn and the
 * queue does not grow under a steady load. */
#define SMS_BATCH_MAX 1024
/* How often the delivery timer runs when nothing wakes it (ms). */
#define SMS_TICK_MS 50
/* Sent and dead metadata is kept this long for status, then swept (ms); the
 * default of sms.status_retention_s. */
#define SMS_RETENTION_MS (7ull * 24 * 3600 * 1000)
/* A message out with a provider thread is leased for its timeout plus this (ms). */
#define SMS_LEASE_MARGIN_MS 30000
/* Waits when no provider of a route can take a message: capped, or all broken (ms). */
#define SMS_WAIT_CAPPED_MS 100
#define SMS_WAIT_BROKEN_MS 1000
/* Outcomes handled per batch at most (the rest in the next one). */
#define SMS_OUTCOMES_MAX 4096
/* Sweeps run at most this often (ms), deleting at most SMS_SWEEP_MAX records each. */
#define SMS_SWEEP_EVERY_MS 5000
#define SMS_SWEEP_MAX 4096

typedef struct sms_worker sms_worker_t;

/* The worker's totals, counted on the loop thread; /metrics shows some
 * (sms_worker_metrics_publish). */
typedef struct {
    uint64_t queued;           /* stored for delivery */
    uint64_t duplicates;       /* SmsSend for a message_id already known */
    uint64_t sent;             /* taken by a provider (or a load-test number's, skipped) */
    uint64_t retried;          /* failed deliveries scheduled again */
    uint64_t dead;             /* dead-lettered */
    uint64_t verified;         /* SmsVerified taken (repeats not counted) */
    uint64_t unmatched;        /* SmsVerified for a message not known here (swept, never sent) */
    uint64_t receipts_unknown; /* dlr-url receipts for a message id not known here: dropped */
} sms_stats_t;

enum {
    SMS_WORKER_QUEUED = 0,
    SMS_WORKER_DUPLICATE = 1,
    SMS_WORKER_INVALID = 2,
    SMS_WORKER_NOTFOUND = 3,
    SMS_WORKER_ERROR = -1
};

/* A worker over db (opened with sms_queue_dbs; not owned), sealing with the key
 * in <data_dir>/queue.key (created 0600 at first start) and delivering through
 * the provider cfg names. cfg is borrowed and must outlive the worker. Returns
 * NULL on failure (logged). */
sms_worker_t *sms_worker_new(const cmn_config_t *cfg, cmn_db_t *db, const char *data_dir);
void sms_worker_destroy(sms_worker_t **self_p);

/* Binds cfg->sms_endpoint and serves until SIGINT/SIGTERM. Returns 0 or -1. */
int sms_worker_run(sms_worker_t *self);

/* The SmsSend handler's work in txn: checks msg, then queues it unless its
 * message_id is known. trace is for logs. Returns SMS_WORKER_QUEUED,
 * SMS_WORKER_DUPLICATE, SMS_WORKER_INVALID or SMS_WORKER_ERROR. */
int sms_worker_accept(sms_worker_t *self, MDB_txn *txn, const Dvcid__SmsSend *msg,
                      const char *trace);

/* One delivery batch in txn at now: routes each due message (up to SMS_BATCH_MAX, and
 * no more than the providers have room for) and submits it. A provider with a thread
 * keeps it leased in the queue until its outcome; the `file` sink writes and syncs the
 * batch at its end and its outcomes (sent, retried or dead) are recorded here. Returns
 * how many messages it handled, or -1 on a storage error (the caller rolls txn back;
 * the provider may have them already, which at-least-once allows). */
int sms_worker_deliver(sms_worker_t *self, MDB_txn *txn, uint64_t now);

/* Handles the outcomes and receipts the provider threads posted (at most
 * SMS_OUTCOMES_MAX): marks messages sent, retried or dead; records receipts.
 * Returns how many, or -1 on a storage error. */
int sms_worker_outcomes(sms_worker_t *self, MDB_txn *txn, uint64_t now);

/* The fd readable while outcomes wait. */
int sms_worker_outcome_fd(const sms_worker_t *self);

/* Ends waiting for receipts that are late (sms.receipt_timeout_s). Returns how
 * many, or -1. */
int sms_worker_expire_receipts(sms_worker_t *self, MDB_txn *txn, uint64_t now);

/* The SmsVerified handler's work in txn: marks the message verified and counts it
 * for the provider and prefix that took it (now, or when one takes it). Returns
 * SMS_WORKER_QUEUED (taken), SMS_WORKER_DUPLICATE (known already),
 * SMS_WORKER_NOTFOUND (not known here: another instance may know it; counted as
 * unmatched), SMS_WORKER_INVALID or SMS_WORKER_ERROR. */
int sms_worker_verified(sms_worker_t *self, MDB_txn *txn, const Dvcid__SmsVerified *msg,
                        const char *trace);

/* The status of one message, for an ops tool (dvcctl). Returns SMS_QUEUE_OK,
 * SMS_QUEUE_NOTFOUND or SMS_QUEUE_ERROR. */
int sms_worker_status(sms_worker_t *self, MDB_txn *txn, const char *message_id,
                      sms_status_rec_t *rec);

/* Gives the worker m (the service's registry, borrowed: it outlives the counting) and
 * makes the providers' series in it (sms_metrics), all at 0. Until then nothing is
 * counted. Returns 0, or -1 when a series could not be made. */
int sms_worker_metrics_attach(sms_worker_t *self, cmn_metrics_t *m);

/* Brings what is read at render time up to date in the attached registry: the totals,
 * the verified events and refused receipts, the breakers and rate caps, the queue's depth
 * and the conversion counts (sms_conv, read in txn). Returns 0, or -1 with no registry
 * or on a storage error. */
int sms_worker_metrics_publish(sms_worker_t *self, MDB_txn *txn);

/* Deletes sent/dead metadata older than SMS_RETENTION_MS, at most SMS_SWEEP_MAX.
 * Returns how many, or -1. */
int sms_worker_sweep(sms_worker_t *self, MDB_txn *txn, uint64_t now);

const sms_stats_t *sms_worker_stats(const sms_worker_t *self);

/* --check-config (sms_reload.c): the texts, and with an http/smpp provider the routes
 * and every provider they name, checked as a start would. Returns 0 or -1 with why. */
int sms_worker_config_check(const cmn_config_t *cfg, char *err, size_t errlen);

#endif
