/* tap_acct.h: account-svc's flows in one process, for their unit tests (test_acct_*.c).
 * The real account-svc (acct_service_new: its routes, its LMDB, its hashing pool) runs
 * its loop in a thread on ipc endpoints of a temporary directory. The test plays the
 * gateway (a DEALER) and otp-svc (a ROUTER bound where account-svc looks for it): a
 * small model of otp-svc that remembers which phone each flow's code went to, takes
 * TAP_ACCT_CODE as the right code, and can be told to refuse (tap_acct_t.otp_refuse) or
 * to stay silent (tap_acct_t.otp_mute: then the request's deadline, tap_acct_t.deadline_in).
 * What account-svc asked of otp-svc is counted, so a test can assert that a step did
 * (or did not) reach it. One per process: the loop stops on SIGTERM. */
#ifndef DVCID_TAP_ACCT_H
#define DVCID_TAP_ACCT_H

#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_flow.h"
#include "acct_service.h"
#include "acct_state.h"
#include "cmn_config.h"
#include "cmn_crypto.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "proto/dvcid.pb-c.h"
#include "tap.h"

#define TAP_ACCT_CODE "123456"
#define TAP_ACCT_CAPTCHA "TESTPASS" /* captcha.test_answer */
#define TAP_ACCT_FLOWS 64

typedef struct {
    char dir[64];
    cmn_config_t cfg;
    acct_service_t *svc;
    pthread_t loop;
    int running;
    zsock_t *gw;  /* the test as the gateway */
    zsock_t *otp; /* the test as otp-svc */
    uint64_t rid;
    /* What account-svc asked of otp-svc, by body. */
    int issued, resent, verifies, notices;
    int last_purpose;
    int last_silent;
    char last_phone[20];
    /* Set by the test: otp-svc answers every issue/resend/verify with this status. */
    Dvcid__Status otp_refuse;
    /* Set by the test: otp-svc takes every issue/resend/verify in (counted above and in
     * muted) and never answers; the gateway's requests then carry a deadline deadline_in
     * ms ahead (0: none). */
    int otp_mute, muted;
    int deadline_in;
    /* The model's flows: where each flow's code went. */
    struct {
        uint8_t id[16];
        char phone[20];
        int silent; /* a decoy's challenge: no SMS, never verifies (as otp-svc's) */
    } flows[TAP_ACCT_FLOWS];
    int nflows;
} tap_acct_t;

static inline void *tap_acct_loop(void *arg) {
    acct_service_run(arg);
    return NULL;
}

/* Makes the test settings (fast argon2id, the test captcha answer, ipc endpoints in a
 * new temporary directory); tune, when not NULL, changes them. Returns 0 or -1. */
static inline int tap_acct_config(tap_acct_t *t, void (*tune)(cmn_config_t *)) {
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/tap_acct_XXXXXX");
    if (cmn_crypto_init() != 0 || !mkdtemp(t->dir) ||
        cmn_log_init("account-svc", getenv("TAP_ACCT_LOG") ? "debug" : "warn") != 0)
        return -1;
    cmn_config_defaults(&t->cfg);
    snprintf(t->cfg.storage_dir, sizeof(t->cfg.storage_dir), "%s", t->dir);
    snprintf(t->cfg.account_endpoint, sizeof(t->cfg.account_endpoint), "ipc://%s/acct.ipc", t->dir);
    snprintf(t->cfg.otp_endpoint, sizeof(t->cfg.otp_endpoint), "ipc://%s/otp.ipc", t->dir);
    snprintf(t->cfg.captcha_test_answer, sizeof(t->cfg.captcha_test_answer), "%s",
             TAP_ACCT_CAPTCHA);
    t->cfg.storage_map_size_mib = 64;
    t->cfg.account_argon2_ops = 1;
    t->cfg.account_argon2_mem_mib = 1;
    t->cfg.account_hash_workers = 1;
    if (tune)
        tune(&t->cfg);
    return 0;
}

/* Starts account-svc on the settings of tap_acct_config. Returns 0 or -1. */
static inline int tap_acct_run(tap_acct_t *t) {
    t->otp = zsock_new_router(t->cfg.otp_endpoint);
    t->svc = t->otp ? acct_service_new(&t->cfg) : NULL;
    t->gw = t->svc ? zsock_new_dealer(t->cfg.account_endpoint) : NULL;
    if (!t->gw)
        return -1;
    if (pthread_create(&t->loop, NULL, tap_acct_loop, t->svc) != 0)
        return -1;
    t->running = 1;
    return 0;
}

