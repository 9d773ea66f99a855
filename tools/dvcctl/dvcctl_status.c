/* dvcctl status: pings each service at its endpoint and reads its queue gauges from
 * its own metrics (not the chain's: a service that answers alone is still seen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_client.h"
#include "cmn_endpoints.h"
#include "cmn_shard.h"
#include "dvcctl.h"

int dvcctl_call(const cmn_config_t *cfg, const char *endpoint, Dvcid__Request *req,
                Dvcid__Reply **reply) {
    char err[256];
    if (cmn_client_call(cfg, endpoint, req, 2000, reply, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvcctl: %s\n", err);
        return DVCCTL_UNREACHABLE;
    }
    if ((*reply)->error) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &dvcid__status__descriptor, (int)(*reply)->error->status);
        const char *name = v ? v->name : "STATUS_INTERNAL";
        if (strcmp(name, "STATUS_NOT_FOUND") == 0)
            fprintf(stderr, "dvcctl: not found\n");
        else
            fprintf(stderr, "dvcctl: %s answered %s\n", endpoint, name + 7);
        dvcid__reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        return DVCCTL_FAILED;
    }
    return DVCCTL_OK;
}

/* The value of the first sample of metric name with this service label in text. */
static const char *s_sample(const char *text, const char *name, const char *service, char *out,
                            size_t outlen) {
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "%s{service=\"%s\"", name, service);
    const char *p = text;
    while ((p = strstr(p, prefix))) {
        if (p == text || p[-1] == '\n') {
            const char *sp = strchr(p, '}');
            const char *nl = sp ? strchr(sp, '\n') : NULL;
            if (sp && sp[1] == ' ') {
                size_t n = nl ? (size_t)(nl - sp - 2) : strlen(sp + 2);
                snprintf(out, outlen, "%.*s", (int)n, sp + 2);
                return out;
            }
        }
        p += strlen(prefix);
    }
    snprintf(out, outlen, "-");
    return out;
}

typedef struct {
    const char *name; /* the service label of its metrics */
    char label[32];   /* what the table says: the name, and the shard when sharded */
    char endpoint[CMN_CONFIG_LIST];
} s_row_t;

int dvcctl_status(const cmn_config_t *cfg, int argc, char **argv) {
    (void)argc;
    (void)argv;
    static s_row_t svcs[CMN_SHARD_MAX + 2];
    size_t nsvcs = 0;
    char err[256];
    cmn_endpoints_t *eps =
        cmn_endpoints_new("[account] endpoint", cfg->account_endpoint, err, sizeof(err));
    if (!eps) {
        fprintf(stderr, "dvcctl: %s\n", err);
        return DVCCTL_USAGE;
    }
    /* Every account shard has a row: a split is checked shard by shard. */
    int nshards = cmn_endpoints_shards(eps);
    for (int s = 0; s < nshards; s++, nsvcs++) {
        svcs[nsvcs].name = "account-svc";
        snprintf(svcs[nsvcs].label, sizeof(svcs[nsvcs].label),
                 nshards > 1 ? "account-svc/%d" : "account-svc", s);
        dvcctl_shard_list(eps, s, svcs[nsvcs].endpoint, sizeof(svcs[nsvcs].endpoint));
    }
    cmn_endpoints_destroy(&eps);
    svcs[nsvcs].name = "otp-svc";
    snprintf(svcs[nsvcs].label, sizeof(svcs[nsvcs].label), "otp-svc");
    snprintf(svcs[nsvcs++].endpoint, sizeof(svcs[0].endpoint), "%s", cfg->otp_endpoint);
    svcs[nsvcs].name = "sms-worker";
    snprintf(svcs[nsvcs].label, sizeof(svcs[nsvcs].label), "sms-worker");
    snprintf(svcs[nsvcs++].endpoint, sizeof(svcs[0].endpoint), "%s", cfg->sms_endpoint);
    int rc = DVCCTL_OK;
    printf("%-14s %-8s %-9s %-10s %-9s %-9s %-10s %-18s %s\n", "service", "answers", "ready",
           "in-flight", "pool", "outbox", "sms-queue", "store (of max)", "disk-free");
    for (size_t i = 0; i < nsvcs; i++) {
        Dvcid__Request req = DVCID__REQUEST__INIT;
        Dvcid__Ping ping = DVCID__PING__INIT;
        req.body_case = DVCID__REQUEST__BODY_PING;
        req.ping = &ping;
        req.trace_id = "dvcctl";
        Dvcid__Reply *pong = NULL;
        if (cmn_client_call(cfg, svcs[i].endpoint, &req, 2000, &pong, err, sizeof(err)) != 0) {
            printf("%-14s %-8s (%s)\n", svcs[i].label, "no", err);
            rc = DVCCTL_UNREACHABLE;
            continue;
        }
        int ready = pong->body_case == DVCID__REPLY__BODY_PONG && pong->pong->ready;
        dvcid__reply__free_unpacked(pong, NULL);
        /* Own metrics only: ask with a deadline, read this service's samples. */
        Dvcid__Request mreq = DVCID__REQUEST__INIT;
        Dvcid__MetricsGet mg = DVCID__METRICS_GET__INIT;
        mreq.body_case = DVCID__REQUEST__BODY_METRICS_GET;
        mreq.metrics_get = &mg;
        Dvcid__Reply *m = NULL;
        /* The gauges shown, in column order; the storage ones become MiB and a share. */
        static const char *const names[] = {
            "dvcid_pending_asks",           "dvcid_pool_depth",      "dvcid_otp_outbox_in_flight",
            "dvcid_sms_queue_depth",        "dvcid_lmdb_used_bytes", "dvcid_lmdb_max_map_bytes",
            "dvcid_storage_disk_free_bytes"};
        enum { N = sizeof(names) / sizeof(names[0]) };
        char vals[N][32];
        for (size_t k = 0; k < N; k++)
            snprintf(vals[k], sizeof(vals[k]), "-");
        if (cmn_client_call(cfg, svcs[i].endpoint, &mreq, 2000, &m, err, sizeof(err)) == 0) {
            for (size_t t = 0;
                 !m->error && m->body_case == DVCID__REPLY__BODY_METRICS && t < m->metrics->n_texts;
                 t++) {
                const char *text = m->metrics->texts[t];
                if (!strstr(text, svcs[i].name))
                    continue;
                char tmp[32];
                for (size_t k = 0; k < N; k++)
                    if (strcmp(s_sample(text, names[k], svcs[i].name, tmp, 32), "-") != 0)
                        snprintf(vals[k], sizeof(vals[k]), "%s", tmp);
            }
            dvcid__reply__free_unpacked(m, NULL);
        }
        char store[48] = "-", disk[32] = "-";
        if (strcmp(vals[4], "-") != 0 && strcmp(vals[5], "-") != 0) {
            double used = strtod(vals[4], NULL), max = strtod(vals[5], NULL);
            snprintf(store, sizeof(store), "%.0f MiB %.1f%%", used / 1048576.0,
                     max > 0 ? 100.0 * used / max : 0.0);
        }
        if (strcmp(vals[6], "-") != 0)
            snprintf(disk, sizeof(disk), "%.0f MiB", strtod(vals[6], NULL) / 1048576.0);
        printf("%-14s %-8s %-9s %-10s %-9s %-9s %-10s %-18s %s\n", svcs[i].label, "yes",
               ready ? "yes" : "no", vals[0], vals[1], vals[2], vals[3], store, disk);
        if (!ready && rc == DVCCTL_OK)
            rc = DVCCTL_FAILED;
    }
    return rc;
}
