/* acct_register: the registration flow (flows.md section 1) as a flow of its own kind
 * (acct_flow, ACCT_FLOW_REGISTER): start (fields, captcha, account exists?) -> OTP to the
 * phone -> verify -> password (argon2id off the loop) -> account, written with
 * MDB_NOOVERWRITE so two registrations of one ID give exactly one account. */
#include <errno.h>
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

/* The registration a request names, in state want (see acct_step_for_flow). */
static acct_step_t *s_step_for(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex,
                               acct_flow_state_t want, int *rc) {
    return acct_step_for_flow(ctx, call, hex, ACCT_FLOW_REGISTER, ACCT_STATE_BIT(want), NULL, rc);
}

/* --- start -------------------------------------------------------------------- */

static int s_start_done(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    /* No code went out: the flow must not linger with the person's data. */
    if (!acct_reply_is_otp(reply))
        return acct_step_unissued(ctx, &s, reply);
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
    return acct_step_reply(ctx, &s, &r);
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
    acct_step_t *s = acct_step_new(call, NULL, m->id_number);
    if (!s) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    Dvcid__Store__Person person = DVCID__STORE__PERSON__INIT;
    person.full_name = name;
    person.date_of_birth = m->date_of_birth;
    person.email = m->email;
    Dvcid__Store__Flow flow = DVCID__STORE__FLOW__INIT;
    flow.kind = ACCT_FLOW_REGISTER;
    flow.id_number = m->id_number;
    flow.state = ACCT_FLOW_OTP_PENDING;
    flow.phone = phone;
    flow.expires_ms = now + (uint64_t)st->cfg->account_registration_ttl * 1000u;
    flow.lang = (char *)acct_step_lang(call);
    flow.person = &person;
    if (acct_flow_save(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id, &flow) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
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

int acct_register_resend(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s =
        s_step_for(ctx, call, req->reg_resend->registration_id, ACCT_FLOW_OTP_PENDING, &rc);
    if (!s)
        return rc;
    acct_step_resend(ctx, st->otp_peer, s, S_REGISTER, NULL, acct_step_sent);
    return 0;
}

/* --- verify ------------------------------------------------------------------- */

int acct_register_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    int rc;
    acct_step_t *s =
        s_step_for(ctx, call, req->reg_verify->registration_id, ACCT_FLOW_OTP_PENDING, &rc);
    if (!s)
        return rc;
    /* The code right, the registration's phone is proved: the password comes next. */
    return acct_step_verify(ctx, st->otp_peer, s, S_REGISTER, req->reg_verify->code,
                            acct_step_verified);
}

/* --- password ------------------------------------------------------------------ */

/* Makes the account of a verified registration (its flow goes); answers the call. */
static int s_account_make(cmn_ctx_t *ctx, acct_step_t *s, const Dvcid__Store__Flow *flow) {
    acct_state_t *st = ctx->self;
    const char *trace = cmn_call_trace(s->call);
    const Dvcid__Store__Person *p = flow->person;
    if (!p) /* a registration always has its person */
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    MDB_dbi accounts = ACCT_DBI(st, ACCT_DB_ACCOUNTS);
    char masked_id[32], masked_phone[16];
    cmn_mask_id(flow->id_number, masked_id, sizeof(masked_id));
    cmn_mask_phone(flow->phone, masked_phone, sizeof(masked_phone));
    int put =
        acct_account_create(ctx->txn, accounts, flow->id_number, p->full_name, p->date_of_birth,
                            p->email, flow->phone, s->job->hash, cmn_time_now_ms());
    if (put == CMN_DB_OK) { /* the password step's language, else the start's */
        const char *lang = acct_step_lang(s->call);
        if (acct_account_set_lang(ctx->txn, accounts, flow->id_number,
                                  lang[0] ? lang : flow->lang) != 0)
            put = CMN_DB_ERROR;
    }
    if (put == CMN_DB_ERROR || acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id) != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    if (put == CMN_DB_EXISTS) {
        /* Another registration of this ID won the race: exactly one account. */
        CMN_INFO(trace, "registration %s lost: account %s exists", s->hex, masked_id);
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_ACCOUNT_EXISTS, 0);
    }
    CMN_INFO(trace, "account %s created, phone %s", masked_id, masked_phone);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__AccountReply a = DVCID__ACCOUNT_REPLY__INIT;
    a.id_number = flow->id_number;
    a.phone_masked = masked_phone;
    r.body_case = DVCID__REPLY__BODY_ACCOUNT;
    r.account = &a;
    return acct_step_reply(ctx, &s, &r);
}