/* tap_acct_config, then tap_acct_run. */
static inline int tap_acct_start(tap_acct_t *t, void (*tune)(cmn_config_t *)) {
    return tap_acct_config(t, tune) == 0 ? tap_acct_run(t) : -1;
}

/* Stops the loop and frees the service, keeping its directory (to look at its LMDB). */
static inline void tap_acct_stop_keep(tap_acct_t *t) {
    if (t->running) {
        raise(SIGTERM);
        pthread_join(t->loop, NULL);
        t->running = 0;
    }
    zsock_destroy(&t->gw);
    acct_service_destroy(&t->svc);
    zsock_destroy(&t->otp);
}

/* The same, and removes the directory. */
static inline void tap_acct_stop(tap_acct_t *t) {
    tap_acct_stop_keep(t);
    if (t->dir[0])
        tap_rm_rf(t->dir);
    t->dir[0] = '\0';
}

/* The model's flow of a flow id, made when new. */
static inline char *tap_acct_flow_phone(tap_acct_t *t, const ProtobufCBinaryData *id) {
    for (int i = 0; i < t->nflows; i++)
        if (id->len == 16 && memcmp(t->flows[i].id, id->data, 16) == 0)
            return t->flows[i].phone;
    if (id->len != 16 || t->nflows == TAP_ACCT_FLOWS)
        return NULL;
    memcpy(t->flows[t->nflows].id, id->data, 16);
    t->flows[t->nflows].phone[0] = '\0';
    t->flows[t->nflows].silent = 0;
    return t->flows[t->nflows++].phone;
}

/* Whether the model's flow of this phone slot is a decoy's. */
static inline int *tap_acct_flow_silent(tap_acct_t *t, const char *phone) {
    for (int i = 0; i < t->nflows; i++)
        if (t->flows[i].phone == phone)
            return &t->flows[i].silent;
    return NULL;
}

/* otp-svc's answer to one ask, as the model sees it. */
static inline void tap_acct_otp_answer(tap_acct_t *t, const Dvcid__Request *ask, Dvcid__Reply *r,
                                       Dvcid__Error *e, Dvcid__OtpSentReply *sent,
                                       Dvcid__OtpInfo *info, Dvcid__OtpVerifyReply *ok,
                                       Dvcid__Pong *pong, Dvcid__Count *left) {
    static Dvcid__OtpNoticeReply notice = DVCID__OTP_NOTICE_REPLY__INIT;
    info->length = 6;
    info->expires_in = 300;
    info->resend_after = 60;
    info->phone_masked = "******0000";
    sent->otp = info;
    char *phone = NULL;
    switch (ask->body_case) {
    case DVCID__REQUEST__BODY_PING:
        pong->service = "otp-svc";
        pong->ready = true;
        r->body_case = DVCID__REPLY__BODY_PONG;
        r->pong = pong;
        return;
    case DVCID__REQUEST__BODY_OTP_NOTICE:
        t->notices++;
        r->body_case = DVCID__REPLY__BODY_OTP_NOTICE;
        r->otp_notice = &notice;
        return;
    case DVCID__REQUEST__BODY_OTP_ISSUE:
        t->issued++;
        t->last_purpose = ask->otp_issue->purpose;
        t->last_silent = ask->otp_issue->silent;
        snprintf(t->last_phone, sizeof(t->last_phone), "%s", ask->otp_issue->phone);
        phone = tap_acct_flow_phone(t, &ask->otp_issue->flow_id);
        if (phone) {
            snprintf(phone, 20, "%s", ask->otp_issue->phone);
            *tap_acct_flow_silent(t, phone) = ask->otp_issue->silent;
        }
        break;
    case DVCID__REQUEST__BODY_OTP_RESEND:
        t->resent++;
        t->last_purpose = ask->otp_resend->purpose;
        snprintf(t->last_phone, sizeof(t->last_phone), "%s", ask->otp_resend->phone);
        phone = tap_acct_flow_phone(t, &ask->otp_resend->flow_id);
        if (phone && ask->otp_resend->phone[0])
            snprintf(phone, 20, "%s", ask->otp_resend->phone);
        break;
    case DVCID__REQUEST__BODY_OTP_VERIFY:
        t->verifies++;
        t->last_purpose = ask->otp_verify->purpose;
        phone = tap_acct_flow_phone(t, &ask->otp_verify->flow_id);
        break;
    default:
        e->status = DVCID__STATUS__STATUS_UNAVAILABLE;
        r->error = e;
        return;
    }
    if (t->otp_refuse || !phone) {
        e->status = t->otp_refuse ? t->otp_refuse : DVCID__STATUS__STATUS_NOT_FOUND;
        r->error = e;
    } else if (ask->body_case != DVCID__REQUEST__BODY_OTP_VERIFY) {
        r->body_case = DVCID__REPLY__BODY_OTP_SENT;
        r->otp_sent = sent;
    } else if (strcmp(ask->otp_verify->code, TAP_ACCT_CODE) == 0 &&
               !*tap_acct_flow_silent(t, phone)) {
        ok->phone = phone;
        r->body_case = DVCID__REPLY__BODY_OTP_VERIFIED;
        r->otp_verified = ok;
    } else {
        e->status = DVCID__STATUS__STATUS_OTP_INVALID;
        left->value = 4;
        e->attempts_left = left;
        r->error = e;
    }
}

