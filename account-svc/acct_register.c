/* acct_register: the registration flow (flows.md section 1) as a small state
 * machine: start (fields, captcha, account exists?) -> OTP to the phone -> verify
 * -> password (argon2id off the loop) -> account, written with MDB_NOOVERWRITE so
 * two registrations of one ID give exactly one account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_account.h"
#include "acct_captcha_gate.h"
#include "acct_limits.h"
#include "acct_state.h"
#include "acct_step.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "cmn_validate.h"
#include "proto/store.pb-c.h"

#define S_REGISTER DVCID__PURPOSE__PURPOSE_REGISTER

/* --- loading ------------------------------------------------------------------ */

/* Loads a live registration by its hex id. Returns 0 (found, *out owned by the
 * caller), 1 (unknown, expired or malformed id) or -1 (storage error). */
static int s_load(acct_state_t *st, MDB_txn *txn, const char *hex, uint8_t id[CMN_ID_BYTES],
                  Dvcid__Store__Registration **out) {
    if (!hex || !cmn_id_from_hex(hex, id))
        return 1;
    MDB_val v;
    int rc = cmn_db_get(txn, cmn_db_dbi(st->db, ACCT_DB_REGISTRATIONS), id, CMN_ID_BYTES, &v);
    if (rc == CMN_DB_NOTFOUND)
        return 1;
    if (rc != CMN_DB_OK)
        return -1;
    Dvcid__Store__Registration *reg =
        dvcid__store__registration__unpack(NULL, v.mv_size, v.mv_data);
    if (!reg)
        return -1;
    if (reg->expires_ms <= cmn_time_now_ms()) {
        dvcid__store__registration__free_unpacked(reg, NULL);
        return 1;
    }
    *out = reg;
    return 0;
}

/* --- start -------------------------------------------------------------------- */

static int s_start_done(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    int rc = 0;
    if (!acct_reply_is_otp(reply)) {
        /* No code went out: the flow must not linger with the person's data. */
        if (cmn_db_del(ctx->txn, cmn_db_dbi(st->db, ACCT_DB_REGISTRATIONS), s->id, CMN_ID_BYTES) ==
            CMN_DB_ERROR)
            rc = -1;
        cmn_call_forward_error(ctx, &s->call, reply);
    } else {
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__RegStartReply body = DVCID__REG_START_REPLY__INIT;
        body.registration_id = s->hex;
        body.otp = reply->otp_sent->otp;
        r.body_case = DVCID__REPLY__BODY_REG_START;
        r.reg_start = &body;
        CMN_DEBUG(cmn_call_trace(s->call), "registration %s started", s->hex);
        /* The registration was committed before the ask left, the code by otp-svc
         * before its answer: nothing here waits on this batch's commit. */
        cmn_call_answer_early(s->call);
        cmn_call_reply(ctx, &s->call, &r);
    }
    acct_step_destroy(&s);
    return rc;
}

/* After the captcha: the account must not exist; the registration is stored and its
 * code asked of otp-svc. */
