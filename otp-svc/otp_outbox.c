/* otp_outbox: jobs keyed by message id, verified events by 'v' + message id; the
 * set of keys in flight lives in memory only, so after a restart every stored
 * entry is simply sent again. */
#include "otp_outbox.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "proto/store.pb-c.h"

#define S_ACK_DEADLINE_MS 3000
#define S_EVENT_TAG 'v' /* first byte of a verified event's key */
#define S_KEY_MAX (CMN_ID_HEX + 1)
/* An sms-worker instance that does not know a verified message answers NOT_FOUND:
 * with several instances the event goes round them (asks rotate) this long. */
#define S_EVENT_SEARCH_MS 60000

struct otp_outbox {
    MDB_dbi dbi;
    int peer;
    const uint8_t *key;
    zhashx_t *in_flight; /* message id -> (void *)1 */
};

otp_outbox_t *otp_outbox_new(MDB_dbi dbi, int peer, const uint8_t *key) {
    otp_outbox_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->dbi = dbi;
    self->peer = peer;
    self->key = key;
    self->in_flight = zhashx_new();
    if (!self->in_flight) {
        free(self);
        return NULL;
    }
    return self;
}

void otp_outbox_destroy(otp_outbox_t **self_p) {
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->in_flight);
    free(*self_p);
    *self_p = NULL;
}

size_t otp_outbox_in_flight(const otp_outbox_t *self) { return zhashx_size(self->in_flight); }

typedef struct {
    otp_outbox_t *outbox;
    char key[S_KEY_MAX]; /* the outbox key: id, or S_EVENT_TAG + id */
    const char *id;      /* the message id within key */
    uint64_t at_ms;      /* a verified event: when the code was verified */
} s_ack_t;

/* No sms-worker instance knows the message of a verified event (it was never
 * handed to a provider, or its status is swept)? One instance answering NOT_FOUND
 * says so; with several, every one had its turn once S_EVENT_SEARCH_MS passed. */
static bool s_nobody_knows(cmn_ctx_t *ctx, const s_ack_t *a) {
    return cmn_service_peer_instances(ctx->svc, a->outbox->peer) <= 1 ||
           cmn_time_now_ms() > a->at_ms + S_EVENT_SEARCH_MS;
}

/* sms-worker answered (or the deadline passed): an ack deletes the entry. */
static int s_on_ack(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_ack_t *a = arg;
    zhashx_delete(a->outbox->in_flight, a->key);
    const char *what = a->key[0] == S_EVENT_TAG ? "verified event" : "job";
    int rc = 0;
    if (!reply->error && reply->body_case == DVCID__REPLY__BODY_SMS_ACK &&
        strcmp(reply->sms_ack->message_id, a->id) == 0) {
        int d = cmn_db_del(ctx->txn, a->outbox->dbi, a->key, strlen(a->key));
        rc = d == CMN_DB_ERROR ? -1 : 0;
    } else if (reply->error && reply->error->status == DVCID__STATUS__STATUS_NOT_FOUND &&
               a->key[0] == S_EVENT_TAG && s_nobody_knows(ctx, a)) {
        CMN_INFO(NULL, "sms verified event %s: no sms-worker knows the message; not counted",
                 a->id);
        rc = cmn_db_del(ctx->txn, a->outbox->dbi, a->key, strlen(a->key)) == CMN_DB_ERROR ? -1 : 0;
    } else if (reply->error && reply->error->status == DVCID__STATUS__STATUS_INVALID_REQUEST) {
        /* sms-worker will never take this entry: retrying would loop forever. */
        CMN_ERROR(NULL, "sms %s %s refused by sms-worker as malformed: dropped", what, a->id);
        rc = cmn_db_del(ctx->txn, a->outbox->dbi, a->key, strlen(a->key)) == CMN_DB_ERROR ? -1 : 0;
    } else {
        CMN_DEBUG(NULL, "sms %s %s not acknowledged (status %d): will retry", what, a->id,
                  reply->error ? (int)reply->error->status : -1);
    }
    free(a);
    return rc;
}

