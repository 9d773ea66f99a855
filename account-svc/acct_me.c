/* acct_me: the signed-in user: profile, adding an OTP phone (what "choose another
 * method" chooses from), logout, and the JWKS other portals verify tokens with. A
 * request here carries the session token; an unknown, expired or ended session is
 * STATUS_UNAUTHORIZED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_account.h"
#include "acct_flow.h"
#include "acct_lockout.h"
#include "acct_session.h"
#include "acct_state.h"
#include "acct_step.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "cmn_validate.h"

#define S_ADD DVCID__PURPOSE__PURPOSE_ADD_PHONE

/* The session of token and its account, or an answer to the call. Returns 0 (found),
 * 1 (answered unauthorized), -1 (answered internal). */
static int s_auth(cmn_ctx_t *ctx, cmn_call_t **call, const char *token, uint8_t key[CMN_HASH_BYTES],
                  Dvcid__Store__Session **sess, Dvcid__Store__Account **acc) {
    acct_state_t *st = ctx->self;
    int rc =
        acct_session_find(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), ACCT_DBI(st, ACCT_DB_ACCOUNTS),
                          token, cmn_time_now_ms(), key, sess, acc);
    if (rc != 0)
        cmn_call_fail(ctx, call,
                      rc < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_UNAUTHORIZED);
    return rc;
}

static void s_free(Dvcid__Store__Session **sess, Dvcid__Store__Account **acc) {
    if (*sess)
        dvcid__store__session__free_unpacked(*sess, NULL);
    *sess = NULL;
    acct_account_free(acc);
}

/* The masked phone list of an account, as PhoneInfo pointers into storage the
 * caller provides (n entries). */
static void s_phones(const Dvcid__Store__Account *acc, Dvcid__PhoneInfo *items,
                     Dvcid__PhoneInfo **ptrs, char (*masks)[16]) {
    for (size_t i = 0; i < acc->n_phones; i++) {
        dvcid__phone_info__init(&items[i]);
        cmn_mask_phone(acc->phones[i]->e164, masks[i], sizeof(masks[i]));
        items[i].phone_masked = masks[i];
        items[i].primary = acc->phones[i]->primary;
        ptrs[i] = &items[i];
    }
}

/* Answers MeReply (me) or PhonesReply (!me) for acc. Returns 0 or -1. */
static int s_reply_account(cmn_ctx_t *ctx, cmn_call_t **call, const char *id_number,
                           const Dvcid__Store__Account *acc, int me) {
    size_t n = acc->n_phones ? acc->n_phones : 1;
    Dvcid__PhoneInfo *items = calloc(n, sizeof(*items));
    Dvcid__PhoneInfo **ptrs = calloc(n, sizeof(Dvcid__PhoneInfo *));
    char(*masks)[16] = calloc(n, sizeof(*masks));
    int rc = -1;
    if (items && ptrs && masks) {
        s_phones(acc, items, ptrs, masks);
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__MeReply m = DVCID__ME_REPLY__INIT;
        Dvcid__PhonesReply p = DVCID__PHONES_REPLY__INIT;
        if (me) {
            m.id_number = (char *)id_number;
            m.full_name = acc->full_name;
            m.n_phones = acc->n_phones;
            m.phones = ptrs;
            r.body_case = DVCID__REPLY__BODY_ME;
            r.me = &m;
        } else {
            p.n_phones = acc->n_phones;
            p.phones = ptrs;
            r.body_case = DVCID__REPLY__BODY_PHONES;
            r.phones = &p;
        }
        cmn_call_reply(ctx, call, &r);
        rc = 0;
    } else {
        cmn_call_fail(ctx, call, DVCID__STATUS__STATUS_INTERNAL);
    }
    free(items);
    free(ptrs);
    free(masks);
    return rc;
}

