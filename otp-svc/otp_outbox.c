/* otp_outbox: SMS jobs and verified events on a cmn_outbox; jobs keyed by message
 * id, verified events by 'v' + message id. A job is stored sealed (SmsJob.sealed: the
 * packed SmsSend, code and all, under the outbox key) and sent as that packed SmsSend,
 * opened once and never unpacked: the bytes that were sealed are the bytes sent. An
 * event is stored as the packed SmsVerified it is sent as. */
#include "otp_outbox.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_outbox.h"
#include "cmn_time.h"
#include "proto/store.pb-c.h"

#define S_ACK_DEADLINE_MS 3000
#define S_RETRY_MAX 1024 /* jobs and events a retry sends at most */
#define S_EVENT_TAG 'v'  /* first byte of a verified event's key */
#define S_KEY_MAX (CMN_ID_HEX + 1)
/* An sms-worker instance that does not know a verified message answers NOT_FOUND:
 * with several instances the event goes round them (asks rotate) this long. */
#define S_EVENT_SEARCH_MS 60000

/* No sms-worker instance knows the message of a verified event (it was never
 * handed to a provider, or its status is swept)? One instance answering NOT_FOUND
 * says so; with several, every one had its turn once S_EVENT_SEARCH_MS passed. */
static bool s_nobody_knows(cmn_ctx_t *ctx, const otp_outbox_t *self, uint64_t at_ms) {
    return cmn_service_peer_instances(ctx->svc, cmn_outbox_peer(self)) <= 1 ||
           cmn_time_now_ms() > at_ms + S_EVENT_SEARCH_MS;
}

/* sms-worker's answer for entry key: its SmsAck for the message deletes it, and so
 * does NOT_FOUND for an event no instance knows. */
static int s_acked(otp_outbox_t *self, cmn_ctx_t *ctx, const Dvcid__Reply *reply, const char *key,
                   uint64_t at_ms, void *arg) {
    (void)arg;
    const char *id = key[0] == S_EVENT_TAG ? key + 1 : key;
    if (!reply->error && reply->body_case == DVCID__REPLY__BODY_SMS_ACK &&
        strcmp(reply->sms_ack->message_id, id) == 0)
        return CMN_OUTBOX_DONE;
    if (reply->error && reply->error->status == DVCID__STATUS__STATUS_NOT_FOUND &&
        key[0] == S_EVENT_TAG && s_nobody_knows(ctx, self, at_ms)) {
        CMN_INFO(NULL, "sms verified event %s: no sms-worker knows the message; not counted", id);
        return CMN_OUTBOX_DONE;
    }
    return CMN_OUTBOX_KEEP;
}

/* A retry of a verified event: sent as it is stored once past an ack deadline (a young
 * one may be in flight from another instance). */
static void s_again_event(otp_outbox_t *self, cmn_ctx_t *ctx, const char *key, const MDB_val *v,
                          uint64_t now) {
    /* Unpacked only to learn when the code was verified. */
    Dvcid__SmsVerified *ev = dvcid__sms_verified__unpack(NULL, v->mv_size, v->mv_data);
    if (!ev) {
        CMN_ERROR(NULL, "sms verified event %s cannot be read: left for the next try", key + 1);
        return;
    }
    uint64_t at_ms = ev->verified_ms;
    dvcid__sms_verified__free_unpacked(ev, NULL);
    if (at_ms + S_ACK_DEADLINE_MS > now)
        return;
    CMN_INFO(NULL, "sms verified event %s sent again to sms-worker", key + 1);
    cmn_outbox_send_packed(self, ctx, NULL, key, DVCID__REQUEST__BODY_SMS_VERIFIED, v->mv_data,
                           v->mv_size, at_ms);
}