/* Answers the ask waiting on the otp ROUTER. */
static inline void tap_acct_otp_serve(tap_acct_t *t) {
    zmsg_t *m = zmsg_recv(t->otp);
    if (!m)
        return;
    zframe_t *who = zmsg_pop(m), *body = zmsg_pop(m);
    Dvcid__Request *ask =
        body ? dvcid__request__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
    if (ask) {
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__Error e = DVCID__ERROR__INIT;
        Dvcid__OtpSentReply sent = DVCID__OTP_SENT_REPLY__INIT;
        Dvcid__OtpInfo info = DVCID__OTP_INFO__INIT;
        Dvcid__OtpVerifyReply ok = DVCID__OTP_VERIFY_REPLY__INIT;
        Dvcid__Pong pong = DVCID__PONG__INIT;
        Dvcid__Count left = DVCID__COUNT__INIT;
        tap_acct_otp_answer(t, ask, &r, &e, &sent, &info, &ok, &pong, &left);
        r.request_id = ask->request_id;
        uint8_t buf[512];
        size_t n = dvcid__reply__pack(&r, buf);
        int otp_ask = ask->body_case == DVCID__REQUEST__BODY_OTP_ISSUE ||
                      ask->body_case == DVCID__REQUEST__BODY_OTP_RESEND ||
                      ask->body_case == DVCID__REQUEST__BODY_OTP_VERIFY;
        if (t->otp_mute && otp_ask)
            t->muted++;
        else
            zsock_send(t->otp, "fb", who, buf, n);
        dvcid__request__free_unpacked(ask, NULL);
    }
    zframe_destroy(&who);
    zframe_destroy(&body);
    zmsg_destroy(&m);
}

/* Serves otp-svc's part for ms milliseconds, or until what is true (when not NULL). */
static inline void tap_acct_pump(tap_acct_t *t, int ms, const int *what) {
    for (int64_t until = zclock_mono() + ms; zclock_mono() < until && !(what && *what);) {
        zpoller_t *p = zpoller_new(t->otp, NULL);
        if (zpoller_wait(p, 100) == t->otp)
            tap_acct_otp_serve(t);
        zpoller_destroy(&p);
    }
}

/* Sends req as the gateway and returns account-svc's reply (caller frees), serving
 * otp-svc's part meanwhile; NULL after 20 s without one. */
static inline Dvcid__Reply *tap_acct_call(tap_acct_t *t, Dvcid__Request *req) {
    req->origin = 77;
    req->request_id = ++t->rid;
    if (!req->client_ip || !req->client_ip[0])
        req->client_ip = "192.0.2.10";
    if (t->deadline_in > 0)
        req->deadline_ms = cmn_time_now_ms() + (uint64_t)t->deadline_in;
    size_t n = dvcid__request__get_packed_size(req);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    dvcid__request__pack(req, buf);
    int sent = zsock_send(t->gw, "b", buf, n);
    free(buf);
    if (sent != 0)
        return NULL;
    zpoller_t *p = zpoller_new(t->gw, t->otp, NULL);
    Dvcid__Reply *reply = NULL;
    for (int64_t until = zclock_mono() + 20000; !reply && zclock_mono() < until;) {
        void *which = zpoller_wait(p, 200);
        if (which == t->otp) {
            tap_acct_otp_serve(t);
        } else if (which == t->gw) {
            zframe_t *f = zframe_recv(t->gw);
            Dvcid__Reply *r = f ? dvcid__reply__unpack(NULL, zframe_size(f), zframe_data(f)) : NULL;
            zframe_destroy(&f);
            if (r && r->request_id == t->rid)
                reply = r;
            else if (r)
                dvcid__reply__free_unpacked(r, NULL);
        }
    }
    zpoller_destroy(&p);
    return reply;
}