int acct_me_get(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    uint8_t key[CMN_HASH_BYTES];
    Dvcid__Store__Session *sess = NULL;
    Dvcid__Store__Account *acc = NULL;
    int rc = s_auth(ctx, &call, req->me_get->token, key, &sess, &acc);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = s_reply_account(ctx, &call, sess->id_number, acc, 1);
    s_free(&sess, &acc);
    return rc;
}

int acct_me_logout(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    uint8_t key[CMN_HASH_BYTES];
    Dvcid__Store__Session *sess = NULL;
    Dvcid__Store__Account *acc = NULL;
    int rc = s_auth(ctx, &call, req->logout->token, key, &sess, &acc);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char masked[32];
    cmn_mask_id(sess->id_number, masked, sizeof(masked));
    s_free(&sess, &acc);
    if (acct_session_del(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), key) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    CMN_INFO(cmn_call_trace(call), "signed out: id=%s", masked);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__LogoutReply body = DVCID__LOGOUT_REPLY__INIT;
    r.body_case = DVCID__REPLY__BODY_LOGOUT;
    r.logout = &body;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

int acct_me_jwks(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    (void)req;
    acct_state_t *st = ctx->self;
    size_t n = acct_keys_count(st->keys);
    Dvcid__Jwk items[16];
    Dvcid__Jwk *ptrs[16];
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++) {
        dvcid__jwk__init(&items[i]);
        items[i].kid = (char *)acct_keys_kid(st->keys, i);
        items[i].x = (char *)acct_keys_x(st->keys, i);
        ptrs[i] = &items[i];
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__JwksReply body = DVCID__JWKS_REPLY__INIT;
    body.n_keys = n;
    body.keys = ptrs;
    r.body_case = DVCID__REPLY__BODY_JWKS;
    r.jwks = &body;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

/* --- adding a phone ------------------------------------------------------------------ */

/* A code went to the phone: the session's add-phone flow now waits for it. */
static int s_add_sent(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    if (!acct_reply_is_otp(reply))
        return acct_step_forward_early(ctx, &s, reply); /* otp-svc's refusal, nothing written */
    int rc = acct_step_flow_begin(ctx, s, ACCT_FLOW_ADD_PHONE, NULL, s->phone, 0);
    MDB_val v;
    Dvcid__Store__Session *sess = NULL;
    if (rc == 0 && cmn_db_get(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), s->session, CMN_HASH_BYTES,
                              &v) == CMN_DB_OK)
        sess = dvcid__store__session__unpack(NULL, v.mv_size, v.mv_data);
    if (sess) {
        ProtobufCBinaryData own = sess->add_flow;
        sess->add_flow.data = s->id;
        sess->add_flow.len = CMN_ID_BYTES;
        rc = acct_session_save(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS), s->session, sess);
        sess->add_flow = own;
        dvcid__store__session__free_unpacked(sess, NULL);
    } else {
        rc = -1; /* the session ended meanwhile */
    }
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_UNAUTHORIZED, -1);
    return acct_step_otp(ctx, &s, reply);
}

/* The session's add-phone flow, if one is alive: returns 1 with id set (and *same set
 * to whether its code went to phone, when both are given), else 0. */
static int s_add_flow_to(cmn_ctx_t *ctx, const Dvcid__Store__Session *sess, uint8_t *id,
                         const char *phone, int *same) {
    acct_state_t *st = ctx->self;
    if (sess->add_flow.len != CMN_ID_BYTES)
        return 0;
    Dvcid__Store__Flow *flow = NULL;
    int rc = acct_flow_load_id(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), sess->add_flow.data,
                               ACCT_FLOW_ADD_PHONE, cmn_time_now_ms(), &flow);
    if (rc == 0 && phone && same)
        *same = strcmp(flow->new_phone, phone) == 0;
    acct_flow_free(&flow);
    if (rc != 0)
        return 0;
    memcpy(id, sess->add_flow.data, CMN_ID_BYTES);
    return 1;
}

static int s_add_flow(cmn_ctx_t *ctx, const Dvcid__Store__Session *sess, uint8_t *id) {
    return s_add_flow_to(ctx, sess, id, NULL, NULL);
}