static int s_password_done(cmn_ctx_t *ctx, void *arg) {
    acct_step_t *s = arg;
    acct_step_count_hash(ctx, s);
    if (s->job->failed)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    /* A twin request of this flow may have finished first, or the flow expired meanwhile. */
    Dvcid__Store__Flow *flow = NULL;
    int rc = acct_step_reload(ctx, &s, ACCT_STATE_BIT(ACCT_FLOW_OTP_VERIFIED), &flow);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = s_account_make(ctx, s, flow);
    acct_flow_free(&flow);
    return rc;
}

int acct_register_password(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
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
    acct_step_t *s = s_step_for(ctx, call, m->registration_id, ACCT_FLOW_OTP_VERIFIED, &rc);
    if (!s)
        return rc;
    return acct_step_hash(ctx, s, m->password, s_password_done);
}

/* --- the registrations table of before ------------------------------------------ */

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

/* A registration of the old table as a flow (its strings borrowed). */
static void s_as_flow(const Dvcid__Store__Registration *reg, Dvcid__Store__Person *p,
                      Dvcid__Store__Flow *f) {
    p->full_name = reg->full_name;
    p->date_of_birth = reg->date_of_birth;
    p->email = reg->email;
    f->kind = ACCT_FLOW_REGISTER;
    f->id_number = reg->id_number;
    f->state = reg->state == ACCT_REG_OTP_VERIFIED ? ACCT_FLOW_OTP_VERIFIED : ACCT_FLOW_OTP_PENDING;
    f->phone = reg->phone;
    f->expires_ms = reg->expires_ms;
    f->lang = reg->lang;
    f->person = p;
}

int acct_register_migrate(acct_state_t *st) {
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint64_t now = cmn_time_now_ms();
    int moved = 0, rc = cmn_db_txn_begin(st->db, NULL, 0, &txn);
    if (rc != 0)
        return -1;
    rc = cmn_db_note(mdb_cursor_open(txn, ACCT_DBI(st, ACCT_DB_REGISTRATIONS), &cur));
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc != 0 || k.mv_size != CMN_ID_BYTES)
            break;
        Dvcid__Store__Registration *reg =
            dvcid__store__registration__unpack(NULL, v.mv_size, v.mv_data);
        if (reg && reg->expires_ms > now) {
            Dvcid__Store__Person p = DVCID__STORE__PERSON__INIT;
            Dvcid__Store__Flow f = DVCID__STORE__FLOW__INIT;
            s_as_flow(reg, &p, &f);
            rc = acct_flow_save(txn, ACCT_DBI(st, ACCT_DB_FLOWS), k.mv_data, &f) == 0 ? 0 : EIO;
            moved += rc == 0;
        }
        if (reg)
            dvcid__store__registration__free_unpacked(reg, NULL);
    }
    if (cur)
        mdb_cursor_close(cur);
    /* Moved or expired, none stays: the table is emptied in the same transaction. */
    if (rc == 0)
        rc = cmn_db_note(mdb_drop(txn, ACCT_DBI(st, ACCT_DB_REGISTRATIONS), 0));
    if (rc == 0)
        rc = cmn_db_note(mdb_txn_commit(txn));
    else
        mdb_txn_abort(txn);
    if (rc != 0) {
        CMN_ERROR(NULL, "moving registrations into flows: %s", mdb_strerror(rc));
        return -1;
    }
    if (moved)
        CMN_INFO(NULL, "%d registration(s) in progress moved into flows", moved);
    return moved;
}
