/* sms_dispatch: the delivery half of sms_worker. Each batch, due messages are
 * routed (sms_route: prefix, weights, caps, breakers) and submitted to a provider
 * (sms_provider). One with a thread (http, smpp) keeps each under a lease in the
 * queue (SMS_JOB_INFLIGHT) and in an in-memory set of flights until its outcome
 * comes back through the results channel; the `file` sink answers at the batch's
 * flush, and its outcomes are handled in that batch. Only then is a message marked
 * sent (or retried, or dead): LMDB is written on the loop thread alone. Receipts come
 * through the same channel (SMPP deliver_sm, Kannel dlr-url) and update the message's
 * status. */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_text.h"
#include "sms_worker_int.h"

/* --- the set of flights ---------------------------------------------------------- */

static unsigned s_hash(const char *id) {
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % SMS_INFLIGHT_BUCKETS;
}

static sms_flight_t **s_flight_find(sms_worker_t *self, const char *id) {
    sms_flight_t **pp = &self->flights[s_hash(id)];
    while (*pp && strcmp((*pp)->message_id, id) != 0)
        pp = &(*pp)->next;
    return pp;
}

static int s_flight_add(sms_worker_t *self, const char *id, int prov) {
    sms_flight_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    sms_copy(f->message_id, sizeof(f->message_id), id);
    f->prov = prov;
    sms_flight_t **head = &self->flights[s_hash(id)];
    f->next = *head;
    *head = f;
    self->nflights++;
    return 0;
}

int sms_dispatch_landed(sms_worker_t *self, const char *id) {
    sms_flight_t **pp = s_flight_find(self, id);
    sms_flight_t *f = *pp;
    if (!f)
        return -1;
    int prov = f->prov;
    *pp = f->next;
    free(f);
    self->nflights--;
    return prov;
}

/* --- start and stop ---------------------------------------------------------------- */

static int s_add_provider(sms_worker_t *self, const char *name) {
    for (int i = 0; i < self->nprov; i++)
        if (strcmp(self->names[i], name) == 0)
            return 0;
    if (self->nprov == SMS_PROV_MAX) {
        CMN_ERROR(NULL, "sms: more than %d providers", SMS_PROV_MAX);
        return -1;
    }
    int i = self->nprov;
    sms_settings_t *set = calloc(1, sizeof(*set));
    if (!set)
        return -1;
    sms_kind_t kind = sms_settings_for(&self->set, self->cfg, name, set);
    sms_provider_t *p = NULL;
    int tps = 0, timeout = 0, failures = self->set.breaker_failures;
    if (kind == SMS_KIND_FILE) {
        p = sms_file_new(self->cfg->sms_file, i, self->results);
        /* The sink is the only way out and answers in the batch: no breaker (its
         * failures are retried with backoff), no lease. */
        failures = INT_MAX;
    } else if (kind == SMS_KIND_HTTP) {
        p = sms_http_new(set, i, self->results);
        tps = set->http_tps;
        timeout = set->http_timeout_ms;
    } else if (kind == SMS_KIND_SMPP) {
        p = sms_smpp_new(set, i, self->results);
        tps = set->smpp_tps;
        timeout = set->smpp_timeout_ms;
    } else {
        CMN_ERROR(NULL, "sms: provider \"%s\" cannot be routed to (http, smpp or a [sms.NAME])",
                  name);
    }
    cmn_wipe(set, sizeof(*set));
    free(set);
    if (!p)
        return -1;
    sms_worker_prov_t *slot = &self->provs[i];
    slot->p = p;
    slot->kind = kind;
    /* The worker's own copy: outcomes are still read after the providers are gone. */
    snprintf(slot->name, sizeof(slot->name), "%s", p->name);
    self->names[i] = slot->name;
    sms_gate_init(&self->gates[i], tps, failures, (uint32_t)self->set.breaker_cooldown_ms,
                  cmn_time_now_ms());
    /* A message out with a provider is leased past its longest possible answer. */
    uint64_t lease = (uint64_t)timeout * 2 + SMS_LEASE_MARGIN_MS;
    if (lease > self->lease_ms)
        self->lease_ms = lease;
    self->nprov++;
    return 0;
}

