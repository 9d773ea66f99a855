/* sms_worker: the service (see sms_worker.h): its routes (SmsSend, SmsVerified, Ping,
 * metrics, the ops views), accepting into the queue, and the timer that runs each
 * delivery batch (sms_dispatch.c) and the sweeps. Storage is sms_queue, the words are
 * sms_texts; what is logged of a message is its message_id, masked phone and purpose,
 * never the code or the text. */
#include "sms_worker.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_service.h"
#include "cmn_time.h"
#include "sms_provider.h"
#include "sms_queue.h"
#include "sms_text.h"
#include "sms_worker_int.h"

/* How many sms-worker instances share this process's shard (its LMDB). */
static int s_instances(const cmn_config_t *cfg) {
    char err[256];
    cmn_endpoints_t *eps = cmn_endpoints_new("[sms] endpoint", cfg->sms_endpoint, err, sizeof(err));
    int n = eps ? cmn_endpoints_instances(eps, cfg->proc_shard) : 1;
    cmn_endpoints_destroy(&eps);
    return n;
}

sms_worker_t *sms_worker_new(const cmn_config_t *cfg, cmn_db_t *db, const char *data_dir) {
    sms_worker_t *self = calloc(1, sizeof(*self));
    if (!self) {
        CMN_ERROR(NULL, "sms worker: out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->db = db;
    self->timer = -1;
    self->provider_ok = true;
    self->rng = (cmn_time_now_ms() ^ ((uint64_t)getpid() << 32)) | 1;
    /* Instances of one shard share this LMDB: a job out with a provider may be another
     * live instance's, so none is released at start; its lease makes it due again. */
    self->released = s_instances(cfg) > 1;
    sms_settings_load(&self->set, cfg);

    char path[PATH_MAX];
    uint8_t key[CMN_KEY_BYTES];
    if ((size_t)snprintf(path, sizeof(path), "%s/queue.key", data_dir) >= sizeof(path) ||
        cmn_key_load(path, key) != 0) {
        CMN_ERROR(NULL, "sms worker: no queue key in %s", data_dir);
        sms_worker_destroy(&self);
        return NULL;
    }
    self->queue = sms_queue_new(db, key);
    if (!self->set.dlr_token[0])
        sms_dlrd_token_derive(key, self->set.dlr_token, sizeof(self->set.dlr_token));
    cmn_wipe(key, sizeof(key));
    self->status = sms_status_new(db);
    self->conv = cmn_db_dbi(db, 6);
    char err[512];
    self->texts = sms_texts_new(self->set.texts_file, err, sizeof(err));
    if (!self->texts)
        CMN_ERROR(NULL, "sms.texts_file: %s", err);
    if (!self->queue || !self->status || !self->texts) {
        sms_worker_destroy(&self);
        return NULL;
    }
    sms_queue_on_forget(self->queue, sms_status_forget, self->status);
    if (sms_dispatch_open(self) != 0) {
        sms_worker_destroy(&self);
        return NULL;
    }
    CMN_INFO(NULL, "sms worker: provider %s", self->set.provider);
    return self;
}

void sms_worker_destroy(sms_worker_t **self_p) {
    if (!self_p || !*self_p)
        return;
    sms_worker_t *self = *self_p;
    cmn_service_destroy(&self->svc);
    /* The registry was the service's: nothing counts into it from here on. */
    for (int i = 0; i < self->nprov; i++)
        memset(&self->provs[i].pm, 0, sizeof(self->provs[i].pm));
    self->metrics = NULL;
    sms_dispatch_free(self);
    sms_status_destroy(&self->status);
    sms_texts_destroy(&self->texts);
    sms_queue_destroy(&self->queue);
    cmn_wipe(&self->set, sizeof(self->set));
    free(self);
    *self_p = NULL;
}

const sms_stats_t *sms_worker_stats(const sms_worker_t *self) { return &self->stats; }

const char *sms_worker_purpose(uint32_t purpose) {
    const char *name = sms_text_purpose_name((int)purpose);
    return name ? name : "unknown";
}

/* --- accepting ------------------------------------------------------------------ */

int sms_worker_accept(sms_worker_t *self, MDB_txn *txn, const Dvcid__SmsSend *msg,
                      const char *trace) {
    const char *field = "body";
    if (!msg || sms_queue_valid(msg, &field) != 0) {
        CMN_WARN(trace, "sms refused: invalid %s", field);
        return SMS_WORKER_INVALID;
    }
    char masked[SMS_MASK_MAX];
    cmn_mask_phone(msg->phone, masked, sizeof(masked));
    int rc = sms_queue_put(self->queue, txn, msg, cmn_time_now_ms());
    if (rc == SMS_QUEUE_DUPLICATE) {
        self->stats.duplicates++;
        CMN_INFO(trace, "sms duplicate message_id=%s to=%s purpose=%s: already stored",
                 msg->message_id, masked, sms_worker_purpose(msg->purpose));
        return SMS_WORKER_DUPLICATE;
    }
    if (rc != SMS_QUEUE_OK) {
        CMN_ERROR(trace, "sms message_id=%s not stored", msg->message_id);
        return SMS_WORKER_ERROR;
    }
    self->stats.queued++;
    /* Debug: the audit line of a message is "sms sent"; one more per message costs a
     * write() at tens of thousands a second. */
    CMN_DEBUG(trace, "sms queued message_id=%s to=%s purpose=%s", msg->message_id, masked,
              sms_worker_purpose(msg->purpose));
    return SMS_WORKER_QUEUED;
}

/* --- delivering ----------------------------------------------------------------- */

uint32_t sms_worker_random(sms_worker_t *self) {
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    return (uint32_t)(self->rng >> 32);
}

/* Is phone under otp.test_phone_prefix (never handed to a provider)? */
bool sms_worker_test_number(const cmn_config_t *cfg, const char *phone) {
    size_t n = strlen(cfg->otp_test_phone_prefix);
    return n > 0 && strncmp(phone, cfg->otp_test_phone_prefix, n) == 0;
}

bool sms_worker_sink(const sms_worker_t *self) { return strcmp(self->set.provider, "file") == 0; }

int sms_worker_sweep(sms_worker_t *self, MDB_txn *txn, uint64_t now) {
    uint64_t keep = (uint64_t)self->set.status_retention_s * 1000;
    if (now < keep)
        return 0;
    int n = sms_queue_sweep(self->queue, txn, now - keep, SMS_SWEEP_MAX);
    if (n > 0)
        CMN_DEBUG(NULL, "sms sweep: %d old records deleted", n);
    return n;
}

/* --- the service ----------------------------------------------------------------- */

static int s_on_tick(cmn_ctx_t *ctx) {
    sms_worker_t *self = ctx->self;
    uint64_t now = cmn_time_now_ms();
    int n = sms_worker_deliver(self, ctx->txn, now);
    if (n < 0)
        return -1;
    if (n == SMS_BATCH_MAX) /* more are due: come back in the next batch */
        cmn_service_wake(ctx->svc, self->timer);
    if (now >= self->next_sweep_ms) {
        int swept = sms_worker_sweep(self, ctx->txn, now);
        if (swept < 0)
            return -1;
        self->next_sweep_ms = swept == SMS_SWEEP_MAX ? now : now + SMS_SWEEP_EVERY_MS;
        if (sms_worker_expire_receipts(self, ctx->txn, now) < 0)
            return -1;
    }
    return 0;
}

static int s_on_outcomes(cmn_ctx_t *ctx, void *arg) {
    (void)arg;
    sms_worker_t *self = ctx->self;
    int n = sms_worker_outcomes(self, ctx->txn, cmn_time_now_ms());
    if (n > 0) /* retries may be due at once, and the providers have room again */
        cmn_service_wake(ctx->svc, self->timer);
    return n < 0 ? -1 : 0;
}

/* After the loop: the provider threads are stopped (requests in flight get a
 * short grace) and their last outcomes recorded, so what a provider accepted is
 * not sent again at the next start. */
static void s_final_outcomes(sms_worker_t *self) {
    sms_dispatch_close(self);
    MDB_txn *txn = NULL;
    int rc = cmn_db_txn_begin(self->db, NULL, 0, &txn);
    if (rc != 0) {
        CMN_ERROR(NULL, "sms worker: final outcomes: %s", mdb_strerror(rc));
        return;
    }
    int n = sms_worker_outcomes(self, txn, cmn_time_now_ms());
    rc = n < 0 ? -1 : cmn_db_note(mdb_txn_commit(txn));
    if (n < 0)
        mdb_txn_abort(txn);
    if (rc != 0)
        CMN_ERROR(NULL, "sms worker: final outcomes not recorded; they are sent again");
    else if (n > 0)
        CMN_INFO(NULL, "sms worker: %d outcomes recorded at stop", n);
}

/* Acknowledges message_id; the skeleton sends it only after the batch's durable commit. */
static void s_ack(cmn_ctx_t *ctx, cmn_call_t **call, char *message_id, bool duplicate) {
    Dvcid__Reply reply = DVCID__REPLY__INIT;
    Dvcid__SmsAck ack = DVCID__SMS_ACK__INIT;
    ack.message_id = message_id;
    ack.duplicate = duplicate;
    reply.body_case = DVCID__REPLY__BODY_SMS_ACK;
    reply.sms_ack = &ack;
    cmn_call_reply(ctx, call, &reply);
}

static int s_on_sms_send(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    sms_worker_t *self = ctx->self;
    const Dvcid__SmsSend *msg = req->sms_send;
    int rc = sms_worker_accept(self, ctx->txn, msg, req->trace_id);
    if (rc == SMS_WORKER_INVALID) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INVALID_REQUEST);
        return 0;
    }
    if (rc == SMS_WORKER_ERROR) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    if (rc == SMS_WORKER_QUEUED)
        cmn_service_wake(ctx->svc, self->timer);
    s_ack(ctx, &call, msg->message_id, rc == SMS_WORKER_DUPLICATE);
    return 0;
}

