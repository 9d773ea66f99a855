/* otp_challenge: issue, resend and verify, each inside the caller's transaction. */
#include "otp_challenge.h"

#include <stdio.h>
#include <string.h>

#include "cmn_db.h"
#include "otp_limits.h"
#include "proto/store.pb-c.h"

/* The keyed hash binds the code to its flow, purpose and phone. */
static void s_code_hash(const otp_store_t *st, const uint8_t *flow, size_t flen,
                        Dvcid__Purpose purpose, const char *phone, const char *code,
                        uint8_t out[CMN_HASH_BYTES]) {
    uint8_t p = (uint8_t)purpose;
    const void *parts[] = {flow, &p, phone, code};
    size_t lens[] = {flen, 1, strlen(phone), strlen(code)};
    cmn_hash_keyed(st->key, parts, lens, 4, out);
}

static void s_new_code(const otp_store_t *st, const char *phone, char *code) {
    const cmn_config_t *cfg = st->cfg;
    size_t plen = strlen(cfg->otp_test_phone_prefix);
    if (plen && cfg->otp_test_code[0] && strncmp(phone, cfg->otp_test_phone_prefix, plen) == 0)
        snprintf(code, 16, "%.15s", cfg->otp_test_code);
    else
        cmn_random_code(cfg->otp_length, code);
}

static void s_fail(otp_result_t *out, Dvcid__Status status) {
    memset(out, 0, sizeof(*out));
    out->status = status;
}

/* Loads the flow's challenge. Returns CMN_DB_OK, CMN_DB_NOTFOUND or CMN_DB_ERROR. */
static int s_load(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                  Dvcid__Store__Challenge **ch) {
    MDB_val v;
    int rc = cmn_db_get(txn, st->challenges, flow, flen, &v);
    if (rc != CMN_DB_OK)
        return rc;
    *ch = dvcid__store__challenge__unpack(NULL, v.mv_size, v.mv_data);
    return *ch ? CMN_DB_OK : CMN_DB_ERROR;
}

/* Tries a fresh code gets: otp.max_attempts, within what the flow's failure budget
 * leaves. */
static uint32_t s_tries(const cmn_config_t *cfg, const Dvcid__Store__Challenge *ch) {
    uint32_t budget = (uint32_t)cfg->otp_max_failures_per_flow;
    uint32_t left = ch->failures < budget ? budget - ch->failures : 0;
    return left < (uint32_t)cfg->otp_max_attempts ? left : (uint32_t)cfg->otp_max_attempts;
}

/* Seconds from now until at_ms, rounded up (0 when past). */
static uint32_t s_secs_until(uint64_t at_ms, uint64_t now) {
    return at_ms > now ? (uint32_t)((at_ms - now + 999) / 1000) : 0;
}

/* Writes a fresh code into ch and counts the send; ask is the phone the request
 * named ("" for a plain resend). Returns 0 or -1. */
static int s_send(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                  Dvcid__Store__Challenge *ch, const char *ask, const char *ip, uint64_t now,
                  uint8_t hash[CMN_HASH_BYTES], otp_result_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->phone, sizeof(out->phone), "%s", ch->phone);
    if (ch->silent) {
        ch->code_hash.len = 0;
    } else {
        s_new_code(st, ch->phone, out->code);
        s_code_hash(st, flow, flen, (Dvcid__Purpose)ch->purpose, ch->phone, out->code, hash);
        ch->code_hash.data = hash;
        ch->code_hash.len = CMN_HASH_BYTES;
    }
    ch->expires_ms = now + (uint64_t)st->cfg->otp_ttl * 1000u;
    ch->attempts_left = s_tries(st->cfg, ch);
    ch->sends++;
    ch->last_sent_ms = now;
    ch->last_ask = (char *)ask;
    ch->used = 0;
    out->expires_in = (uint32_t)st->cfg->otp_ttl;
    out->resend_in = (uint32_t)st->cfg->otp_resend_after;
    if (otp_limits_count(st->cfg, txn, st->windows, (int)ch->purpose, ch->phone, ip, now) != 0 ||
        cmn_db_put_msg(txn, st->challenges, flow, flen, ch, 0) != CMN_DB_OK)
        return -1;
    out->status = DVCID__STATUS__STATUS_OK;
    return 0;
}

/* Applies the per-phone/IP/prefix windows. Returns 0 allowed, 1 limited, -1 error. */
static int s_limited(const otp_store_t *st, MDB_txn *txn, Dvcid__Purpose purpose, const char *phone,
                     const char *ip, uint64_t now, otp_result_t *out) {
    uint32_t retry = 0;
    int rc = otp_limits_check(st->cfg, txn, st->windows, (int)purpose, phone, ip, now, &retry);
    if (rc == 1) {
        s_fail(out, DVCID__STATUS__STATUS_RATE_LIMITED);
        out->retry_after = retry;
    }
    return rc;
}