int sms_dispatch_open(sms_worker_t *self) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        CMN_ERROR(NULL, "sms: curl_global_init failed");
        return -1;
    }
    self->results = cmn_chan_new(0);
    if (!self->results) { /* from here on sms_dispatch_free cleans curl up */
        curl_global_cleanup();
        return -1;
    }
    char err[256];
    if (sms_worker_sink(self)) { /* one provider, every number routed to it */
        if (s_add_provider(self, "file") != 0)
            return -1;
        self->nroutes =
            sms_route_parse("", self->names, 1, self->routes, SMS_ROUTE_MAX, err, sizeof(err));
        return self->nroutes == 1 ? 0 : -1;
    }
    /* Names a route may use: the [sms] providers and every [sms.NAME] section. */
    char named[SMS_PROV_MAX][SMS_SET_NAME];
    const char *known[SMS_PROV_MAX + 2] = {"http", "smpp"};
    int nknown = 2 + sms_settings_names(self->cfg, named, SMS_PROV_MAX);
    for (int i = 2; i < nknown; i++)
        known[i] = named[i - 2];
    /* The providers are sms.provider and every one a route names, in that order. */
    sms_route_t probe[SMS_ROUTE_MAX];
    int n =
        sms_route_parse(self->set.routes, known, nknown, probe, SMS_ROUTE_MAX, err, sizeof(err));
    if (n < 0) {
        CMN_ERROR(NULL, "sms.routes: %s", err);
        return -1;
    }
    if (s_add_provider(self, self->set.provider) != 0)
        return -1;
    for (int r = 0; r < n && self->set.routes[0]; r++)
        for (int w = 0; w < probe[r].n; w++)
            if (s_add_provider(self, known[probe[r].prov[w]]) != 0)
                return -1;
    for (int i = 2; i < nknown; i++) {
        bool used = false;
        for (int p = 0; p < self->nprov; p++)
            used |= strcmp(self->names[p], known[i]) == 0;
        if (!used)
            CMN_WARN(NULL, "sms: provider [sms.%s] is in no route (sms.routes): it sends nothing",
                     known[i]);
    }
    self->nroutes = sms_route_parse(self->set.routes, self->names, self->nprov, self->routes,
                                    SMS_ROUTE_MAX, err, sizeof(err));
    if (self->nroutes < 0) {
        CMN_ERROR(NULL, "sms.routes: %s", err);
        return -1;
    }
    if (self->set.dlr_listen[0]) {
        /* One listener for every http provider: a receipt names our message_id, whose
         * status record says which provider took it. */
        int http = -1;
        for (int i = self->nprov - 1; i >= 0; i--)
            if (self->provs[i].kind == SMS_KIND_HTTP)
                http = i;
        self->dlr = sms_dlrd_new(&self->set, http < 0 ? 0 : http, self->results);
        if (!self->dlr)
            return -1;
    }
    for (int r = 0; r < self->nroutes; r++) {
        char ways[128] = "";
        size_t pos = 0;
        for (int w = 0; w < self->routes[r].n && pos < sizeof(ways); w++)
            pos +=
                (size_t)snprintf(ways + pos, sizeof(ways) - pos, "%s%s*%d", w ? "," : "",
                                 self->names[self->routes[r].prov[w]], self->routes[r].weight[w]);
        CMN_INFO(NULL, "sms route %s -> %s", self->routes[r].prefix, ways);
    }
    return 0;
}

void sms_dispatch_close(sms_worker_t *self) {
    sms_dlrd_destroy(&self->dlr);
    for (int i = 0; i < self->nprov; i++)
        sms_provider_destroy(&self->provs[i].p);
}

void sms_dispatch_free(sms_worker_t *self) {
    sms_dispatch_close(self);
    bool opened = self->results != NULL;
    cmn_chan_destroy(&self->results, free);
    for (int b = 0; b < SMS_INFLIGHT_BUCKETS; b++) {
        while (self->flights[b]) {
            sms_flight_t *f = self->flights[b];
            self->flights[b] = f->next;
            free(f);
        }
    }
    self->nflights = 0;
    if (opened)
        curl_global_cleanup();
    self->nprov = 0;
}

int sms_worker_outcome_fd(const sms_worker_t *self) { return cmn_chan_fd(self->results); }

/* --- dispatching ------------------------------------------------------------------- */

typedef enum { S_SUBMITTED, S_WAITING, S_DONE, S_ERROR } s_step_t;

/* Routes and submits job i (already opened as msg with its text rendered). */
static s_step_t s_submit(sms_worker_t *self, MDB_txn *txn, sms_job_t *job, const char *phone,
                         const char *text, uint64_t now) {
    const sms_route_t *route = sms_route_match(self->routes, self->nroutes, phone);
    if (!route) {
        CMN_WARN(NULL, "sms message_id=%s: no route for this number (sms.routes)", job->message_id);
        uint32_t delay = sms_queue_backoff_ms(job->tries + 1, sms_worker_random(self));
        int st = sms_queue_mark_failed(self->queue, txn, job, now, delay);
        self->stats.dead += st == SMS_JOB_DEAD;
        return st < 0 ? S_ERROR : S_DONE;
    }
    int prov = sms_route_pick(route, self->gates, now, sms_worker_random(self));
    if (prov < 0) {
        uint64_t wait = prov == SMS_PICK_CAPPED ? SMS_WAIT_CAPPED_MS : SMS_WAIT_BROKEN_MS;
        return sms_queue_reschedule(self->queue, txn, job, now + wait, SMS_JOB_QUEUED) == 0
                   ? S_WAITING
                   : S_ERROR;
    }
    sms_req_t *req = calloc(1, sizeof(*req));
    if (!req) {
        sms_gate_untake(&self->gates[prov]);
        return S_ERROR;
    }
    sms_copy(req->message_id, sizeof(req->message_id), job->message_id);
    sms_copy(req->to, sizeof(req->to), phone);
    sms_copy(req->text, sizeof(req->text), text);
    req->purpose = sms_worker_purpose(job->purpose);
    req->prov = prov;
    req->submitted_ms = now;
    sms_provider_t *p = self->provs[prov].p;
    if (sms_provider_submit(p, req) != 0) {
        sms_gate_untake(&self->gates[prov]);
        return sms_queue_reschedule(self->queue, txn, job, now + SMS_WAIT_CAPPED_MS,
                                    SMS_JOB_QUEUED) == 0
                   ? S_WAITING
                   : S_ERROR;
    }
    sms_metrics_count(self->metrics, &self->provs[prov].pm, SMS_PM_SUBMITTED);
    if (sms_provider_in_batch(p)) /* answered at the flush, recorded in this batch */
        return S_SUBMITTED;
    /* Leased: a crash before the outcome makes it due again (at-least-once). */
    if (s_flight_add(self, job->message_id, prov) != 0 ||
        sms_queue_reschedule(self->queue, txn, job, now + self->lease_ms, SMS_JOB_INFLIGHT) != 0)
        return S_ERROR;
    return S_SUBMITTED;
}

