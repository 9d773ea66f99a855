/* sms_outcome: what the worker does with each outcome a provider thread posts
 * (see sms_provider.h for the kinds) and with delivery receipts; plus the views
 * of it all for ops: one message's status, the counters, Prometheus text. Every
 * decision is logged with the message_id and the provider, never the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "sms_worker_int.h"

/* The wait after a throttling answer before the message is tried again (ms). */
#define S_THROTTLE_WAIT_MS 1000

static const char *s_dlr_name(sms_dlr_t d) {
    switch (d) {
    case SMS_DLR_DELIVERED:
        return "delivered";
    case SMS_DLR_FAILED:
        return "failed";
    case SMS_DLR_EXPIRED:
        return "expired";
    default:
        return "intermediate";
    }
}

/* The index of the provider called name, or fallback. */
static int s_prov_index(const sms_worker_t *self, const char *name, int fallback) {
    for (int i = 0; i < self->nprov; i++)
        if (strcmp(self->names[i], name) == 0)
            return i;
    return fallback;
}

static int s_receipt(sms_worker_t *self, MDB_txn *txn, const sms_res_t *res) {
    if (res->prov < 0 || res->prov >= self->nprov)
        return 0;
    char id[SMS_ID_MAX + 1], via[SMS_NAME_MAX];
    uint64_t sent_ms = 0;
    if (res->message_id[0]) {
        /* A receipt that names our id (dlr-url) counts only for a message we queued:
         * a made-up id would otherwise become a status record of its own. */
        sms_job_t job;
        int known = sms_queue_get(self->queue, txn, res->message_id, &job);
        if (known == SMS_QUEUE_ERROR)
            return -1;
        if (known == SMS_QUEUE_NOTFOUND) {
            self->stats.receipts_unknown++;
            CMN_DEBUG(NULL, "sms receipt for an unknown message id dropped");
            return 0;
        }
        sms_job_clear(&job);
    }
    int rc = sms_status_receipt(self->status, txn, self->names[res->prov], res->message_id,
                                res->ref, res->dlr, res->at_ms, id, &sent_ms, via);
    /* One listener takes the receipts of every http provider: the record says whose. */
    int prov = s_prov_index(self, via, res->prov);
    const sms_prov_metrics_t *pm = &self->provs[prov].pm;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        CMN_DEBUG(NULL, "sms receipt from %s (%s) for %s: unknown message, repeat or not final",
                  self->names[res->prov], s_dlr_name(res->dlr),
                  res->message_id[0] ? res->message_id : res->ref);
        return 0;
    }
    if (res->dlr == SMS_DLR_DELIVERED) {
        sms_metrics_count(self->metrics, pm, SMS_PM_DELIVERED);
        if (sent_ms && res->at_ms >= sent_ms)
            sms_metrics_latency(self->metrics, pm, res->at_ms - sent_ms);
    } else {
        sms_metrics_count(self->metrics, pm,
                          res->dlr == SMS_DLR_EXPIRED ? SMS_PM_EXPIRED : SMS_PM_UNDELIVERED);
    }
    /* Delivered is the usual end and is counted (dvcid_sms_provider_delivered_total):
     * logged at debug, a line per SMS being a write() each at full speed. */
    cmn_log(res->dlr == SMS_DLR_DELIVERED ? CMN_LEVEL_DEBUG : CMN_LEVEL_WARN, NULL,
            "sms receipt message_id=%s via=%s: %s", id, self->names[prov], s_dlr_name(res->dlr));
    return 0;
}

/* Sends job back to the queue after a failed try: retried later or dead. */
static int s_retry(sms_worker_t *self, MDB_txn *txn, sms_job_t *job, int prov, uint64_t now,
                   const char *why) {
    uint32_t delay = sms_queue_backoff_ms(job->tries + 1, sms_worker_random(self));
    int st = sms_queue_mark_failed(self->queue, txn, job, now, delay);
    if (st == SMS_JOB_QUEUED) {
        self->stats.retried++;
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_RETRIED);
        CMN_WARN(NULL, "sms retry message_id=%s via=%s tries=%u in %u ms: %s", job->message_id,
                 self->names[prov], job->tries, delay, why);
    } else if (st == SMS_JOB_DEAD) {
        self->stats.dead++;
        CMN_WARN(NULL, "sms dead-lettered message_id=%s via=%s tries=%u: %s", job->message_id,
                 self->names[prov], job->tries, why);
    }
    return st < 0 ? -1 : 0;
}