int otp_challenge_issue(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                        Dvcid__Purpose purpose, const char *phone, const char *ip, uint64_t now,
                        int silent, otp_result_t *out) {
    MDB_val v;
    int rc = cmn_db_get(txn, st->challenges, flow, flen, &v);
    if (rc == CMN_DB_ERROR)
        return -1;
    if (rc == CMN_DB_OK) {
        s_fail(out, DVCID__STATUS__STATUS_FLOW_STATE);
        return 0;
    }
    rc = s_limited(st, txn, purpose, phone, ip, now, out);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    Dvcid__Store__Challenge ch = DVCID__STORE__CHALLENGE__INIT;
    uint8_t hash[CMN_HASH_BYTES];
    ch.purpose = (uint32_t)purpose;
    ch.phone = (char *)phone;
    ch.silent = silent != 0;
    return s_send(st, txn, flow, flen, &ch, phone, ip, now, hash, out);
}

int otp_challenge_resend(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                         Dvcid__Purpose purpose, const char *new_phone, const char *ip,
                         uint64_t now, otp_result_t *out) {
    Dvcid__Store__Challenge *ch = NULL;
    int rc = s_load(st, txn, flow, flen, &ch);
    if (rc == CMN_DB_ERROR)
        return -1;
    if (rc == CMN_DB_NOTFOUND || !ch) {
        s_fail(out, DVCID__STATUS__STATUS_NOT_FOUND);
        goto done;
    }
    if (ch->used) {
        s_fail(out, DVCID__STATUS__STATUS_FLOW_STATE);
        goto done;
    }
    if (s_tries(st->cfg, ch) == 0) {
        /* Every wrong try the flow may have is spent: a new code would reset nothing. */
        s_fail(out, DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED);
        goto done;
    }
    const char *ask = new_phone ? new_phone : "";
    uint64_t ready = ch->last_sent_ms + (uint64_t)st->cfg->otp_resend_after * 1000u;
    if (now < ready && ch->purpose == (uint32_t)purpose && strcmp(ask, ch->last_ask) == 0 &&
        now < ch->expires_ms) {
        /* The same request again (a double click, a refresh, a retried POST): the
         * answer it had, with the time left; no second SMS, nothing counted. */
        memset(out, 0, sizeof(*out));
        out->status = DVCID__STATUS__STATUS_OK;
        out->duplicate = 1;
        snprintf(out->phone, sizeof(out->phone), "%s", ch->phone);
        out->expires_in = s_secs_until(ch->expires_ms, now);
        out->resend_in = s_secs_until(ready, now);
        goto done;
    }
    if (now < ready) {
        s_fail(out, DVCID__STATUS__STATUS_RATE_LIMITED);
        out->retry_after = s_secs_until(ready, now);
        goto done;
    }
    if (ch->sends >= (uint32_t)st->cfg->otp_max_sends_per_flow) {
        /* This flow may send no more codes: the user starts a new one. */
        s_fail(out, DVCID__STATUS__STATUS_RATE_LIMITED);
        out->retry_after = (uint32_t)st->cfg->otp_ttl;
        goto done;
    }
    /* s_send points these at the caller's memory; the unpacked ones go back before free. */
    char *old_phone = ch->phone, *old_ask = ch->last_ask;
    ProtobufCBinaryData old_hash = ch->code_hash;
    ch->purpose = (uint32_t)purpose;
    if (*ask)
        ch->phone = (char *)ask;
    rc = s_limited(st, txn, purpose, ch->phone, ip, now, out);
    uint8_t hash[CMN_HASH_BYTES];
    if (rc == 0)
        rc = s_send(st, txn, flow, flen, ch, ask, ip, now, hash, out);
    ch->code_hash = old_hash;
    ch->phone = old_phone;
    ch->last_ask = old_ask;
    dvcid__store__challenge__free_unpacked(ch, NULL);
    return rc < 0 ? -1 : 0;
done:
    dvcid__store__challenge__free_unpacked(ch, NULL);
    return 0;
}

/* Is code exactly otp.length digits? */
static int s_code_shape(const cmn_config_t *cfg, const char *code) {
    size_t n = strlen(code);
    if (n != (size_t)cfg->otp_length)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return 1;
}