/* Sends msg, a message of the Request oneof's field number body, as the gateway (through
 * protobuf-c's descriptor: where the field and its case live in a Request). */
static inline Dvcid__Reply *tap_acct_ask(tap_acct_t *t, Dvcid__Request__BodyCase body, void *msg) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&dvcid__request__descriptor, (unsigned)body);
    if (!f)
        return NULL;
    *(void **)((char *)&req + f->offset) = msg;
    *(uint32_t *)((char *)&req + f->quantifier_offset) = (uint32_t)body;
    return tap_acct_call(t, &req);
}

/* The status of a reply (0 for success, -1 for none at all). */
static inline int tap_acct_status(const Dvcid__Reply *r) {
    return !r ? -1 : r->error ? (int)r->error->status : 0;
}

/* Whether a validation_failed reply names field with code. */
static inline int tap_acct_detail(const Dvcid__Reply *r, const char *field, const char *code) {
    for (size_t i = 0; r && r->error && i < r->error->n_details; i++)
        if (strcmp(r->error->details[i]->field, field) == 0 &&
            strcmp(r->error->details[i]->code, code) == 0)
            return 1;
    return 0;
}

/* A new captcha's id, into id (CMN_ID_HEX bytes). Returns 0 or -1. */
static inline int tap_acct_captcha(tap_acct_t *t, char *id, size_t idlen) {
    Dvcid__CaptchaNew body = DVCID__CAPTCHA_NEW__INIT;
    Dvcid__Reply *r = tap_acct_ask(t, DVCID__REQUEST__BODY_CAPTCHA_NEW, &body);
    int ok = r && !r->error && r->body_case == DVCID__REPLY__BODY_CAPTCHA;
    if (ok)
        snprintf(id, idlen, "%s", r->captcha->captcha_id);
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
    return ok ? 0 : -1;
}

/* The registration flow's requests: a start with these fields and a fresh captcha
 * (answered right, or wrong), a resend, a code, the password. Caller frees the reply. */
static inline Dvcid__Reply *tap_acct_reg_start(tap_acct_t *t, const char *id, const char *dob,
                                               const char *phone, int wrong) {
    char captcha[64] = "";
    CHECK(tap_acct_captcha(t, captcha, sizeof(captcha)) == 0, "captcha");
    Dvcid__RegStart m = DVCID__REG_START__INIT;
    m.id_number = (char *)id;
    m.full_name = "Nguyễn Văn An";
    m.date_of_birth = (char *)dob;
    m.phone = (char *)phone;
    m.captcha_id = captcha;
    m.captcha_answer = wrong ? "WRONG" : TAP_ACCT_CAPTCHA;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_REG_START, &m);
}

static inline Dvcid__Reply *tap_acct_reg_resend(tap_acct_t *t, const char *rid) {
    Dvcid__RegResend m = DVCID__REG_RESEND__INIT;
    m.registration_id = (char *)rid;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_REG_RESEND, &m);
}

static inline Dvcid__Reply *tap_acct_reg_verify(tap_acct_t *t, const char *rid, const char *code) {
    Dvcid__RegVerify m = DVCID__REG_VERIFY__INIT;
    m.registration_id = (char *)rid;
    m.code = (char *)code;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_REG_VERIFY, &m);
}

static inline Dvcid__Reply *tap_acct_reg_password(tap_acct_t *t, const char *rid, const char *pw,
                                                  const char *confirm) {
    Dvcid__RegPassword m = DVCID__REG_PASSWORD__INIT;
    m.registration_id = (char *)rid;
    m.password = (char *)pw;
    m.password_confirm = (char *)confirm;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_REG_PASSWORD, &m);
}

/* A whole registration of id with phone, password S_PASSWORD-like pw: 0 when the account
 * was made. */