static int s_start_checked(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__RegStart *m = req->reg_start;
    const char *trace = cmn_call_trace(call);
    char phone[CMN_PHONE_E164_MAX], name[512];
    /* Every start past its captcha counts, whatever its answer: a count of only the
     * account_exists answers would itself tell. */
    int limited = acct_limits_take(ctx, &call, ACCT_LIMIT_REGISTRATION);
    if (limited != 0)
        return limited < 0 ? -1 : 0;
    /* Both were checked before the captcha; normalized again here. */
    if (cmn_valid_phone(m->phone, phone) != NULL ||
        cmn_name_normalize(m->full_name, name, sizeof(name)) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    uint64_t now = cmn_time_now_ms();
    char masked_id[32];
    cmn_mask_id(m->id_number, masked_id, sizeof(masked_id));
    MDB_val v;
    int rc = cmn_db_get(ctx->txn, cmn_db_dbi(st->db, ACCT_DB_ACCOUNTS), m->id_number,
                        strlen(m->id_number), &v);
    if (rc == CMN_DB_OK) {
        CMN_INFO(trace, "registration refused: account %s exists", masked_id);
        /* The captcha stays spent: this answer is captcha-gated on purpose. */
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_ACCOUNT_EXISTS);
        return 0;
    }
    if (rc == CMN_DB_ERROR) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    uint8_t id[CMN_ID_BYTES];
    cmn_shard_id_new(id, cmn_shard_key_of_id_number(m->id_number));
    Dvcid__Store__Registration reg = DVCID__STORE__REGISTRATION__INIT;
    reg.id_number = m->id_number;
    reg.full_name = name;
    reg.date_of_birth = m->date_of_birth;
    reg.phone = phone;
    reg.email = m->email;
    reg.state = ACCT_REG_OTP_PENDING;
    reg.created_ms = now;
    reg.expires_ms = now + (uint64_t)st->cfg->account_registration_ttl * 1000u;
    reg.lang = (char *)acct_step_lang(call);
    acct_step_t *s = acct_step_new(call, id, NULL);
    if (!s || cmn_db_put_msg(ctx->txn, cmn_db_dbi(st->db, ACCT_DB_REGISTRATIONS), id, CMN_ID_BYTES,
                             &reg, 1) != CMN_DB_OK) {
        if (s)
            s->call = NULL;
        acct_step_destroy(&s);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    acct_step_issue(ctx, st->otp_peer, s, S_REGISTER, phone, 0, s_start_done);
    return 0;
}

int acct_register_start(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    const Dvcid__RegStart *m = req->reg_start;
    char phone[CMN_PHONE_E164_MAX], name[512];
    acct_details_t d = {.n = 0};

    /* Shape and fields first: nothing is consumed by a request that fails here. */
    const char *date_err = cmn_valid_date(m->date_of_birth, NULL, NULL, NULL);
    acct_details_add(&d, "id_number",
                     cmn_valid_id_number(m->id_number, date_err ? NULL : m->date_of_birth));
    if (cmn_name_normalize(m->full_name, name, sizeof(name)) != 0)
        acct_details_add(&d, "full_name", m->full_name[0] ? "invalid" : "required");
    else
        acct_details_add(&d, "full_name", cmn_valid_name(name));
    acct_details_add(&d, "date_of_birth", date_err);
    acct_details_add(&d, "phone", cmn_valid_phone(m->phone, phone));
    acct_details_add(&d, "email", cmn_valid_email(m->email));
    return acct_captcha_gate(ctx, call, &d, m->captcha_id, m->captcha_answer, s_start_checked);
}

/* --- resend ------------------------------------------------------------------- */

/* The registration a request names, in state want, as a step (the twin of
 * acct_step_for_flow for the registrations table): NULL when the call was answered
 * (404, 409 or 500, *rc -1 after a storage error). The step carries the start's language
 * and no ID number: a registration has no account whose wrong codes could count. */
static acct_step_t *s_step_for(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex, uint32_t want,
                               int *rc) {
    acct_state_t *st = ctx->self;
    uint8_t id[CMN_ID_BYTES];
    Dvcid__Store__Registration *reg = NULL;
    int r = s_load(st, ctx->txn, hex, id, &reg);
    *rc = r < 0 ? -1 : 0;
    if (r != 0) {
        cmn_call_fail(ctx, &call,
                      r < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_NOT_FOUND);
        return NULL;
    }
    acct_step_t *s = reg->state == want ? acct_step_new(call, id, NULL) : NULL;
    if (s)
        snprintf(s->lang, sizeof(s->lang), "%s", reg->lang);
    else
        cmn_call_fail(ctx, &call,
                      reg->state == want ? DVCID__STATUS__STATUS_INTERNAL
                                         : DVCID__STATUS__STATUS_FLOW_STATE);
    dvcid__store__registration__free_unpacked(reg, NULL);
    return s;
}

int acct_register_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s =
        s_step_for(ctx, call, req->reg_resend->registration_id, ACCT_REG_OTP_PENDING, &rc);
    if (!s)
        return rc;
    acct_step_resend(ctx, st->otp_peer, s, S_REGISTER, NULL, acct_step_sent);
    return 0;
}

/* --- verify ------------------------------------------------------------------- */

static int s_verify_done(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    (void)reply; /* the code was right (acct_step_verify): the registration's phone is proved */
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    Dvcid__Store__Registration *reg = NULL;
    uint8_t id[CMN_ID_BYTES];
    int rc = s_load(st, ctx->txn, s->hex, id, &reg);
    if (rc != 0)
        return acct_step_fail_load(ctx, &s, rc);
    reg->state = ACCT_REG_OTP_VERIFIED;
    if (cmn_db_put_msg(ctx->txn, cmn_db_dbi(st->db, ACCT_DB_REGISTRATIONS), id, CMN_ID_BYTES, reg,
                       0) != CMN_DB_OK) {
        cmn_call_fail(ctx, &s->call, DVCID__STATUS__STATUS_INTERNAL);
        rc = -1;
    } else {
        CMN_DEBUG(cmn_call_trace(s->call), "registration %s phone verified", s->hex);
        acct_reply_state(ctx, &s->call, "otp_verified");
    }
    dvcid__store__registration__free_unpacked(reg, NULL);
    acct_step_destroy(&s);
    return rc;
}

int acct_register_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s =
        s_step_for(ctx, call, req->reg_verify->registration_id, ACCT_REG_OTP_PENDING, &rc);
    if (!s)
        return rc;
    return acct_step_verify(ctx, st->otp_peer, s, S_REGISTER, req->reg_verify->code, s_verify_done);
}

