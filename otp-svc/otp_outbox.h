/* otp_outbox: the transactional outbox between otp-svc and sms-worker. An SMS job
 * is written in the same transaction as the challenge whose code it carries (body
 * sealed with crypto_secretbox), sent to sms-worker after the commit, and deleted
 * only when sms-worker acknowledges that it has stored it. Jobs not acknowledged
 * are sent again by otp_outbox_retry(); sms-worker drops duplicates by message_id.
 * Both kinds of entry live on one cmn_outbox.
 *
 * The same way, a "verified" event (the code an SMS carried was verified; key
 * 'v' + message_id, value a packed SmsVerified: no secret in it) is written in the
 * transaction of the verification and sent until sms-worker acknowledges it, so
 * the conversion it counts loses no verification and counts none twice. */
#ifndef OTP_OUTBOX_H
#define OTP_OUTBOX_H

#include <stdint.h>

#include "cmn_outbox.h"
#include "cmn_service.h"

/* The SMS outbox: a cmn_outbox with jobs, events and sms-worker's answers. */
typedef cmn_outbox_t otp_outbox_t;

/* dbi: the outbox database; peer: sms-worker's peer index; key: sealing key
 * (CMN_KEY_BYTES, kept by the caller). NULL on failure. */
otp_outbox_t *otp_outbox_new(MDB_dbi dbi, int peer, const uint8_t *key);
void otp_outbox_destroy(otp_outbox_t **self_p);

/* Writes a job for an SMS to phone in ctx->txn and stages its delivery. code is
 * empty for a notice; lang "en" words it in English, anything else (NULL, "", a
 * language sms-worker has no texts for) in Vietnamese; message_id NULL makes a new
 * id, else it is the caller's idempotency key (a job already stored under it is kept
 * as is). id_out (NULL or CMN_ID_HEX bytes) gets the job's id. Returns 0 or -1. */
int otp_outbox_put(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *message_id,
                   const char *phone, Dvcid__Purpose purpose, const char *code, const char *lang,
                   char *id_out);

/* Writes the event "the code of SMS message_id was verified" in ctx->txn and
 * stages its delivery. Returns 0 or -1. */
int otp_outbox_verified(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace,
                        const char *message_id, Dvcid__Purpose purpose, uint64_t at_ms);

/* Sends again every job that is neither acknowledged nor in flight. Returns 0 or -1. */
int otp_outbox_retry(otp_outbox_t *self, cmn_ctx_t *ctx);

/* Jobs and events waiting for an acknowledgement (for status and metrics). */
size_t otp_outbox_in_flight(const otp_outbox_t *self);

#endif