static inline int tap_acct_register(tap_acct_t *t, const char *id, const char *dob,
                                    const char *phone, const char *pw) {
    char rid[64] = "";
    Dvcid__Reply *r = tap_acct_reg_start(t, id, dob, phone, 0);
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_REG_START)
        snprintf(rid, sizeof(rid), "%s", r->reg_start->registration_id);
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
    r = rid[0] ? tap_acct_reg_verify(t, rid, TAP_ACCT_CODE) : NULL;
    int ok = r && !r->error;
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
    r = ok ? tap_acct_reg_password(t, rid, pw, pw) : NULL;
    ok = r && !r->error && r->body_case == DVCID__REPLY__BODY_ACCOUNT;
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
    return ok ? 0 : -1;
}

/* The sign-in flow's first request, with a fresh captcha; caller frees the reply. */
static inline Dvcid__Reply *tap_acct_login_start(tap_acct_t *t, const char *id,
                                                 const char *password) {
    char captcha[64] = "";
    CHECK(tap_acct_captcha(t, captcha, sizeof(captcha)) == 0, "captcha");
    Dvcid__LoginStart m = DVCID__LOGIN_START__INIT;
    m.id_number = (char *)id;
    m.password = (char *)password;
    m.captcha_id = captcha;
    m.captcha_answer = TAP_ACCT_CAPTCHA;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_LOGIN_START, &m);
}

static inline Dvcid__Reply *tap_acct_login_verify(tap_acct_t *t, const char *lid,
                                                  const char *code) {
    Dvcid__LoginVerify m = DVCID__LOGIN_VERIFY__INIT;
    m.login_id = (char *)lid;
    m.code = (char *)code;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_LOGIN_VERIFY, &m);
}

/* A whole sign-in: the session token into token (empty when it failed). */
static inline void tap_acct_login(tap_acct_t *t, const char *id, const char *password, char *token,
                                  size_t len) {
    char lid[64] = "";
    token[0] = '\0';
    Dvcid__Reply *r = tap_acct_login_start(t, id, password);
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_LOGIN_START)
        snprintf(lid, sizeof(lid), "%s", r->login_start->login_id);
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
    r = lid[0] ? tap_acct_login_verify(t, lid, TAP_ACCT_CODE) : NULL;
    if (r && !r->error && r->body_case == DVCID__REPLY__BODY_SESSION)
        snprintf(token, len, "%s", r->session->token);
    if (r)
        dvcid__reply__free_unpacked(r, NULL);
}

/* Lost phone: a code to new_phone, then that code (caller frees the reply). */
static inline Dvcid__Reply *tap_acct_login_phone(tap_acct_t *t, const char *lid,
                                                 const char *new_phone) {
    Dvcid__LoginPhone m = DVCID__LOGIN_PHONE__INIT;
    m.login_id = (char *)lid;
    m.new_phone = (char *)new_phone;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_LOGIN_PHONE, &m);
}

static inline Dvcid__Reply *tap_acct_login_phone_verify(tap_acct_t *t, const char *lid,
                                                        const char *code) {
    Dvcid__LoginPhoneVerify m = DVCID__LOGIN_PHONE_VERIFY__INIT;
    m.login_id = (char *)lid;
    m.code = (char *)code;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY, &m);
}

/* Adding a phone to the signed-in account (password "" for none), then its code. */
static inline Dvcid__Reply *tap_acct_add_phone(tap_acct_t *t, const char *token, const char *phone,
                                               const char *password) {
    Dvcid__MeAddPhone m = DVCID__ME_ADD_PHONE__INIT;
    m.token = (char *)token;
    m.phone = (char *)phone;
    m.password = (char *)password;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_ME_ADD_PHONE, &m);
}

static inline Dvcid__Reply *tap_acct_add_phone_verify(tap_acct_t *t, const char *token,
                                                      const char *code) {
    Dvcid__MeAddPhoneVerify m = DVCID__ME_ADD_PHONE_VERIFY__INIT;
    m.token = (char *)token;
    m.code = (char *)code;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY, &m);
}

/* The signed-in user's MeGet; caller frees the reply. */
static inline Dvcid__Reply *tap_acct_me(tap_acct_t *t, const char *token) {
    Dvcid__MeGet m = DVCID__ME_GET__INIT;
    m.token = (char *)token;
    return tap_acct_ask(t, DVCID__REQUEST__BODY_ME_GET, &m);
}

/* Writes a flow of kind in state for id_number (phone in E.164, "" for none), expiring at
 * expires (unix ms), into account-svc's LMDB between tap_acct_config and tap_acct_run;
 * a registration gets a person. Its id into hex. Returns 0 or -1. */
