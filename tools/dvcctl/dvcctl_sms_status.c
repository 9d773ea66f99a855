/* dvcctl sms-status: what became of one SMS (by its message id, the idempotency
 * key otp-svc gave it), or of every SMS of one flow (the registration, sign-in,
 * reset or add-phone id the API answered with): sms-worker's status record, the
 * phone masked. otp-svc names a flow's messages; sms-worker knows each one. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmn_id.h"
#include "dvcctl.h"

#define S_USAGE "usage: dvcctl sms-status MESSAGE_ID | --flow FLOW_ID\n"

const char *dvcctl_time(uint64_t ms, char *out, size_t outlen) {
    if (!ms) {
        snprintf(out, outlen, "-");
        return out;
    }
    time_t t = (time_t)(ms / 1000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static const char *s_or_dash(const char *s) { return s && s[0] ? s : "-"; }

/* dvcctl_call, and a reply of the body it should have. Returns an exit code. */
static int s_ask(const cmn_config_t *cfg, const char *endpoint, Dvcid__Request *req,
                 Dvcid__Reply__BodyCase want, Dvcid__Reply **r) {
    req->trace_id = "dvcctl";
    int rc = dvcctl_call(cfg, endpoint, req, r);
    if (rc == DVCCTL_OK && (*r)->body_case != want) {
        fprintf(stderr, "dvcctl: %s answered something else\n", endpoint);
        dvcid__reply__free_unpacked(*r, NULL);
        *r = NULL;
        rc = DVCCTL_FAILED;
    }
    return rc;
}

/* Prints the status of message id. Returns an exit code. */
static int s_one(const cmn_config_t *cfg, const char *id) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__SmsStatusGet m = DVCID__SMS_STATUS_GET__INIT;
    m.message_id = (char *)id;
    req.body_case = DVCID__REQUEST__BODY_SMS_STATUS_GET;
    req.sms_status_get = &m;
    Dvcid__Reply *r = NULL;
    int rc = s_ask(cfg, cfg->sms_endpoint, &req, DVCID__REPLY__BODY_SMS_STATUS, &r);
    if (rc != DVCCTL_OK)
        return rc;
    const Dvcid__SmsStatusReply *s = r->sms_status;
    char t1[32], t2[32], t3[32];
    printf("message   %s\n", s->message_id);
    printf("state     %s\n", s->state);
    printf("purpose   %s\n", s->purpose);
    printf("to        %s\n", s_or_dash(s->phone_masked));
    printf("prefix    %s\n", s_or_dash(s->prefix));
    printf("provider  %s\n", s_or_dash(s->provider));
    printf("ref       %s\n", s_or_dash(s->ref));
    printf("tries     %u\n", s->tries);
    printf("created   %s\n", dvcctl_time(s->created_ms, t1, sizeof(t1)));
    printf("sent      %s\n", dvcctl_time(s->sent_ms, t2, sizeof(t2)));
    printf("receipt   %s\n", dvcctl_time(s->receipt_ms, t3, sizeof(t3)));
    printf("verified  %s\n", s->verified ? "yes" : "no");
    dvcid__reply__free_unpacked(r, NULL);
    return DVCCTL_OK;
}

/* Prints the flow's challenge, then each of its messages. Returns an exit code. */
static int s_flow(const cmn_config_t *cfg, const char *hex) {
    uint8_t flow[CMN_ID_BYTES];
    if (!cmn_id_from_hex(hex, flow)) {
        fprintf(stderr, "dvcctl: a flow id is 32 lowercase hex characters\n" S_USAGE);
        return DVCCTL_USAGE;
    }
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__OtpFlowGet m = DVCID__OTP_FLOW_GET__INIT;
    m.flow_id.data = flow;
    m.flow_id.len = sizeof(flow);
    req.body_case = DVCID__REQUEST__BODY_OTP_FLOW_GET;
    req.otp_flow_get = &m;
    Dvcid__Reply *r = NULL;
    int rc = s_ask(cfg, cfg->otp_endpoint, &req, DVCID__REPLY__BODY_OTP_FLOW, &r);
    if (rc != DVCCTL_OK)
        return rc;
    const Dvcid__OtpFlowReply *f = r->otp_flow;
    const ProtobufCEnumValue *p =
        protobuf_c_enum_descriptor_get_value(&dvcid__purpose__descriptor, (int)f->purpose);
    char t[32];
    printf("flow      %s\n", hex);
    printf("purpose   %s\n", p ? p->name + strlen("PURPOSE_") : "?");
    printf("to        %s\n", s_or_dash(f->phone_masked));
    printf("sends     %u\n", f->sends);
    printf("verified  %s\n", f->used ? "yes" : "no");
    printf("expires   %s\n", dvcctl_time(f->expires_ms, t, sizeof(t)));
    printf("messages  %zu\n", f->n_message_ids);
    for (size_t i = 0; i < f->n_message_ids && rc == DVCCTL_OK; i++) {
        printf("\n");
        fflush(stdout);
        rc = s_one(cfg, f->message_ids[i]);
    }
    dvcid__reply__free_unpacked(r, NULL);
    return rc;
}

int dvcctl_sms_status(const cmn_config_t *cfg, int argc, char **argv) {
    if (argc == 1 && strcmp(argv[0], "--help") != 0 && argv[0][0] != '-')
        return s_one(cfg, argv[0]);
    if (argc == 2 && strcmp(argv[0], "--flow") == 0)
        return s_flow(cfg, argv[1]);
    if (argc == 1 && strcmp(argv[0], "--help") == 0) {
        printf(S_USAGE
               "\nMESSAGE_ID is the SMS's idempotency key (dead-letters and logs show it);\n"
               "FLOW_ID the registration_id, login_id, reset_id or add-phone flow.\n"
               "exit status: 0 shown, 1 not found or failed, 2 bad usage, 3 no answer\n");
        return DVCCTL_OK;
    }
    fprintf(stderr, S_USAGE);
    return DVCCTL_USAGE;
}