/* A new in-flight entry for key; NULL when out of memory. */
static s_ack_t *s_ack_new(otp_outbox_t *self, const char *key) {
    s_ack_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->outbox = self;
    snprintf(a->key, sizeof(a->key), "%s", key);
    a->id = a->key[0] == S_EVENT_TAG ? a->key + 1 : a->key;
    zhashx_insert(self->in_flight, a->key, (void *)1);
    return a;
}

/* Asks sms-worker to take req, the entry stored under key, until it acknowledges. */
static void s_ask(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                  Dvcid__Request *req, uint64_t at_ms) {
    s_ack_t *a = s_ack_new(self, key);
    if (!a) {
        CMN_ERROR(trace, "sms outbox %s: out of memory; left for the next try", key);
        return;
    }
    a->at_ms = at_ms;
    cmn_service_ask(ctx, self->peer, req, trace, cmn_time_now_ms() + S_ACK_DEADLINE_MS, s_on_ack,
                    a);
}

/* Stages one SmsVerified from its stored packed form; with now, only an event past
 * an ack deadline (a young one may be in flight from another instance). */
static void s_deliver_event(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                            const MDB_val *v, uint64_t now) {
    Dvcid__SmsVerified *ev = dvcid__sms_verified__unpack(NULL, v->mv_size, v->mv_data);
    if (!ev) {
        CMN_ERROR(trace, "sms verified event %s cannot be read: left for the next try", key + 1);
        return;
    }
    if (now && ev->verified_ms + S_ACK_DEADLINE_MS > now) {
        dvcid__sms_verified__free_unpacked(ev, NULL);
        return;
    }
    if (now)
        CMN_INFO(trace, "sms verified event %s sent again to sms-worker", key + 1);
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.body_case = DVCID__REQUEST__BODY_SMS_VERIFIED;
    req.sms_verified = ev;
    s_ask(self, ctx, trace, key, &req, ev->verified_ms);
    dvcid__sms_verified__free_unpacked(ev, NULL);
}

int otp_outbox_verified(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace,
                        const char *message_id, Dvcid__Purpose purpose, uint64_t at_ms) {
    char key[S_KEY_MAX];
    if (strlen(message_id) != CMN_ID_HEX - 1)
        return -1;
    snprintf(key, sizeof(key), "%c%s", S_EVENT_TAG, message_id);
    Dvcid__SmsVerified ev = DVCID__SMS_VERIFIED__INIT;
    ev.message_id = (char *)message_id;
    ev.purpose = purpose;
    ev.verified_ms = at_ms;
    uint8_t buf[128];
    size_t n = dvcid__sms_verified__get_packed_size(&ev);
    if (n > sizeof(buf))
        return -1;
    dvcid__sms_verified__pack(&ev, buf);
    if (cmn_db_put(ctx->txn, self->dbi, key, strlen(key), buf, n, 0) != CMN_DB_OK)
        return -1;
    MDB_val v = {.mv_size = n, .mv_data = buf};
    s_deliver_event(self, ctx, trace, key, &v, 0);
    return 0;
}

/* Stages one SmsSend for a stored job. */
static void s_deliver(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *id,
                      const uint8_t *sealed, size_t slen) {
    uint8_t *plain = NULL;
    size_t plen = 0;
    if (cmn_unseal(self->key, sealed, slen, &plain, &plen) != 0) {
        CMN_ERROR(trace, "sms job %s cannot be opened with the outbox key", id);
        return;
    }
    Dvcid__SmsSend *send = dvcid__sms_send__unpack(NULL, plen, plain);
    cmn_wipe(plain, plen);
    free(plain);
    if (!send)
        return;
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.body_case = DVCID__REQUEST__BODY_SMS_SEND;
    req.sms_send = send;
    s_ask(self, ctx, trace, id, &req, 0);
    /* The request was packed by cmn_service_ask; the code goes with the plain copy. */
    if (send->code)
        cmn_wipe(send->code, strlen(send->code));
    dvcid__sms_send__free_unpacked(send, NULL);
}