/* Sends the add-phone code of step s: again in the session's flow (its id in s->id)
 * or in a new one. */
static void s_add_send(cmn_ctx_t *ctx, acct_step_t *s, int again) {
    acct_state_t *st = ctx->self;
    /* A second phone in the same session reuses its flow: the resend cooldown and the
     * send cap hold across attempts. */
    if (again)
        acct_step_resend(ctx, st->otp_peer, s, S_ADD, s->phone, s_add_sent);
    else
        acct_step_issue(ctx, st->otp_peer, s, S_ADD, s->phone, 0, s_add_sent);
}

/* Is the session's sign-in recent enough to stand for the password (account.reauth_seconds;
 * 0: never)? A session alone (a stolen cookie, a shared computer) must not add a phone. */
static int s_fresh(const cmn_config_t *cfg, const Dvcid__Store__Session *sess) {
    uint64_t window = (uint64_t)cfg->account_reauth_seconds * 1000u;
    return window && sess->created_ms + window > cmn_time_now_ms();
}

/* The password of an add-phone came back from the pool: a wrong one counts like a
 * sign-in's (acct_lockout); with the right one the code goes to the phone. */
static int s_reauthed(cmn_ctx_t *ctx, void *arg) {
    acct_step_t *s = arg;
    acct_step_count_hash(ctx, s);
    acct_state_t *st = ctx->self;
    uint64_t now = cmn_time_now_ms();
    char source[ACCT_LOCKOUT_SOURCE_MAX];
    acct_lockout_source(cmn_call_client_ip(s->call), source);
    if (s->job->failed)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_UNAVAILABLE, 0);
    if (!s->job->ok) {
        uint32_t retry = 0;
        unsigned events = 0;
        int locked = acct_lockout_fail(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES),
                                       s->id_number, source, now, &retry, &events);
        if (locked < 0)
            return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
        acct_lockout_count(cmn_service_metrics(ctx->svc), events);
        cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_reauth_failures_total", NULL, 1,
                        "wrong passwords given to add a phone to a signed-in account");
        if (locked)
            return acct_step_retry(ctx, &s, DVCID__STATUS__STATUS_ACCOUNT_LOCKED, retry);
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INVALID_CREDENTIALS, 0);
    }
    /* The session may have ended while the password was hashed. */
    Dvcid__Store__Session *sess = NULL;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_session_find_key(ctx->txn, ACCT_DBI(st, ACCT_DB_SESSIONS),
                                   ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->session, now, &sess, &acc);
    if (rc != 0)
        return acct_step_fail(
            ctx, &s, rc < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_UNAUTHORIZED,
            rc < 0 ? -1 : 0);
    uint8_t id[CMN_ID_BYTES];
    int again = s_add_flow(ctx, sess, id);
    if (again) {
        memcpy(s->id, id, CMN_ID_BYTES);
        cmn_id_to_hex(s->id, s->hex);
    }
    s_free(&sess, &acc);
    s_add_send(ctx, s, again);
    return 0;
}

/* Checks the lockout and hands the password of an add-phone to the hashing pool.
 * Returns 0, or -1 after a storage error (the call answered either way). */
static int s_reauth(cmn_ctx_t *ctx, acct_step_t *s, const char *password, const char *hash) {
    acct_state_t *st = ctx->self;
    char source[ACCT_LOCKOUT_SOURCE_MAX];
    acct_lockout_source(cmn_call_client_ip(s->call), source);
    uint32_t retry = 0;
    int locked = acct_lockout_check(st->cfg, ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), s->id_number,
                                    source, cmn_time_now_ms(), &retry);
    if (locked < 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    if (locked)
        return acct_step_retry(ctx, &s, acct_lockout_status(locked), retry);
    return acct_step_check(ctx, s, password, hash, s_reauthed);
}