static s_step_t s_dispatch_one(sms_worker_t *self, MDB_txn *txn, sms_job_t *job, uint64_t now) {
    if (*s_flight_find(self, job->message_id)) /* still out: extend its lease */
        return sms_queue_reschedule(self->queue, txn, job, now + self->lease_ms,
                                    SMS_JOB_INFLIGHT) == 0
                   ? S_WAITING
                   : S_ERROR;
    Dvcid__SmsSend *msg = sms_queue_open(self->queue, job);
    char text[SMS_TEXTS_MAX];
    int len = msg ? sms_texts_render(self->texts, msg->purpose, msg->code, msg->lang,
                                     self->cfg->otp_ttl, text, sizeof(text))
                  : -1;
    s_step_t step;
    if (len < 0) {
        CMN_ERROR(NULL, "sms message_id=%s: stored body does not open or render", job->message_id);
        int st = sms_queue_mark_failed(self->queue, txn, job, now, 0);
        self->stats.dead += st == SMS_JOB_DEAD;
        step = st < 0 ? S_ERROR : S_DONE;
    } else if (sms_worker_test_number(self->cfg, msg->phone)) {
        /* Load-test numbers go through the whole path but the provider itself. */
        step = sms_queue_mark_sent(self->queue, txn, job, now) == 0 ? S_DONE : S_ERROR;
        self->stats.sent += step == S_DONE;
    } else {
        step = s_submit(self, txn, job, msg->phone, text, now);
    }
    cmn_wipe(text, sizeof(text));
    sms_queue_msg_free(&msg);
    return step;
}

int sms_worker_deliver(sms_worker_t *self, MDB_txn *txn, uint64_t now) {
    if (!self->released) {
        int n = sms_queue_release(self->queue, txn, now);
        if (n < 0)
            return -1;
        if (n > 0)
            CMN_INFO(NULL, "sms: %d messages out with a provider at the last stop are due again",
                     n);
        self->released = true;
    }
    /* No more than the providers can take now: a job read, opened and rendered only to
     * find its provider full would be put back (rescheduled) for nothing. When they are
     * full, their outcomes make room and wake the timer (s_on_outcomes). */
    size_t room = 0;
    for (int i = 0; i < self->nprov; i++) {
        size_t r = sms_provider_room(self->provs[i].p);
        room = r > SMS_BATCH_MAX - room ? SMS_BATCH_MAX : room + r;
    }
    if (room == 0)
        return 0;
    int n = sms_queue_due(self->queue, txn, now, self->jobs, (int)room);
    if (n <= 0)
        return n;
    int rc = 0, moved = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            s_step_t step = s_dispatch_one(self, txn, &self->jobs[i], now);
            if (step == S_ERROR)
                rc = -1;
            moved += step != S_WAITING;
        }
        sms_job_clear(&self->jobs[i]);
    }
    /* The sink writes and syncs what it took, then answers: those outcomes are recorded
     * in this batch, so "sent" commits only after the sync (a crash repeats, never loses). */
    int answered = 0;
    for (int i = 0; i < self->nprov; i++)
        answered |= sms_provider_flush(self->provs[i].p);
    if (rc == 0 && answered && sms_worker_outcomes(self, txn, now) < 0)
        rc = -1;
    bool up = false;
    for (int i = 0; i < self->nprov; i++)
        up |= sms_gate_up(&self->gates[i], now) && !self->provs[i].p->failing;
    if (up != self->provider_ok)
        cmn_log(up ? CMN_LEVEL_INFO : CMN_LEVEL_WARN, NULL, "sms providers %s",
                up ? "work again" : "all fail; messages wait for one to recover");
    self->provider_ok = up;
    /* Only a batch that moved something asks to come back at once. */
    return rc < 0 ? -1 : moved == 0 ? 0 : n;
}