int otp_outbox_put(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *message_id,
                   const char *phone, Dvcid__Purpose purpose, const char *code, const char *lang,
                   char *id_out) {
    char id[CMN_ID_HEX];
    if (message_id) {
        if (strlen(message_id) != CMN_ID_HEX - 1)
            return -1;
        snprintf(id, sizeof(id), "%s", message_id);
        if (id_out)
            snprintf(id_out, CMN_ID_HEX, "%s", id);
        MDB_val v;
        int rc = cmn_db_get(ctx->txn, self->dbi, id, strlen(id), &v);
        if (rc != CMN_DB_NOTFOUND)
            return rc == CMN_DB_OK ? 0 : -1; /* already queued: the retry timer delivers it */
    } else {
        uint8_t idb[CMN_ID_BYTES];
        cmn_id_new(idb);
        cmn_id_to_hex(idb, id);
        if (id_out)
            snprintf(id_out, CMN_ID_HEX, "%s", id);
    }
    Dvcid__SmsSend send = DVCID__SMS_SEND__INIT;
    send.message_id = id;
    send.phone = (char *)phone;
    send.purpose = purpose;
    send.code = (char *)code;
    send.lang = lang && strcmp(lang, "en") == 0 ? "en" : "vi";
    size_t plen = dvcid__sms_send__get_packed_size(&send);
    uint8_t *plain = malloc(plen ? plen : 1);
    uint8_t *sealed = NULL;
    size_t slen = 0;
    if (!plain)
        return -1;
    dvcid__sms_send__pack(&send, plain);
    int rc = cmn_seal(self->key, plain, plen, &sealed, &slen);
    cmn_wipe(plain, plen);
    free(plain);
    if (rc != 0)
        return -1;
    Dvcid__Store__SmsJob job = DVCID__STORE__SMS_JOB__INIT;
    job.message_id = id;
    job.sealed.data = sealed;
    job.sealed.len = slen;
    job.purpose = (uint32_t)purpose;
    job.created_ms = cmn_time_now_ms();
    rc = cmn_db_put_msg(ctx->txn, self->dbi, id, strlen(id), &job, 1);
    if (rc == CMN_DB_OK)
        s_deliver(self, ctx, trace, id, sealed, slen);
    free(sealed);
    return rc == CMN_DB_OK ? 0 : -1;
}

typedef struct {
    otp_outbox_t *self;
    cmn_ctx_t *ctx;
    uint64_t now;
    int n;
} s_retry_t;

/* Sends one waiting job or event again unless it is in flight; 1024 a turn at the most. */
static int s_retry_one(const MDB_val *k, const MDB_val *v, void *arg) {
    s_retry_t *r = arg;
    if (r->n++ == 1024)
        return CMN_DB_EACH_STOP;
    char id[S_KEY_MAX];
    if (k->mv_size == CMN_ID_HEX && ((const char *)k->mv_data)[0] == S_EVENT_TAG) {
        memcpy(id, k->mv_data, k->mv_size);
        id[k->mv_size] = '\0';
        if (!zhashx_lookup(r->self->in_flight, id))
            s_deliver_event(r->self, r->ctx, NULL, id, v, r->now);
    } else if (k->mv_size == CMN_ID_HEX - 1) {
        memcpy(id, k->mv_data, k->mv_size);
        id[k->mv_size] = '\0';
        if (zhashx_lookup(r->self->in_flight, id))
            return CMN_DB_EACH_NEXT;
        Dvcid__Store__SmsJob *job = dvcid__store__sms_job__unpack(NULL, v->mv_size, v->mv_data);
        /* A young job may be in flight from another instance sharing this LMDB: only
         * those past an ack deadline are sent again (sms-worker drops a repeat by message
         * id in any case). */
        if (job && job->created_ms + S_ACK_DEADLINE_MS <= r->now) {
            CMN_INFO(NULL, "sms job %s sent again to sms-worker", id);
            s_deliver(r->self, r->ctx, NULL, id, job->sealed.data, job->sealed.len);
        }
        if (job)
            dvcid__store__sms_job__free_unpacked(job, NULL);
    }
    return CMN_DB_EACH_NEXT;
}

int otp_outbox_retry(otp_outbox_t *self, cmn_ctx_t *ctx) {
    s_retry_t r = {self, ctx, cmn_time_now_ms(), 0};
    return cmn_db_each(ctx->txn, self->dbi, NULL, 0, s_retry_one, &r) < 0 ? -1 : 0;
}