/* --- password ------------------------------------------------------------------ */

static int s_password_done(cmn_ctx_t *ctx, void *arg) {
    acct_step_t *s = arg;
    acct_step_count_hash(ctx, s);
    acct_state_t *st = ctx->self;
    const char *trace = cmn_call_trace(s->call);
    Dvcid__Store__Registration *reg = NULL;
    uint8_t id[CMN_ID_BYTES];
    int rc = s->job->failed ? -1 : s_load(st, ctx->txn, s->hex, id, &reg);
    if (rc != 0 || reg->state != ACCT_REG_OTP_VERIFIED) {
        /* A twin request of this flow finished first, or the flow expired meanwhile. */
        if (reg)
            dvcid__store__registration__free_unpacked(reg, NULL);
        return acct_step_fail_load(ctx, &s, rc < 0 ? -1 : 1);
    }
    MDB_dbi accounts = cmn_db_dbi(st->db, ACCT_DB_ACCOUNTS);
    char masked_id[32], masked_phone[16];
    cmn_mask_id(reg->id_number, masked_id, sizeof(masked_id));
    cmn_mask_phone(reg->phone, masked_phone, sizeof(masked_phone));
    int put =
        acct_account_create(ctx->txn, accounts, reg->id_number, reg->full_name, reg->date_of_birth,
                            reg->email, reg->phone, s->job->hash, cmn_time_now_ms());
    if (put == CMN_DB_OK) { /* the password step's language, else the start's */
        const char *lang = acct_step_lang(s->call);
        if (acct_account_set_lang(ctx->txn, accounts, reg->id_number, lang[0] ? lang : reg->lang) !=
            0)
            put = CMN_DB_ERROR;
    }
    int del = put == CMN_DB_ERROR ? CMN_DB_OK
                                  : cmn_db_del(ctx->txn, cmn_db_dbi(st->db, ACCT_DB_REGISTRATIONS),
                                               id, CMN_ID_BYTES);
    rc = 0;
    if (put == CMN_DB_ERROR || del == CMN_DB_ERROR) {
        cmn_call_fail(ctx, &s->call, DVCID__STATUS__STATUS_INTERNAL);
        rc = -1;
    } else if (put == CMN_DB_EXISTS) {
        /* Another registration of this ID won the race: exactly one account. */
        CMN_INFO(trace, "registration %s lost: account %s exists", s->hex, masked_id);
        cmn_call_fail(ctx, &s->call, DVCID__STATUS__STATUS_ACCOUNT_EXISTS);
    } else {
        CMN_INFO(trace, "account %s created, phone %s", masked_id, masked_phone);
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__AccountReply a = DVCID__ACCOUNT_REPLY__INIT;
        a.id_number = reg->id_number;
        a.phone_masked = masked_phone;
        r.body_case = DVCID__REPLY__BODY_ACCOUNT;
        r.account = &a;
        cmn_call_reply(ctx, &s->call, &r);
    }
    dvcid__store__registration__free_unpacked(reg, NULL);
    acct_step_destroy(&s);
    return rc;
}

/* Pool work: the step carries the job. */
static void s_password_work(void *arg) { acct_password_job_run(((acct_step_t *)arg)->job); }

int acct_register_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__RegPassword *m = req->reg_password;
    /* Field validation comes first (api.md "order of checks"), then the flow's state. */
    acct_details_t d = {.n = 0};
    if (acct_details_password(&d, m->password, m->password_confirm) > 0) {
        acct_reply_details(ctx, &call, &d);
        return 0;
    }
    /* Only read so far: a repeat elsewhere may hash again (the account is put once). */
    cmn_call_rerun_safe(call);
    int rc;
    acct_step_t *s = s_step_for(ctx, call, m->registration_id, ACCT_REG_OTP_VERIFIED, &rc);
    if (!s)
        return rc;
    s->job = acct_password_job_new(m->password, st->cfg->account_argon2_ops,
                                   st->cfg->account_argon2_mem_mib);
    if (!s->job || cmn_service_offload(ctx, s_password_work, s_password_done, s) != 0)
        /* The hashing queue is full: say so now rather than answer late. */
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_UNAVAILABLE, 0);
    return 0;
}

static int s_registration_expired(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    Dvcid__Store__Registration *reg =
        dvcid__store__registration__unpack(NULL, v->mv_size, v->mv_data);
    int old = !reg || reg->expires_ms <= now;
    if (reg)
        dvcid__store__registration__free_unpacked(reg, NULL);
    return old;
}

int acct_register_sweep(acct_state_t *st, MDB_txn *txn, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, ACCT_DBI(st, ACCT_DB_REGISTRATIONS), now, s_registration_expired, NULL,
                        pos);
}