static int s_outcome(sms_worker_t *self, MDB_txn *txn, const sms_res_t *res, uint64_t now) {
    int prov = res->prov;
    if (prov < 0 || prov >= self->nprov)
        return 0;
    if (sms_dispatch_landed(self, res->message_id) < 0 && self->provs[prov].kind != SMS_KIND_FILE)
        CMN_DEBUG(NULL, "sms outcome for message_id=%s: not in flight", res->message_id);
    sms_gate_t *gate = &self->gates[prov];
    sms_breaker_state_t was = gate->state;
    switch (res->kind) {
    case SMS_RES_ACCEPTED:
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_SENT);
        sms_gate_success(gate);
        break;
    case SMS_RES_FAILED:
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_FAILED);
        sms_gate_failure(gate, now);
        break;
    case SMS_RES_UNKNOWN:
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_UNKNOWN);
        sms_gate_failure(gate, now);
        break;
    case SMS_RES_THROTTLED:
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_THROTTLED);
        gate->probing = false;
        break;
    case SMS_RES_REJECTED:
        sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_REJECTED);
        sms_gate_success(gate); /* it answered: the provider works */
        break;
    default:
        return 0;
    }
    if (gate->state == SMS_BREAKER_OPEN && was != SMS_BREAKER_OPEN)
        CMN_WARN(NULL, "sms provider %s: breaker open for %u ms after %d failures (%s)",
                 self->names[prov], gate->cooldown_ms, gate->fails, res->why);
    else if (gate->state == SMS_BREAKER_CLOSED && was != SMS_BREAKER_CLOSED)
        CMN_INFO(NULL, "sms provider %s: breaker closed, it works again", self->names[prov]);
    sms_job_t job;
    /* An accepted message's body is dropped (sms_queue_mark_sent): not copied out. */
    int rc = res->kind == SMS_RES_ACCEPTED
                 ? sms_queue_get(self->queue, txn, res->message_id, &job)
                 : sms_queue_get_body(self->queue, txn, res->message_id, &job);
    if (rc != SMS_QUEUE_OK || (job.state != SMS_JOB_INFLIGHT && job.state != SMS_JOB_QUEUED)) {
        /* Swept, or settled already (a repeat after a restart): nothing to change. */
        if (rc == SMS_QUEUE_OK)
            sms_job_clear(&job);
        return rc == SMS_QUEUE_ERROR ? -1 : 0;
    }
    int out = 0;
    if (res->kind == SMS_RES_ACCEPTED) {
        bool receipts = self->provs[prov].kind == SMS_KIND_SMPP || self->dlr != NULL;
        uint64_t await = receipts ? now + (uint64_t)self->set.receipt_timeout_s * 1000 : 0;
        char prefix[SMS_CONV_PREFIX_MAX], masked[SMS_MASK_MAX];
        sms_conv_prefix(res->to, prefix);
        cmn_mask_phone(res->to, masked, sizeof(masked));
        out = sms_queue_mark_sent(self->queue, txn, &job, now) == 0 &&
                      sms_worker_taken(self, txn, &job, self->names[prov], res->ref, res->at_ms,
                                       await, prefix, masked) == 0
                  ? 0
                  : -1;
        self->stats.sent += out == 0;
        CMN_INFO(NULL, "sms sent message_id=%s via=%s ref=%s tries=%u", job.message_id,
                 self->names[prov], res->ref[0] ? res->ref : "-", job.tries + 1);
    } else if (res->kind == SMS_RES_THROTTLED) {
        CMN_WARN(NULL, "sms throttled message_id=%s via=%s: again in %d ms", job.message_id,
                 self->names[prov], S_THROTTLE_WAIT_MS);
        out =
            sms_queue_reschedule(self->queue, txn, &job, now + S_THROTTLE_WAIT_MS, SMS_JOB_QUEUED);
    } else if (res->kind == SMS_RES_REJECTED) {
        out = sms_queue_mark_failed(self->queue, txn, &job, now, 0) < 0 ? -1 : 0;
        self->stats.dead += out == 0;
        CMN_WARN(NULL, "sms dead-lettered message_id=%s via=%s: refused for good: %s",
                 job.message_id, self->names[prov], res->why);
    } else {
        out = s_retry(self, txn, &job, prov, now, res->why);
    }
    sms_job_clear(&job);
    return out;
}

