/* sms_status: what became of each message after the queue let it go: which
 * provider took it, under which id of its own, and what its delivery receipt
 * said. Three databases of sms_queue_dbs, driven in the caller's transaction:
 *   "status"  message_id -> JSON record (provider, ref, times, receipt state)
 *   "byref"   provider NUL ref -> message_id   (SMPP receipts name the SMSC's id)
 *   "await"   be64(deadline_ms) . message_id -> ""   receipts still awaited
 * Records go when the queue's sweep forgets their message (sms_queue_on_forget).
 * A record also says where the message went (number prefix, masked phone) and
 * whether its code was verified (conversion, sms_conv.h). */
#ifndef SMS_STATUS_H
#define SMS_STATUS_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmn_db.h"
#include "sms_conv.h"
#include "sms_provider.h"
#include "sms_queue.h"

#define SMS_NAME_MAX 16 /* a provider's name, NUL included */
#define SMS_MASKED_MAX 24

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
    char prefix[SMS_CONV_PREFIX_MAX];
    char phone_masked[SMS_MASKED_MAX];
    bool verified; /* otp-svc reported its code verified */
} sms_status_rec_t;

/* What sms_status_verified found. */
enum {
    SMS_VERIFIED_REPEAT = 0, /* it was known verified already: count nothing */
    SMS_VERIFIED_NOW = 1,    /* count it now for the record's provider and prefix */
    SMS_VERIFIED_EARLY = 2   /* no provider has taken it yet: counted when one does */
};

/* Over db's databases 3..5 (opened with sms_queue_dbs). NULL on failure. */
sms_status_t *sms_status_new(cmn_db_t *db);
void sms_status_destroy(sms_status_t **self_p);

/* The provider took message_id at sent_ms with its own id ref ("" for none);
 * when await_ms is not 0 a receipt is awaited until then. prefix and masked (NULL
 * or "" for none) say where it went. Returns 0, 1 when its verification came
 * first and is to be counted now (it is marked counted), or -1. */
int sms_status_sent(sms_status_t *self, MDB_txn *txn, const char *message_id, const char *provider,
                    const char *ref, uint64_t sent_ms, uint64_t await_ms, const char *prefix,
                    const char *masked);

/* otp-svc says the code of message_id was verified at at_ms. Fills provider
 * (SMS_NAME_MAX) and prefix (SMS_CONV_PREFIX_MAX) from the record when it is to
 * be counted now. Returns SMS_VERIFIED_NOW, SMS_VERIFIED_EARLY,
 * SMS_VERIFIED_REPEAT, or -1. The caller checks the message exists. */
int sms_status_verified(sms_status_t *self, MDB_txn *txn, const char *message_id, uint64_t at_ms,
                        char *provider, char *prefix);

/* A receipt: message_id when the provider names ours (Kannel dlr-url), else the
 * provider's ref. Fills id (SMS_ID_MAX + 1), *sent_ms (0 when unknown) and via
 * (SMS_NAME_MAX: the provider that took it, provider when the record has none)
 * and records dlr unless a final state is there already. Returns 1 when
 * recorded, 0 when the message is unknown or already final (a repeat), -1 on
 * error. */
int sms_status_receipt(sms_status_t *self, MDB_txn *txn, const char *provider,
                       const char *message_id, const char *ref, sms_dlr_t dlr, uint64_t at_ms,
                       char *id, uint64_t *sent_ms, char *via);

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