/* Sends a stored job's sealed SmsSend, opened, as it is. */
static void s_send_sealed(otp_outbox_t *self, cmn_ctx_t *ctx, const uint8_t *seal_key,
                          const char *id, const uint8_t *sealed, size_t slen) {
    uint8_t *plain = NULL;
    size_t plen = 0;
    if (cmn_unseal(seal_key, sealed, slen, &plain, &plen) != 0) {
        CMN_ERROR(NULL, "sms job %s cannot be opened with the outbox key", id);
        return;
    }
    cmn_outbox_send_packed(self, ctx, NULL, id, DVCID__REQUEST__BODY_SMS_SEND, plain, plen, 0);
    /* The request was packed by the send: the code goes with the plain copy. */
    cmn_wipe(plain, plen);
    free(plain);
}

/* A retry of a job: sent once past an ack deadline, as an event. */
static void s_again_job(otp_outbox_t *self, cmn_ctx_t *ctx, const uint8_t *seal_key, const char *id,
                        const MDB_val *v, uint64_t now) {
    Dvcid__Store__SmsJob *job = dvcid__store__sms_job__unpack(NULL, v->mv_size, v->mv_data);
    if (job && job->created_ms + S_ACK_DEADLINE_MS <= now) {
        CMN_INFO(NULL, "sms job %s sent again to sms-worker", id);
        s_send_sealed(self, ctx, seal_key, id, job->sealed.data, job->sealed.len);
    }
    if (job)
        dvcid__store__sms_job__free_unpacked(job, NULL);
}

/* A retry of one entry not in flight (sms-worker drops a repeat by message id). */
static int s_again(otp_outbox_t *self, cmn_ctx_t *ctx, const char *key, const MDB_val *v,
                   uint64_t now, void *seal_key) {
    size_t klen = strlen(key);
    if (klen == CMN_ID_HEX && key[0] == S_EVENT_TAG)
        s_again_event(self, ctx, key, v, now);
    else if (klen == CMN_ID_HEX - 1)
        s_again_job(self, ctx, seal_key, key, v, now);
    return 0;
}

otp_outbox_t *otp_outbox_new(MDB_dbi dbi, int peer, const uint8_t *key) {
    cmn_outbox_opts_t o = {.name = "sms outbox entry",
                           .peer_name = "sms-worker",
                           .dbi = dbi,
                           .peer = peer,
                           .ack_ms = S_ACK_DEADLINE_MS,
                           .retry_max = S_RETRY_MAX,
                           .again = s_again,
                           .acked = s_acked,
                           .arg = (void *)key}; /* read only, by cmn_unseal */
    return cmn_outbox_new(&o);
}

void otp_outbox_destroy(otp_outbox_t **self_p) { cmn_outbox_destroy(self_p); }

size_t otp_outbox_in_flight(const otp_outbox_t *self) { return cmn_outbox_in_flight(self); }

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
    if (cmn_outbox_put(self, ctx, key, buf, n, 0) != 0)
        return -1;
    cmn_outbox_send_packed(self, ctx, trace, key, DVCID__REQUEST__BODY_SMS_VERIFIED, buf, n, at_ms);
    return 0;
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
    } else {
        uint8_t idb[CMN_ID_BYTES];
        cmn_id_make(idb);
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
    int rc = cmn_seal(cmn_outbox_arg(self), plain, plen, &sealed, &slen);
    if (rc == 0) {
        Dvcid__Store__SmsJob job = DVCID__STORE__SMS_JOB__INIT;
        job.message_id = id;
        job.sealed.data = sealed;
        job.sealed.len = slen;
        job.purpose = (uint32_t)purpose;
        job.created_ms = cmn_time_now_ms();
        /* A job already stored under the caller's message id is kept as it is: the retry
         * timer delivers it. */
        rc = cmn_outbox_put_msg(self, ctx, id, &job, CMN_DB_NOOVER);
        /* What was sealed goes out as it is: no opening of what was just closed. */
        if (rc == 0)
            cmn_outbox_send_packed(self, ctx, trace, id, DVCID__REQUEST__BODY_SMS_SEND, plain, plen,
                                   0);
    }
    cmn_wipe(plain, plen);
    free(plain);
    free(sealed);
    return rc >= 0 ? 0 : -1;
}

int otp_outbox_retry(otp_outbox_t *self, cmn_ctx_t *ctx) { return cmn_outbox_retry(self, ctx); }