int sms_worker_outcomes(sms_worker_t *self, MDB_txn *txn, uint64_t now) {
    int n = 0;
    sms_res_t *res;
    while (n < SMS_OUTCOMES_MAX && (res = cmn_chan_pop(self->results))) {
        int rc = res->kind == SMS_RES_RECEIPT ? s_receipt(self, txn, res)
                                              : s_outcome(self, txn, res, now);
        free(res);
        if (rc != 0)
            return -1;
        n++;
    }
    return n;
}

int sms_worker_taken(sms_worker_t *self, MDB_txn *txn, const sms_job_t *job, const char *provider,
                     const char *ref, uint64_t at_ms, uint64_t await_ms, const char *prefix,
                     const char *masked) {
    int early = sms_status_sent(self->status, txn, job->message_id, provider, ref, at_ms, await_ms,
                                prefix, masked);
    if (early < 0)
        return -1;
    if (job->purpose == DVCID__PURPOSE__PURPOSE_NOTICE) /* no code: nothing to convert */
        return 0;
    return sms_conv_add(txn, self->conv, provider, prefix, 1, (uint64_t)early);
}

int sms_worker_verified(sms_worker_t *self, MDB_txn *txn, const Dvcid__SmsVerified *msg,
                        const char *trace) {
    if (!msg || !msg->message_id || !msg->message_id[0] || strlen(msg->message_id) > SMS_ID_MAX) {
        CMN_WARN(trace, "sms verified event refused: invalid message_id");
        return SMS_WORKER_INVALID;
    }
    sms_job_t job;
    int rc = sms_queue_get(self->queue, txn, msg->message_id, &job);
    if (rc == SMS_QUEUE_ERROR)
        return SMS_WORKER_ERROR;
    if (rc == SMS_QUEUE_NOTFOUND) {
        self->stats.unmatched++;
        CMN_INFO(trace,
                 "sms verified message_id=%s: not known here (swept, never sent, or "
                 "another instance's)",
                 msg->message_id);
        return SMS_WORKER_NOTFOUND;
    }
    sms_job_clear(&job);
    char provider[SMS_NAME_MAX], prefix[SMS_CONV_PREFIX_MAX];
    rc =
        sms_status_verified(self->status, txn, msg->message_id, msg->verified_ms, provider, prefix);
    if (rc < 0 ||
        (rc == SMS_VERIFIED_NOW && sms_conv_add(txn, self->conv, provider, prefix, 0, 1) != 0))
        return SMS_WORKER_ERROR;
    if (rc == SMS_VERIFIED_REPEAT) {
        CMN_DEBUG(trace, "sms verified message_id=%s: counted already", msg->message_id);
        return SMS_WORKER_DUPLICATE;
    }
    self->stats.verified++;
    CMN_INFO(trace, "sms verified message_id=%s via=%s prefix=%s%s", msg->message_id,
             rc == SMS_VERIFIED_NOW ? provider : "-", rc == SMS_VERIFIED_NOW ? prefix : "-",
             rc == SMS_VERIFIED_EARLY ? ": not sent yet, counted when a provider takes it" : "");
    return SMS_WORKER_QUEUED;
}

static void s_unconfirmed(void *arg, const char *provider) {
    sms_worker_t *self = arg;
    for (int i = 0; i < self->nprov; i++)
        if (strcmp(self->names[i], provider) == 0)
            sms_metrics_count(self->metrics, &self->provs[i].pm, SMS_PM_UNCONFIRMED);
}

int sms_worker_expire_receipts(sms_worker_t *self, MDB_txn *txn, uint64_t now) {
    return sms_status_expire(self->status, txn, now, SMS_SWEEP_MAX, s_unconfirmed, self);
}

