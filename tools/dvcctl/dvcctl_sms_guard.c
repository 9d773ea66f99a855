/* dvcctl sms pause | resume | status: otp-svc's SMS kill switch and what its
 * pumping defence holds (otp-svc/otp_guard.h). The state is in otp-svc's LMDB, shared
 * by every instance on it: any instance that answers will do. Admin role only. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "dvcctl.h"

#define S_USAGE "usage: dvcctl sms pause | resume | status\n"

static uint64_t s_now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void s_print(const Dvcid__OtpSmsStatusReply *s) {
    char t[32];
    uint64_t now = s_now_ms();
    if (s->paused)
        printf("sms        PAUSED since %s (dvcctl sms resume lifts it)\n",
               dvcctl_time(s->paused_ms, t, sizeof(t)));
    else
        printf("sms        sending\n");
    printf("day        %s (Vietnam time)\n", s->day);
    if (s->service) {
        if (s->service->limit)
            printf("budget     %llu of %llu SMS today\n", (unsigned long long)s->service->sent,
                   (unsigned long long)s->service->limit);
        else
            printf("budget     %llu SMS today (no daily budget)\n",
                   (unsigned long long)s->service->sent);
    }
    printf("blocked    %zu prefix(es)\n", s->n_blocks);
    for (size_t i = 0; i < s->n_blocks; i++) {
        const Dvcid__OtpSmsBlock *b = s->blocks[i];
        unsigned long long left = b->until_ms > now ? (b->until_ms - now + 999) / 1000 : 0;
        printf("  %-12s %-12s until %s (%llu s) level %u: %s\n", b->prefix, b->operator_,
               dvcctl_time(b->until_ms, t, sizeof(t)), left, b->level, b->reason);
    }
    printf("prefixes   %zu busiest today\n", s->n_prefixes);
    for (size_t i = 0; i < s->n_prefixes; i++) {
        const Dvcid__OtpSmsCount *c = s->prefixes[i];
        if (c->limit)
            printf("  %-12s %llu of %llu\n", c->name, (unsigned long long)c->sent,
                   (unsigned long long)c->limit);
        else
            printf("  %-12s %llu\n", c->name, (unsigned long long)c->sent);
    }
    printf("operators  conversion over otp.pump_window\n");
    for (size_t i = 0; i < s->n_operators; i++) {
        const Dvcid__OtpSmsCount *c = s->operators[i];
        if (c->sent)
            printf("  %-12s sent %llu verified %llu (%.0f%%)\n", c->name,
                   (unsigned long long)c->sent, (unsigned long long)c->verified,
                   100.0 * (double)c->verified / (double)c->sent);
        else
            printf("  %-12s sent 0\n", c->name);
    }
}

int dvcctl_sms(const cmn_config_t *cfg, int argc, char **argv) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__OtpSmsPause pause = DVCID__OTP_SMS_PAUSE__INIT;
    Dvcid__OtpSmsResume resume = DVCID__OTP_SMS_RESUME__INIT;
    Dvcid__OtpSmsStatusGet get = DVCID__OTP_SMS_STATUS_GET__INIT;
    const char *what = argc == 1 ? argv[0] : "";
    if (strcmp(what, "pause") == 0) {
        req.body_case = DVCID__REQUEST__BODY_OTP_SMS_PAUSE;
        req.otp_sms_pause = &pause;
    } else if (strcmp(what, "resume") == 0) {
        req.body_case = DVCID__REQUEST__BODY_OTP_SMS_RESUME;
        req.otp_sms_resume = &resume;
    } else if (strcmp(what, "status") == 0) {
        req.body_case = DVCID__REQUEST__BODY_OTP_SMS_STATUS_GET;
        req.otp_sms_status_get = &get;
    } else if (strcmp(what, "--help") == 0) {
        printf(S_USAGE "\npause   no code SMS goes out (503 sms_paused) until resume; kept over "
                       "restarts\nresume  codes go out again\nstatus  the switch, today's "
                       "budget, blocked prefixes (why, until when), operators' conversion\n");
        return DVCCTL_OK;
    } else {
        fprintf(stderr, S_USAGE);
        return DVCCTL_USAGE;
    }
    req.trace_id = "dvcctl";
    Dvcid__Reply *r = NULL;
    int rc = dvcctl_call(cfg, cfg->otp_endpoint, &req, &r);
    if (rc != DVCCTL_OK)
        return rc;
    if (r->body_case != DVCID__REPLY__BODY_OTP_SMS_STATUS) {
        fprintf(stderr, "dvcctl: otp-svc answered something else\n");
        dvcid__reply__free_unpacked(r, NULL);
        return DVCCTL_FAILED;
    }
    s_print(r->otp_sms_status);
    dvcid__reply__free_unpacked(r, NULL);
    return DVCCTL_OK;
}
