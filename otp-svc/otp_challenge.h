/* otp_challenge: one OTP challenge per flow, kept in otp-svc's LMDB. A challenge is
 * bound to its flow, purpose and phone; only a keyed hash of the code is stored;
 * it has a TTL, a number of tries, a resend cooldown and a cap on sends. These
 * functions only read and write the transaction they are given: the caller puts
 * the SMS job in the same transaction (outbox) and answers after the commit. */
#ifndef OTP_CHALLENGE_H
#define OTP_CHALLENGE_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_config.h"
#include "cmn_crypto.h"
#include "proto/dvcid.pb-c.h"
#include "proto/store.pb-c.h"

typedef struct {
    const cmn_config_t *cfg;
    const uint8_t *key; /* CMN_KEY_BYTES, for code hashes */
    MDB_dbi challenges;
    MDB_dbi windows;
} otp_store_t;

/* The longest SMS message id a challenge records, and how many it keeps (newest). */
#define OTP_MSG_ID_MAX 64
#define OTP_MSG_IDS_MAX 32

/* What an issue/resend/verify produced. status OK or the error to answer. */
typedef struct {
    Dvcid__Status status;
    uint32_t retry_after;   /* RATE_LIMITED */
    uint32_t attempts_left; /* OTP_INVALID */
    int has_attempts;
    int duplicate;       /* resend: the same request as the last send, within its cooldown */
    uint32_t expires_in; /* issue/resend: seconds the code is valid (left, for a duplicate) */
    uint32_t resend_in;  /* issue/resend: seconds before another code may be sent */
    char code[16];       /* the code to send (issue/resend), NUL-terminated; "" for none */
    char phone[16];      /* the phone it goes to (E.164) */
    /* verify: the SMS whose code was verified ("" when none was recorded) */
    char message_id[OTP_MSG_ID_MAX + 1];
} otp_result_t;

/* Creates the challenge of a new flow and sends its first code. A silent challenge
 * has no code (out->code is empty: nothing to send) and never verifies, but counts
 * against every limit like a real one. */
int otp_challenge_issue(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                        Dvcid__Purpose purpose, const char *phone, const char *ip, uint64_t now,
                        int silent, otp_result_t *out);

/* A new code for the flow (to new_phone when non-empty), with fresh tries: at most
 * otp.max_attempts, and never more than the flow's failure budget leaves
 * (otp.max_failures_per_flow counts every wrong code of the flow; a resend does not
 * reset it; spent, it answers OTP_ATTEMPTS_EXCEEDED). purpose becomes the
 * challenge's purpose: a sign-in flow's lost-phone code is bound to
 * PURPOSE_PHONE_CHANGE, and the cooldown and sends still count per flow. The same
 * request as the last send (same purpose, same new_phone) within otp.resend_after is
 * a duplicate (a double click, a retried POST): OK with out->duplicate set, no code,
 * the time left in expires_in and resend_in, nothing counted. */
int otp_challenge_resend(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                         Dvcid__Purpose purpose, const char *new_phone, const char *ip,
                         uint64_t now, otp_result_t *out);

/* Checks a code; on success the challenge is spent and out->phone is its phone. A
 * wrong code counts in the code's tries, the flow's failures and the phone's
 * failures of this purpose (otp.max_failures_per_phone_hour); once any of them is
 * spent every code, right or wrong, answers OTP_ATTEMPTS_EXCEEDED. */
int otp_challenge_verify(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                         Dvcid__Purpose purpose, const char *code, uint64_t now, otp_result_t *out);

/* Records that the flow's current code went out in the SMS message_id (its
 * outbox job, in the same transaction). Returns 0 or -1. */
int otp_challenge_note_sms(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                           const char *message_id);

/* The flow's challenge for an ops tool (free with
 * dvcid__store__challenge__free_unpacked). Returns CMN_DB_OK, CMN_DB_NOTFOUND or
 * CMN_DB_ERROR. */
int otp_challenge_get(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                      Dvcid__Store__Challenge **ch);

/* Deletes challenges and windows that can no longer matter. Returns how many, or -1. */
int otp_challenge_sweep(const otp_store_t *st, MDB_txn *txn, uint64_t now,
                        cmn_db_sweep_pos_t pos[2]);

#endif