int sms_worker_status(sms_worker_t *self, MDB_txn *txn, const char *message_id,
                      sms_status_rec_t *rec) {
    memset(rec, 0, sizeof(*rec));
    sms_job_t job;
    int rc = sms_queue_get(self->queue, txn, message_id, &job);
    if (rc != SMS_QUEUE_OK)
        return rc;
    snprintf(rec->message_id, sizeof(rec->message_id), "%s", job.message_id);
    snprintf(rec->purpose, sizeof(rec->purpose), "%s", sms_worker_purpose(job.purpose));
    rec->tries = job.tries;
    rec->created_ms = job.created_ms;
    const char *state = job.state == SMS_JOB_SENT       ? "sent"
                        : job.state == SMS_JOB_DEAD     ? "dead"
                        : job.state == SMS_JOB_INFLIGHT ? "sending"
                                                        : "queued";
    sms_job_clear(&job);
    /* The body (and so the number) is kept until a provider takes the message. */
    if (sms_queue_get_body(self->queue, txn, message_id, &job) == SMS_QUEUE_OK) {
        Dvcid__SmsSend *msg = sms_queue_open(self->queue, &job);
        if (msg) {
            cmn_mask_phone(msg->phone, rec->phone_masked, sizeof(rec->phone_masked));
            sms_conv_prefix(msg->phone, rec->prefix);
        }
        sms_queue_msg_free(&msg);
        sms_job_clear(&job);
    }
    sms_status_rec_t st;
    memset(&st, 0, sizeof(st));
    rc = sms_status_get(self->status, txn, message_id, &st);
    if (rc == SMS_QUEUE_ERROR)
        return rc;
    if (rc == SMS_QUEUE_OK) {
        snprintf(rec->provider, sizeof(rec->provider), "%s", st.provider);
        snprintf(rec->ref, sizeof(rec->ref), "%s", st.ref);
        rec->sent_ms = st.sent_ms;
        rec->receipt_ms = st.receipt_ms;
        rec->verified = st.verified;
        if (st.prefix[0])
            snprintf(rec->prefix, sizeof(rec->prefix), "%s", st.prefix);
        if (st.phone_masked[0])
            snprintf(rec->phone_masked, sizeof(rec->phone_masked), "%s", st.phone_masked);
        if (st.state[0] && strcmp(state, "sent") == 0)
            state = st.state;
    }
    snprintf(rec->state, sizeof(rec->state), "%s", state);
    return SMS_QUEUE_OK;
}

int sms_worker_metrics_attach(sms_worker_t *self, cmn_metrics_t *m) {
    self->metrics = m;
    sms_metrics_families(m);
    for (int i = 0; i < self->nprov; i++) {
        /* The sink counts in the totals only: no series of a provider. */
        if (self->provs[i].kind != SMS_KIND_FILE &&
            sms_metrics_provider(m, self->names[i], &self->provs[i].pm) != 0) {
            CMN_ERROR(NULL, "sms %s: out of memory", self->names[i]);
            return -1;
        }
    }
    return 0;
}

int sms_worker_metrics_publish(sms_worker_t *self, MDB_txn *txn) {
    cmn_metrics_t *m = self->metrics;
    if (!m)
        return -1;
    uint64_t now = cmn_time_now_ms();
    for (int i = 0; i < self->nprov; i++) {
        if (self->provs[i].kind == SMS_KIND_FILE) /* the sink: in the totals only */
            continue;
        sms_gate_up(&self->gates[i], now); /* an open breaker past its cool-down: half-open */
        sms_metrics_gate(m, self->names[i], (int)self->gates[i].state,
                         self->gates[i].tps /* as a reload left it */);
    }
    sms_metrics_totals(m, self->stats.queued, self->stats.duplicates, self->stats.sent,
                       self->stats.dead);
    static const char *const help =
        "SmsVerified events from otp-svc: counted, or for messages not known here";
    sms_metrics_counter_at(m, "dvcid_sms_verified_events_total", "result=\"counted\"",
                           self->stats.verified, help);
    sms_metrics_counter_at(m, "dvcid_sms_verified_events_total", "result=\"unmatched\"",
                           self->stats.unmatched, help);
    uint64_t bad_token, bad_source;
    sms_dlrd_refused(self->dlr, &bad_token, &bad_source);
    static const char *const refused =
        "Delivery receipts dropped: unknown message id, wrong dlr-url token, source not allowed";
    sms_metrics_counter_at(m, "dvcid_sms_receipts_refused_total", "reason=\"unknown_id\"",
                           self->stats.receipts_unknown, refused);
    sms_metrics_counter_at(m, "dvcid_sms_receipts_refused_total", "reason=\"token\"", bad_token,
                           refused);
    sms_metrics_counter_at(m, "dvcid_sms_receipts_refused_total", "reason=\"source\"", bad_source,
                           refused);
    /* The queue of the environment (every instance that shares it sees the same). */
    uint64_t depth = 0;
    if (sms_queue_depth(self->queue, txn, &depth) == 0)
        cmn_metrics_set(m, "dvcid_sms_queue_depth", "", (double)depth,
                        "SMS jobs waiting, retrying or with a provider");
    return sms_conv_publish(txn, self->conv, m);
}
