/* sms_status: what became of each message after the queue let it go: which
 * provider took it, under which id of its own, and what its delivery receipt
 * said. Three databases of sms_queue_dbs, driven in the caller's transaction:
 *   "status"  message_id -> JSON record (provider, ref, times, receipt state)
 *   "byref"   provider NUL ref -> message_id   (SMPP receipts name the SMSC's id)
 *   "await"   be64(deadline_ms) . message_id -> ""   receipts still awaited
 * Records go when the queue's sweep forgets their message (sms_queue_on_forget). */
#ifndef SMS_STATUS_H
#define SMS_STATUS_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"
#include "sms_provider.h"
#include "sms_queue.h"

typedef struct sms_status sms_status_t;

/* One message's status as an ops tool sees it. */
typedef struct {
    char message_id[SMS_ID_MAX + 1];
    /* "queued", "sending" (with a provider), "sent", "delivered", "failed"
     * (undeliverable), "expired", "unconfirmed" (no receipt in time), "dead" */
    char state[16];
    char purpose[16];
    char provider[16];
    char ref[SMS_REF_MAX];
    uint32_t tries;
    uint64_t created_ms;
    uint64_t sent_ms;    /* accepted by the provider */
    uint64_t receipt_ms; /* the final receipt (or the end of waiting for it) */
} sms_status_rec_t;

/* Over db's databases 3..5 (opened with sms_queue_dbs). NULL on failure. */
sms_status_t *sms_status_new(cmn_db_t *db);
void sms_status_destroy(sms_status_t **self_p);

/* The provider took message_id at sent_ms with its own id ref ("" for none);
 * when await_ms is not 0 a receipt is awaited until then. Returns 0 or -1. */
int sms_status_sent(sms_status_t *self, MDB_txn *txn, const char *message_id, const char *provider,
                    const char *ref, uint64_t sent_ms, uint64_t await_ms);

/* A receipt: message_id when the provider names ours (Kannel dlr-url), else the
 * provider's ref. Fills id (SMS_ID_MAX + 1) and *sent_ms (0 when unknown) and
 * records dlr unless a final state is there already. Returns 1 when recorded, 0
 * when the message is unknown or already final (a repeat), -1 on error. */
int sms_status_receipt(sms_status_t *self, MDB_txn *txn, const char *provider,
                       const char *message_id, const char *ref, sms_dlr_t dlr, uint64_t at_ms,
                       char *id, uint64_t *sent_ms);

/* Ends waiting for receipts whose deadline is before now: they become
 * "unconfirmed". Calls fn(arg, provider) for each; at most max. Returns how
 * many, or -1. */
int sms_status_expire(sms_status_t *self, MDB_txn *txn, uint64_t now, int max,
                      void (*fn)(void *arg, const char *provider), void *arg);

/* Fills rec from the record of message_id (state "" when there is none).
 * Returns SMS_QUEUE_OK, SMS_QUEUE_NOTFOUND or SMS_QUEUE_ERROR. */
int sms_status_get(sms_status_t *self, MDB_txn *txn, const char *message_id, sms_status_rec_t *rec);

/* Deletes message_id's record and its indexes (an sms_queue_forget_fn). */
int sms_status_forget(void *self, MDB_txn *txn, const char *message_id);

#endif
