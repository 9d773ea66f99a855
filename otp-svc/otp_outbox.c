/* otp_outbox: jobs keyed by message id; the set of ids in flight lives in memory
 * only, so after a restart every stored job is simply sent again. */
#include "otp_outbox.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "proto/store.pb-c.h"

#define S_ACK_DEADLINE_MS 3000

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
    char id[CMN_ID_HEX];
} s_ack_t;

/* sms-worker answered (or the deadline passed): an ack deletes the job. */
static int s_on_ack(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_ack_t *a = arg;
    zhashx_delete(a->outbox->in_flight, a->id);
    int rc = 0;
    if (!reply->error && reply->body_case == DVCID__REPLY__BODY_SMS_ACK &&
        strcmp(reply->sms_ack->message_id, a->id) == 0) {
        int d = cmn_db_del(ctx->txn, a->outbox->dbi, a->id, strlen(a->id));
        rc = d == CMN_DB_ERROR ? -1 : 0;
    } else if (reply->error && reply->error->status == DVCID__STATUS__STATUS_INVALID_REQUEST) {
        /* sms-worker will never take this job: retrying would loop forever. */
        CMN_ERROR(NULL, "sms job %s refused by sms-worker as malformed: dropped", a->id);
        rc = cmn_db_del(ctx->txn, a->outbox->dbi, a->id, strlen(a->id)) == CMN_DB_ERROR ? -1 : 0;
    } else {
        CMN_DEBUG(NULL, "sms job %s not acknowledged (status %d): will retry", a->id,
                  reply->error ? (int)reply->error->status : -1);
    }
    free(a);
    return rc;
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
    s_ack_t *a = calloc(1, sizeof(*a));
    if (!send || !a) {
        if (send)
            dvcid__sms_send__free_unpacked(send, NULL);
        free(a);
        return;
    }
    a->outbox = self;
    snprintf(a->id, sizeof(a->id), "%s", id);
    zhashx_insert(self->in_flight, a->id, (void *)1);
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.body_case = DVCID__REQUEST__BODY_SMS_SEND;
    req.sms_send = send;
    cmn_service_ask(ctx, self->peer, &req, trace, cmn_time_now_ms() + S_ACK_DEADLINE_MS, s_on_ack,
                    a);
    /* The request was packed by cmn_service_ask; the code goes with the plain copy. */
    if (send->code)
        cmn_wipe(send->code, strlen(send->code));
    dvcid__sms_send__free_unpacked(send, NULL);
}

int otp_outbox_put(otp_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *message_id,
                   const char *phone, Dvcid__Purpose purpose, const char *code) {
    char id[CMN_ID_HEX];
    if (message_id) {
        if (strlen(message_id) != CMN_ID_HEX - 1)
            return -1;
        snprintf(id, sizeof(id), "%s", message_id);
        MDB_val v;
        int rc = cmn_db_get(ctx->txn, self->dbi, id, strlen(id), &v);
        if (rc != CMN_DB_NOTFOUND)
            return rc == CMN_DB_OK ? 0 : -1; /* already queued: the retry timer delivers it */
    } else {
        uint8_t idb[CMN_ID_BYTES];
        cmn_id_new(idb);
        cmn_id_to_hex(idb, id);
    }
    Dvcid__SmsSend send = DVCID__SMS_SEND__INIT;
    send.message_id = id;
    send.phone = (char *)phone;
    send.purpose = purpose;
    send.code = (char *)code;
    send.lang = "vi";
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

int otp_outbox_retry(otp_outbox_t *self, cmn_ctx_t *ctx) {
    MDB_cursor *cur;
    if (mdb_cursor_open(ctx->txn, self->dbi, &cur) != 0)
        return -1;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (int n = 0; rc == 0 && n < 1024; n++) {
        char id[CMN_ID_HEX];
        if (k.mv_size == CMN_ID_HEX - 1) {
            memcpy(id, k.mv_data, k.mv_size);
            id[k.mv_size] = '\0';
            if (!zhashx_lookup(self->in_flight, id)) {
                Dvcid__Store__SmsJob *job =
                    dvcid__store__sms_job__unpack(NULL, v.mv_size, v.mv_data);
                if (job) {
                    CMN_INFO(NULL, "sms job %s sent again to sms-worker", id);
                    s_deliver(self, ctx, NULL, id, job->sealed.data, job->sealed.len);
                    dvcid__store__sms_job__free_unpacked(job, NULL);
                }
            }
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return 0;
}
