/* dvcctl dead-letters / retry-dead: what sms-worker keeps of SMS that failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dvcctl.h"

int dvcctl_dead_list(const cmn_config_t *cfg, int argc, char **argv) {
    if (argc > 1) {
        fprintf(stderr, "usage: dvcctl dead-letters [LIMIT]\n");
        return DVCCTL_USAGE;
    }
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__SmsDeadList m = DVCID__SMS_DEAD_LIST__INIT;
    m.limit = argc ? (uint32_t)strtoul(argv[0], NULL, 10) : 100;
    req.body_case = DVCID__REQUEST__BODY_SMS_DEAD_LIST;
    req.sms_dead_list = &m;
    req.trace_id = "dvcctl";
    Dvcid__Reply *r = NULL;
    int rc = dvcctl_call(cfg, cfg->sms_endpoint, &req, &r);
    if (rc != DVCCTL_OK)
        return rc;
    if (r->body_case != DVCID__REPLY__BODY_SMS_DEAD) {
        dvcid__reply__free_unpacked(r, NULL);
        return DVCCTL_FAILED;
    }
    printf("%llu dead letter(s)\n", (unsigned long long)r->sms_dead->total);
    for (size_t i = 0; i < r->sms_dead->n_letters; i++) {
        const Dvcid__DeadLetter *d = r->sms_dead->letters[i];
        char at[32];
        time_t t = (time_t)(d->created_ms / 1000u);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%s  %s  %-14s %-12s tries %u\n", d->message_id, at, d->purpose, d->phone_masked,
               d->tries);
    }
    dvcid__reply__free_unpacked(r, NULL);
    return DVCCTL_OK;
}

int dvcctl_dead_retry(const cmn_config_t *cfg, int argc, char **argv) {
    if (argc > 1) {
        fprintf(stderr, "usage: dvcctl retry-dead [MESSAGE_ID]\n");
        return DVCCTL_USAGE;
    }
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__SmsDeadRetry m = DVCID__SMS_DEAD_RETRY__INIT;
    m.message_id = argc ? argv[0] : "";
    req.body_case = DVCID__REQUEST__BODY_SMS_DEAD_RETRY;
    req.sms_dead_retry = &m;
    req.trace_id = "dvcctl";
    Dvcid__Reply *r = NULL;
    int rc = dvcctl_call(cfg, cfg->sms_endpoint, &req, &r);
    if (rc != DVCCTL_OK)
        return rc;
    unsigned long long n = r->body_case == DVCID__REPLY__BODY_COUNT ? r->count->count : 0;
    printf("%llu message(s) queued again\n", n);
    dvcid__reply__free_unpacked(r, NULL);
    return n || !argc ? DVCCTL_OK : DVCCTL_FAILED;
}