int acct_me_add_phone(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const Dvcid__MeAddPhone *m = req->me_add_phone;
    uint8_t key[CMN_HASH_BYTES], id[CMN_ID_BYTES];
    Dvcid__Store__Session *sess = NULL;
    Dvcid__Store__Account *acc = NULL;
    int rc = s_auth(ctx, &call, m->token, key, &sess, &acc);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    char phone[CMN_PHONE_E164_MAX];
    const char *bad = cmn_valid_phone(m->phone, phone);
    if (!bad && acct_account_phone_index(acc, phone) >= 0)
        bad = "already_added";
    /* A resend to the phone of the session's live flow was re-authenticated when the
     * flow began. */
    int same = 0;
    int again = bad ? 0 : s_add_flow_to(ctx, sess, id, phone, &same);
    int fresh = s_fresh(st->cfg, sess) || (again && same);
    if (bad || (!fresh && !m->password[0])) {
        s_free(&sess, &acc);
        acct_details_t d = {.n = 0};
        acct_details_add(&d, "phone", bad);
        if (!fresh && !m->password[0])
            acct_details_add(&d, "password", "required"); /* re-authentication */
        acct_reply_details(ctx, &call, &d);
        return 0;
    }
    acct_step_t *s = acct_step_new(call, again ? id : NULL, sess->id_number);
    if (!s) {
        s_free(&sess, &acc);
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    snprintf(s->id_number, sizeof(s->id_number), "%s", sess->id_number);
    snprintf(s->phone, sizeof(s->phone), "%s", phone);
    memcpy(s->session, key, CMN_HASH_BYTES);
    if (!fresh) {
        rc = s_reauth(ctx, s, m->password, acc->password_hash);
        s_free(&sess, &acc);
        return rc;
    }
    s_free(&sess, &acc);
    s_add_send(ctx, s, again);
    return 0;
}

static int s_add_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    acct_step_t *s = arg;
    acct_state_t *st = ctx->self;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc == 0) /* the phones the account has hear of the new one */
        rc = acct_notice_put_all(st->notice, ctx, cmn_call_trace(s->call), s->id_number, acc,
                                 reply->otp_verified->phone);
    if (rc == 0)
        rc = acct_account_save_with_phone(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number,
                                          acc, reply->otp_verified->phone, 0, cmn_time_now_ms());
    acct_account_free(&acc);
    if (rc == 0)
        rc = acct_flow_del(ctx->txn, ACCT_DBI(st, ACCT_DB_FLOWS), s->id);
    if (rc == 0)
        rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), s->id_number, &acc);
    if (rc != 0)
        return acct_step_fail(ctx, &s, DVCID__STATUS__STATUS_INTERNAL, -1);
    char masked[16], masked_id[32];
    cmn_mask_phone(reply->otp_verified->phone, masked, sizeof(masked));
    cmn_mask_id(s->id_number, masked_id, sizeof(masked_id));
    CMN_INFO(cmn_call_trace(s->call), "OTP phone added: id=%s phone=%s", masked_id, masked);
    rc = s_reply_account(ctx, &s->call, s->id_number, acc, 0);
    acct_account_free(&acc);
    acct_step_destroy(&s);
    return rc;
}

int acct_me_add_phone_verify(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    uint8_t key[CMN_HASH_BYTES], id[CMN_ID_BYTES];
    Dvcid__Store__Session *sess = NULL;
    Dvcid__Store__Account *acc = NULL;
    int rc = s_auth(ctx, &call, req->me_add_phone_verify->token, key, &sess, &acc);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    int pending = s_add_flow(ctx, sess, id);
    acct_step_t *s = pending ? acct_step_new(call, id, NULL) : NULL;
    if (s)
        snprintf(s->id_number, sizeof(s->id_number), "%s", sess->id_number);
    s_free(&sess, &acc);
    if (!s) {
        /* No phone is waiting for a code in this session. */
        cmn_call_fail(ctx, &call,
                      pending ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_FLOW_STATE);
        return 0;
    }
    return acct_step_verify(ctx, st->otp_peer, s, S_ADD, req->me_add_phone_verify->code,
                            s_add_verified);
}