/* SmsVerified from otp-svc's outbox: counted once, acknowledged after the commit. */
static int s_on_sms_verified(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    sms_worker_t *self = ctx->self;
    const Dvcid__SmsVerified *msg = req->sms_verified;
    int rc = sms_worker_verified(self, ctx->txn, msg, req->trace_id);
    if (rc == SMS_WORKER_INVALID || rc == SMS_WORKER_ERROR || rc == SMS_WORKER_NOTFOUND) {
        cmn_call_fail(ctx, &call,
                      rc == SMS_WORKER_INVALID    ? DVCID__STATUS__STATUS_INVALID_REQUEST
                      : rc == SMS_WORKER_NOTFOUND ? DVCID__STATUS__STATUS_NOT_FOUND
                                                  : DVCID__STATUS__STATUS_INTERNAL);
        return rc == SMS_WORKER_ERROR ? -1 : 0;
    }
    s_ack(ctx, &call, msg->message_id, rc == SMS_WORKER_DUPLICATE);
    return 0;
}

/* dvcctl sms-status: one message's status, the phone masked. */
static int s_on_status_get(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    sms_worker_t *self = ctx->self;
    const char *id = req->sms_status_get->message_id;
    sms_status_rec_t rec;
    int rc =
        strlen(id) > SMS_ID_MAX ? SMS_QUEUE_NOTFOUND : sms_worker_status(self, ctx->txn, id, &rec);
    if (rc != SMS_QUEUE_OK) {
        cmn_call_fail(ctx, &call,
                      rc == SMS_QUEUE_NOTFOUND ? DVCID__STATUS__STATUS_NOT_FOUND
                                               : DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__SmsStatusReply st = DVCID__SMS_STATUS_REPLY__INIT;
    st.message_id = rec.message_id;
    st.state = rec.state;
    st.purpose = rec.purpose;
    st.phone_masked = rec.phone_masked;
    st.provider = rec.provider;
    st.ref = rec.ref;
    st.tries = rec.tries;
    st.created_ms = rec.created_ms;
    st.sent_ms = rec.sent_ms;
    st.receipt_ms = rec.receipt_ms;
    st.verified = rec.verified;
    st.prefix = rec.prefix;
    r.body_case = DVCID__REPLY__BODY_SMS_STATUS;
    r.sms_status = &st;
    CMN_INFO(cmn_call_trace(call), "ops looked up sms message_id=%s: %s", rec.message_id,
             rec.state);
    cmn_call_reply(ctx, &call, &r);
    return 0;
}

/* Ready while the provider takes messages: a sink that cannot flush is not ready,
 * nor a set of providers whose breakers are all open. */
static int s_on_ping(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    (void)req;
    sms_worker_t *self = ctx->self;
    Dvcid__Reply reply = DVCID__REPLY__INIT;
    Dvcid__Pong pong = DVCID__PONG__INIT;
    pong.service = "sms-worker";
    pong.ready = self->provider_ok;
    reply.body_case = DVCID__REPLY__BODY_PONG;
    reply.pong = &pong;
    cmn_call_reply(ctx, &call, &reply);
    return 0;
}

/* MetricsGet: the skeleton's answer, once what is read at render time is in its registry. */
static int s_on_metrics(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    if (sms_worker_metrics_publish(ctx->self, ctx->txn) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return 0;
    }
    return cmn_service_metrics_gather(ctx, call, req, NULL, 0);
}

/* One dead letter of a dvcctl listing, with what its reply points into. */
typedef struct {
    sms_job_t job;
    Dvcid__DeadLetter item;
    char masked[SMS_MASK_MAX];
} s_dead_t;

/* Fills d's reply item from its job (the phone masked, from the body when it opens). */
static void s_dead_item(sms_worker_t *self, MDB_txn *txn, s_dead_t *d) {
    dvcid__dead_letter__init(&d->item);
    sms_job_t full;
    memset(&full, 0, sizeof(full));
    Dvcid__SmsSend *msg = NULL;
    if (sms_queue_get_body(self->queue, txn, d->job.message_id, &full) == SMS_QUEUE_OK)
        msg = sms_queue_open(self->queue, &full);
    cmn_mask_phone(msg ? msg->phone : "", d->masked, SMS_MASK_MAX);
    sms_queue_msg_free(&msg);
    sms_job_clear(&full);
    d->item.message_id = d->job.message_id;
    d->item.phone_masked = d->masked;
    d->item.purpose = (char *)sms_worker_purpose(d->job.purpose);
    d->item.tries = d->job.tries;
    d->item.created_ms = d->job.created_ms;
}

/* dvcctl dead-letters: the newest dead letters, masked. */
static int s_on_dead_list(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    sms_worker_t *self = ctx->self;
    uint32_t max = req->sms_dead_list->limit ? req->sms_dead_list->limit : 100;
    if (max > 1000)
        max = 1000;
    s_dead_t *dead = calloc(max, sizeof(*dead));
    sms_job_t *jobs = calloc(max, sizeof(*jobs));
    Dvcid__DeadLetter **ptrs = calloc(max, sizeof(Dvcid__DeadLetter *));
    uint64_t total = 0;
    int n = dead && jobs && ptrs
                ? sms_queue_dead_list(self->queue, ctx->txn, jobs, (int)max, &total)
                : -1;
    for (int i = 0; i < n; i++) {
        dead[i].job = jobs[i]; /* owns its sealed copy now */
        s_dead_item(self, ctx->txn, &dead[i]);
        ptrs[i] = &dead[i].item;
    }
    free(jobs);
    if (n < 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
    } else {
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__SmsDeadReply d = DVCID__SMS_DEAD_REPLY__INIT;
        d.n_letters = (size_t)n;
        d.letters = ptrs;
        d.total = total;
        r.body_case = DVCID__REPLY__BODY_SMS_DEAD;
        r.sms_dead = &d;
        cmn_call_reply(ctx, &call, &r);
    }
    for (int i = 0; i < n; i++)
        sms_job_clear(&dead[i].job);
    free(dead);
    free(ptrs);
    return 0;
}

/* dvcctl retry-dead: dead letters back in the queue, due now. */
static int s_on_dead_retry(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    sms_worker_t *self = ctx->self;
    int n = sms_queue_dead_retry(self->queue, ctx->txn, req->sms_dead_retry->message_id,
                                 cmn_time_now_ms());
    if (n < 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    CMN_INFO(cmn_call_trace(call), "ops queued %d dead letter(s) again", n);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__CountReply c = DVCID__COUNT_REPLY__INIT;
    c.count = (uint64_t)n;
    r.body_case = DVCID__REPLY__BODY_COUNT;
    r.count = &c;
    cmn_call_reply(ctx, &call, &r);
    if (n > 0)
        cmn_service_wake(ctx->svc, self->timer);
    return 0;
}

static const cmn_route_t s_routes[] = {
    {DVCID__REQUEST__BODY_SMS_SEND, s_on_sms_send},
    {DVCID__REQUEST__BODY_SMS_VERIFIED, s_on_sms_verified},
    {DVCID__REQUEST__BODY_SMS_STATUS_GET, s_on_status_get},
    {DVCID__REQUEST__BODY_METRICS_GET, s_on_metrics},
    {DVCID__REQUEST__BODY_SMS_DEAD_LIST, s_on_dead_list},
    {DVCID__REQUEST__BODY_SMS_DEAD_RETRY, s_on_dead_retry},
    {DVCID__REQUEST__BODY_PING, s_on_ping},
};

int sms_worker_run(sms_worker_t *self) {
    cmn_service_opts_t opts = {.name = "sms-worker",
                               .bind = self->cfg->sms_endpoint,
                               .bind_key = "[sms] endpoint",
                               .cfg = self->cfg,
                               .routes = s_routes,
                               .nroutes = sizeof(s_routes) / sizeof(s_routes[0]),
                               .self = self,
                               .db = self->db,
                               .reload = sms_worker_reload};
    self->svc = cmn_service_new(&opts);
    /* Method classes (issue 19.5): SMS only from otp-svc (dvcid-load's sms flow needs an
     * otp-svc key under CURVE), their records and dead letters only for dvcctl. */
    static const cmn_caller_t callers[] = {{DVCID__REQUEST__BODY_SMS_SEND, CMN_ROLE_OTP},
                                           {DVCID__REQUEST__BODY_SMS_VERIFIED, CMN_ROLE_OTP},
                                           {DVCID__REQUEST__BODY_SMS_STATUS_GET, CMN_ROLE_ADMIN},
                                           {DVCID__REQUEST__BODY_SMS_DEAD_LIST, CMN_ROLE_ADMIN},
                                           {DVCID__REQUEST__BODY_SMS_DEAD_RETRY, CMN_ROLE_ADMIN}};
    if (!self->svc ||
        cmn_service_callers(self->svc, callers, sizeof(callers) / sizeof(callers[0])) != 0)
        return -1;
    if (sms_worker_metrics_attach(self, cmn_service_metrics(self->svc)) != 0)
        return -1;
    self->timer = cmn_service_every(self->svc, SMS_TICK_MS, s_on_tick);
    if (self->timer < 0) {
        CMN_ERROR(NULL, "sms worker: cannot start the delivery timer");
        return -1;
    }
    if (cmn_service_watch(self->svc, sms_worker_outcome_fd(self), s_on_outcomes, NULL) != 0) {
        CMN_ERROR(NULL, "sms worker: cannot watch the providers' outcomes");
        return -1;
    }
    /* Jobs left by the last run are due now: deliver them in the first batch. */
    cmn_service_wake(self->svc, self->timer);
    int rc = cmn_service_run(self->svc);
    s_final_outcomes(self);
    return rc;
}