static inline int tap_acct_flow_put(tap_acct_t *t, acct_flow_kind_t kind, acct_flow_state_t state,
                                    const char *id_number, const char *phone, uint64_t expires,
                                    char hex[CMN_ID_HEX]) {
    uint8_t id[CMN_ID_BYTES];
    cmn_shard_id_make(id, cmn_shard_key_of_id_number(id_number));
    cmn_id_to_hex(id, hex);
    Dvcid__Store__Person person = DVCID__STORE__PERSON__INIT;
    person.full_name = "Lê Văn Cường";
    person.date_of_birth = "1990-05-17";
    Dvcid__Store__Flow f = DVCID__STORE__FLOW__INIT;
    f.kind = kind;
    f.state = state;
    f.id_number = (char *)id_number;
    f.phone = (char *)phone;
    f.expires_ms = expires;
    f.lang = "vi";
    if (kind == ACCT_FLOW_REGISTER)
        f.person = &person;
    cmn_db_t *db = acct_service_db_open(&t->cfg, 0);
    MDB_txn *txn = NULL;
    int rc = db ? cmn_db_txn_begin(db, NULL, 0, &txn) : -1;
    if (rc == 0)
        rc = acct_flow_save(txn, cmn_db_dbi(db, ACCT_DB_FLOWS), id, &f);
    if (rc == 0)
        rc = mdb_txn_commit(txn) == 0 ? 0 : -1;
    else if (txn)
        mdb_txn_abort(txn);
    cmn_db_destroy(&db);
    return rc;
}

/* The id of the flow otp-svc heard of last (as hex, "" when none). */
static inline void tap_acct_last_flow(const tap_acct_t *t, char hex[CMN_ID_HEX]) {
    hex[0] = '\0';
    if (t->nflows > 0)
        cmn_id_to_hex(t->flows[t->nflows - 1].id, hex);
}

/* Frees a reply and nullifies the pointer. */
static inline void tap_acct_free(Dvcid__Reply **r) {
    if (*r)
        dvcid__reply__free_unpacked(*r, NULL);
    *r = NULL;
}

/* How many times account-svc asked otp-svc for or about a code. */
static inline int tap_acct_asks(const tap_acct_t *t) { return t->issued + t->resent + t->verifies; }

/* Checks that the reply of ask (an expression) has status want (0: success), and frees it. */
#define TAP_ACCT_EXPECT(ask, want, what)                                                           \
    do {                                                                                           \
        Dvcid__Reply *expect_r_ = (ask);                                                           \
        CHECK(tap_acct_status(expect_r_) == (int)(want), "%s: %d", what,                           \
              tap_acct_status(expect_r_));                                                         \
        tap_acct_free(&expect_r_);                                                                 \
    } while (0)

/* The same, and otp-svc was not asked meanwhile (account-svc answered it alone). */
#define TAP_ACCT_QUIET(t, ask, want, what)                                                         \
    do {                                                                                           \
        int quiet_n_ = tap_acct_asks(t);                                                           \
        TAP_ACCT_EXPECT(ask, want, what);                                                          \
        CHECK(tap_acct_asks(t) == quiet_n_, "%s: otp-svc asked", what);                            \
    } while (0)

/* The same with otp-svc (the model of tap t) answering status to ask's issue, resend or
 * verify: account-svc answers otp-svc's refusal as it is. */
#define TAP_ACCT_REFUSED(t, status, ask, what)                                                     \
    do {                                                                                           \
        (t)->otp_refuse = (status);                                                                \
        TAP_ACCT_EXPECT(ask, status, what);                                                        \
        (t)->otp_refuse = 0;                                                                       \
    } while (0)

/* The same with otp-svc silent and the request's deadline 1.5 s ahead: a timeout, and
 * otp-svc got the one ask. */
#define TAP_ACCT_SILENT(t, ask, what)                                                              \
    do {                                                                                           \
        int silent_n_ = (t)->muted;                                                                \
        (t)->otp_mute = 1;                                                                         \
        (t)->deadline_in = 1500;                                                                   \
        TAP_ACCT_EXPECT(ask, DVCID__STATUS__STATUS_TIMEOUT, what);                                 \
        (t)->otp_mute = 0;                                                                         \
        (t)->deadline_in = 0;                                                                      \
        CHECK((t)->muted == silent_n_ + 1, "%s: %d asks unanswered", what,                         \
              (t)->muted - silent_n_);                                                             \
    } while (0)

#endif