int otp_challenge_verify(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                         Dvcid__Purpose purpose, const char *code, uint64_t now,
                         otp_result_t *out) {
    Dvcid__Store__Challenge *ch = NULL;
    int locked = 0;
    int rc = s_load(st, txn, flow, flen, &ch);
    if (rc == CMN_DB_ERROR)
        return -1;
    if (rc == CMN_DB_NOTFOUND || !ch || ch->purpose != (uint32_t)purpose) {
        s_fail(out, DVCID__STATUS__STATUS_NOT_FOUND);
    } else if (ch->used) {
        s_fail(out, DVCID__STATUS__STATUS_FLOW_STATE);
    } else if (ch->attempts_left == 0 || s_tries(st->cfg, ch) == 0 ||
               (locked = otp_limits_failures_full(st->cfg, txn, st->windows, (int)ch->purpose,
                                                  ch->phone, now)) != 0) {
        /* Locked: the right code and a wrong one get the same answer. */
        if (locked < 0)
            rc = CMN_DB_ERROR;
        s_fail(out, DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED);
    } else if (now >= ch->expires_ms) {
        s_fail(out, DVCID__STATUS__STATUS_OTP_EXPIRED);
    } else {
        uint8_t hash[CMN_HASH_BYTES];
        int ok = 0;
        if (s_code_shape(st->cfg, code) && ch->code_hash.len == CMN_HASH_BYTES) {
            s_code_hash(st, flow, flen, purpose, ch->phone, code, hash);
            ok = cmn_hash_equal(hash, ch->code_hash.data);
        }
        if (ok) {
            memset(out, 0, sizeof(*out));
            out->status = DVCID__STATUS__STATUS_OK;
            snprintf(out->phone, sizeof(out->phone), "%s", ch->phone);
            if (ch->n_message_ids)
                snprintf(out->message_id, sizeof(out->message_id), "%s",
                         ch->message_ids[ch->n_message_ids - 1]);
            ch->used = 1; /* single use: the hash goes, the record stays until the sweep */
            ch->code_hash.len = 0;
        } else {
            ch->failures++;
            ch->attempts_left--;
            if (s_tries(st->cfg, ch) == 0)
                ch->attempts_left = 0; /* the flow's budget ends this code too */
            s_fail(out, ch->attempts_left ? DVCID__STATUS__STATUS_OTP_INVALID
                                          : DVCID__STATUS__STATUS_OTP_ATTEMPTS_EXCEEDED);
            out->attempts_left = ch->attempts_left;
            out->has_attempts = ch->attempts_left > 0;
            if (otp_limits_failed(txn, st->windows, (int)ch->purpose, ch->phone, now) != 0)
                rc = CMN_DB_ERROR;
        }
        if (cmn_db_put_msg(txn, st->challenges, flow, flen, ch, 0) != CMN_DB_OK)
            rc = CMN_DB_ERROR;
    }
    if (ch)
        dvcid__store__challenge__free_unpacked(ch, NULL);
    return rc == CMN_DB_ERROR ? -1 : 0;
}

int otp_challenge_note_sms(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                           const char *message_id) {
    Dvcid__Store__Challenge *ch = NULL;
    int rc = s_load(st, txn, flow, flen, &ch);
    if (rc != CMN_DB_OK || strlen(message_id) > OTP_MSG_ID_MAX)
        return rc == CMN_DB_ERROR ? -1 : 0;
    /* The unpacked array is the library's: build the new list over borrowed strings. */
    char *ids[OTP_MSG_IDS_MAX];
    size_t keep = ch->n_message_ids < OTP_MSG_IDS_MAX ? ch->n_message_ids : OTP_MSG_IDS_MAX - 1;
    size_t n = 0;
    for (size_t i = ch->n_message_ids - keep; i < ch->n_message_ids; i++)
        ids[n++] = ch->message_ids[i];
    ids[n++] = (char *)message_id;
    char **old = ch->message_ids;
    size_t nold = ch->n_message_ids;
    ch->message_ids = ids;
    ch->n_message_ids = n;
    rc = cmn_db_put_msg(txn, st->challenges, flow, flen, ch, 0);
    ch->message_ids = old;
    ch->n_message_ids = nold;
    dvcid__store__challenge__free_unpacked(ch, NULL);
    return rc == CMN_DB_OK ? 0 : -1;
}

int otp_challenge_get(const otp_store_t *st, MDB_txn *txn, const uint8_t *flow, size_t flen,
                      Dvcid__Store__Challenge **ch) {
    *ch = NULL;
    return s_load(st, txn, flow, flen, ch);
}

/* Keep a spent or dead challenge a while after expiry so late steps get a clear
 * answer, then forget the phone (minimum retention). arg: the grace in ms. */
static int s_challenge_expired(const MDB_val *v, uint64_t now, const void *arg) {
    uint64_t grace = *(const uint64_t *)arg;
    Dvcid__Store__Challenge *ch = dvcid__store__challenge__unpack(NULL, v->mv_size, v->mv_data);
    int old = !ch || ch->expires_ms + grace < now;
    if (ch)
        dvcid__store__challenge__free_unpacked(ch, NULL);
    return old;
}

int otp_challenge_sweep(const otp_store_t *st, MDB_txn *txn, uint64_t now,
                        cmn_db_sweep_pos_t pos[2]) {
    uint64_t grace = (uint64_t)st->cfg->otp_ttl * 1000u + 3600000u;
    int n =
        cmn_db_sweep(txn, st->challenges, now, s_challenge_expired, &grace, pos ? &pos[0] : NULL);
    int w = n < 0 ? -1 : otp_limits_sweep(txn, st->windows, now, pos ? &pos[1] : NULL);
    return w < 0 ? -1 : n + w;
}
