/* cmn_service_call: a request being handled (cmn_call_t): what it carries, and its
 * answer, staged to leave after the batch commits (cmn_service_out_push) and counted. */
#include <stdio.h>
#include <stdlib.h>

#include "cmn_log.h"
#include "cmn_service_int.h"

const char *cmn_call_client_ip(const cmn_call_t *call) { return call->req->client_ip; }
const Dvcid__Request *cmn_call_request(const cmn_call_t *call) { return call->req; }
const char *cmn_call_trace(const cmn_call_t *call) { return call->req->trace_id; }
uint64_t cmn_call_deadline(const cmn_call_t *call) { return call->deadline_ms; }

void cmn_call_answer_early(cmn_call_t *call) { call->early = 1; }

void cmn_call_rerun_safe(cmn_call_t *call) { call->rerun_safe = 1; }

void cmn_call_destroy(cmn_call_t **call_p) {
    if (!call_p || !*call_p)
        return;
    cmn_call_t *call = *call_p;
    zframe_destroy(&call->identity);
    if (call->req)
        dvcid__request__free_unpacked(call->req, NULL);
    call->req = NULL;
    call->answered = 1;
    if (!call->held) /* else the loop frees it when the handler returns */
        free(call);
    *call_p = NULL;
}

/* One line for a request refused for what it holds (a malformed or invalid one), so a
 * hostile message sent straight to a service's socket leaves a trace like any other:
 * the body, the status and the fields at fault (names and codes only, never values). */
static void s_log_refusal(const cmn_call_t *call, const Dvcid__Error *e) {
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &dvcid__request__descriptor, (unsigned)call->req->body_case);
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&dvcid__status__descriptor, (int)e->status);
    char fields[256] = "";
    size_t at = 0;
    for (size_t i = 0; i < e->n_details && at < sizeof(fields); i++) {
        int n = snprintf(fields + at, sizeof(fields) - at, "%s%s:%s", i ? ", " : " (",
                         e->details[i]->field, e->details[i]->code);
        at = n < 0 ? sizeof(fields) : at + (size_t)n;
    }
    if (e->n_details && at < sizeof(fields) - 1)
        snprintf(fields + at, sizeof(fields) - at, ")");
    CMN_INFO(cmn_call_trace(call), "refused a %s request: %s%s", f ? f->name : "bodiless",
             v ? v->name : "?", fields);
}

void cmn_call_reply(cmn_ctx_t *ctx, cmn_call_t **call_p, Dvcid__Reply *reply) {
    cmn_call_t *call = *call_p;
    if (reply->error && (reply->error->status == DVCID__STATUS__STATUS_INVALID_REQUEST ||
                         reply->error->status == DVCID__STATUS__STATUS_VALIDATION_FAILED))
        s_log_refusal(call, reply->error);
    s_out_t *o = cmn_service_out_push(ctx->svc);
    if (o) {
        reply->request_id = call->request_id;
        o->kind = S_OUT_REPLY;
        o->request_id = call->request_id;
        o->identity = call->identity;
        call->identity = NULL;
        o->data = cmn_service_pack_reply(reply, &o->len);
        /* Stored with the handler's effects when its item ends (s_item_replies): a repeat
         * of this request gets this answer. */
        if (call->origin && ctx->txn && ctx->svc->has_replies) {
            o->cache_origin = call->origin;
            o->cache_deadline = call->deadline_ms;
        }
        o->early = call->early;
    }
    cmn_service_count_reply(ctx->svc, call, reply);
    cmn_call_destroy(call_p);
}

void cmn_call_fail(cmn_ctx_t *ctx, cmn_call_t **call_p, Dvcid__Status status) {
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    e.status = status;
    r.error = &e;
    cmn_call_reply(ctx, call_p, &r);
}

void cmn_call_forward_error(cmn_ctx_t *ctx, cmn_call_t **call_p, const Dvcid__Reply *from) {
    /* A fresh Error with the known fields only: a peer's unknown fields must not travel on
     * (protobuf-c may re-pack some of them into bytes the next hop cannot read). */
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__Error e = DVCID__ERROR__INIT;
    Dvcid__Count attempts = DVCID__COUNT__INIT, retry = DVCID__COUNT__INIT;
    Dvcid__FieldError items[16];
    Dvcid__FieldError *ptrs[16];
    const Dvcid__Error *in = from->error;
    e.status = in ? in->status : DVCID__STATUS__STATUS_INTERNAL;
    if (e.status == DVCID__STATUS__STATUS_OK)
        e.status = DVCID__STATUS__STATUS_INTERNAL; /* an "error" that says OK is none */
    for (size_t i = 0; in && i < in->n_details && i < 16; i++) {
        dvcid__field_error__init(&items[i]);
        items[i].field = in->details[i]->field;
        items[i].code = in->details[i]->code;
        ptrs[i] = &items[i];
        e.n_details = i + 1;
    }
    e.details = ptrs;
    if (in && in->attempts_left) {
        attempts.value = in->attempts_left->value;
        e.attempts_left = &attempts;
    }
    if (in && in->retry_after) {
        retry.value = in->retry_after->value;
        e.retry_after = &retry;
    }
    r.error = &e;
    cmn_call_reply(ctx, call_p, &r);
}
