/* Unit test of the pieces behind receipts and metrics, on a temporary LMDB:
 * sms_status (sent with the SMSC's id, receipts by that id or by ours, repeats,
 * a receipt before the "sent", receipts that never come, forgetting), and
 * sms_metrics' series on cmn_metrics, counters read at render time among them (the
 * channel is test_chan's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "sms_metrics.h"
#include "sms_queue.h"
#include "sms_status.h"
#include "tap.h"

static cmn_db_t *s_db;

static MDB_txn *s_begin(void) {
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(cmn_db_env(s_db), NULL, 0, &txn);
    CHECK(rc == 0, "txn begin: %s", mdb_strerror(rc));
    return txn;
}

static MDB_txn *s_txn;

/* Whether database dbi of s_db holds exactly want under key (in s_txn). */
static int s_raw(int dbi, const char *key, const char *want) {
    MDB_val v;
    if (cmn_db_get(s_txn, cmn_db_dbi(s_db, dbi), key, strlen(key), &v) != CMN_DB_OK)
        return 0;
    int same = v.mv_size == strlen(want) && memcmp(v.mv_data, want, v.mv_size) == 0;
    if (!same)
        fprintf(stderr, "# %s: %.*s\n", key, (int)v.mv_size, (const char *)v.mv_data);
    return same;
}

static int s_unconfirmed;
static void s_count(void *arg, const char *provider) {
    (void)arg;
    s_unconfirmed += strcmp(provider, "smpp") == 0;
}

int main(void) {
    char dir[] = "/tmp/test_sms_status_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    s_db = cmn_db_new(dir, 16, sms_queue_dbs, SMS_QUEUE_NDBS);
    sms_status_t *st = s_db ? sms_status_new(s_db) : NULL;
    CHECK(st != NULL, "sms_status_new");
    if (!st)
        return TEST_DONE();
    char id[SMS_ID_MAX + 1], via[SMS_NAME_MAX];
    uint64_t sent = 0;
    sms_status_rec_t rec;
    MDB_txn *txn = s_begin();
    s_txn = txn;

    /* Sent through SMPP with the SMSC's id; the receipt names that id. */
    CHECK(sms_status_sent(st, txn, "m-1", "smpp", "SIM1", 1000, 61000, "+8498", "+84*****001") == 0,
          "sent m-1");
    CHECK(sms_status_get(st, txn, "m-1", &rec) == SMS_QUEUE_OK, "get m-1");
    CHECK(strcmp(rec.provider, "smpp") == 0 && strcmp(rec.ref, "SIM1") == 0 &&
              rec.sent_ms == 1000 && rec.state[0] == '\0',
          "m-1 record");
    CHECK(strcmp(rec.prefix, "+8498") == 0 && strcmp(rec.phone_masked, "+84*****001") == 0,
          "m-1 prefix %s masked %s", rec.prefix, rec.phone_masked);
    /* A ref that is not plain ASCII is written through the JSON object path: the same
     * record, and its receipt matches. */
    CHECK(sms_status_sent(st, txn, "m-q", "smpp", "Q\"1\\", 1100, 61100, "+8498", "x") == 0,
          "sent m-q");
    CHECK(sms_status_get(st, txn, "m-q", &rec) == SMS_QUEUE_OK && strcmp(rec.ref, "Q\"1\\") == 0 &&
              rec.sent_ms == 1100 && strcmp(rec.prefix, "+8498") == 0,
          "m-q record: ref %s", rec.ref);
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "Q\"1\\", SMS_DLR_DELIVERED, 1200, id, &sent,
                             via) == 1 &&
              strcmp(id, "m-q") == 0,
          "receipt of m-q");
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "SIM1", SMS_DLR_ACCEPTED, 1500, id, &sent,
                             via) == 0,
          "an intermediate report is not final");
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "SIM1", SMS_DLR_DELIVERED, 2000, id, &sent,
                             via) == 1,
          "receipt by ref");
    CHECK(strcmp(id, "m-1") == 0 && sent == 1000, "matched %s sent %llu", id,
          (unsigned long long)sent);
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "SIM1", SMS_DLR_FAILED, 2500, id, &sent, via) ==
              0,
          "a repeat changed a final state");
    CHECK(sms_status_get(st, txn, "m-1", &rec) == SMS_QUEUE_OK &&
              strcmp(rec.state, "delivered") == 0 && rec.receipt_ms == 2000,
          "m-1 delivered");
    /* The receipt edits the record s_sent_new wrote as text without jansson: the record
     * the object path writes (members in place, "d" and "t" appended, "a" dropped with
     * its await entry), and a repeat leaves it as it is. */
    CHECK(s_raw(3, "m-1",
                "{\"p\":\"smpp\",\"s\":1000,\"x\":\"+8498\",\"m\":\"+84*****001\","
                "\"r\":\"SIM1\",\"d\":1,\"t\":2000}"),
          "m-1 record after its receipt");
    const uint8_t await1[] = {0, 0, 0, 0, 0, 0, 0xee, 0x48, 'm', '-', '1'}; /* 61000 . m-1 */
    MDB_val gone;
    CHECK(cmn_db_get(txn, cmn_db_dbi(s_db, 5), await1, sizeof(await1), &gone) == CMN_DB_NOTFOUND,
          "m-1's await entry dropped");
    /* A record that is not flat plain values goes through jansson, with the same result. */
    MDB_dbi sdbi = cmn_db_dbi(s_db, 3);
    const char *odd = "{\"p\":\"smpp\",\"s\":5,\"n\":{\"k\":1},\"d\":2,\"r\":\"R9\"}";
    CHECK(cmn_db_put(txn, sdbi, "m-odd", 5, odd, strlen(odd), 0) == CMN_DB_OK, "put m-odd");
    CHECK(sms_status_receipt(st, txn, "smpp", "m-odd", NULL, SMS_DLR_DELIVERED, 9, id, &sent,
                             via) == 0 &&
              sent == 5,
          "m-odd: a final state kept");
    const char *odd2 = "{\"p\":\"smpp\",\"s\":6,\"n\":[1],\"a\":77}";
    CHECK(cmn_db_put(txn, sdbi, "m-odd2", 6, odd2, strlen(odd2), 0) == CMN_DB_OK, "put m-odd2");
    CHECK(sms_status_receipt(st, txn, "smpp", "m-odd2", NULL, SMS_DLR_EXPIRED, 10, id, &sent,
                             via) == 1 &&
              s_raw(3, "m-odd2", "{\"p\":\"smpp\",\"s\":6,\"n\":[1],\"d\":3,\"t\":10}"),
          "m-odd2 through jansson");
    CHECK(cmn_db_del(txn, sdbi, "m-odd", 5) == CMN_DB_OK &&
              cmn_db_del(txn, sdbi, "m-odd2", 6) == CMN_DB_OK,
          "m-odd records removed");
    /* The same ref from another provider is another message. */
    CHECK(sms_status_receipt(st, txn, "http", NULL, "SIM1", SMS_DLR_DELIVERED, 2000, id, &sent,
                             via) == 0,
          "ref matched across providers");
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "NOPE", SMS_DLR_DELIVERED, 2000, id, &sent,
                             via) == 0,
          "unknown ref matched");

    /* Kannel: the receipt names our id, and may come before the HTTP answer. */
    CHECK(sms_status_receipt(st, txn, "http", "m-2", NULL, SMS_DLR_FAILED, 3000, id, &sent, via) ==
              1,
          "early receipt");
    CHECK(sms_status_sent(st, txn, "m-2", "http", "", 3100, 63100, NULL, NULL) == 0, "sent m-2");
    CHECK(sms_status_get(st, txn, "m-2", &rec) == SMS_QUEUE_OK && strcmp(rec.state, "failed") == 0,
          "m-2 state %s", rec.state);

    /* No receipt in time: "unconfirmed", counted once; a late receipt is ignored. */
    CHECK(sms_status_sent(st, txn, "m-3", "smpp", "SIM3", 4000, 64000, "+8491", NULL) == 0,
          "sent m-3");
    CHECK(sms_status_expire(st, txn, 63999, 100, s_count, NULL) == 0, "expired early");
    CHECK(sms_status_expire(st, txn, 64001, 100, s_count, NULL) == 1, "expire m-3");
    CHECK(s_unconfirmed == 1, "counted %d", s_unconfirmed);
    CHECK(sms_status_get(st, txn, "m-3", &rec) == SMS_QUEUE_OK &&
              strcmp(rec.state, "unconfirmed") == 0,
          "m-3 state %s", rec.state);
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "SIM3", SMS_DLR_DELIVERED, 70000, id, &sent,
                             via) == 0,
          "late receipt recorded");
    CHECK(sms_status_expire(st, txn, UINT64_MAX, 100, s_count, NULL) == 0, "m-1 still awaited");

    /* Forgetting removes the record and its index: the ref matches nothing. */
    CHECK(sms_status_forget(st, txn, "m-1") == 0, "forget");
    CHECK(sms_status_get(st, txn, "m-1", &rec) == SMS_QUEUE_NOTFOUND, "m-1 still there");
    CHECK(sms_status_receipt(st, txn, "smpp", NULL, "SIM1", SMS_DLR_DELIVERED, 2000, id, &sent,
                             via) == 0,
          "forgotten ref matched");
    CHECK(sms_status_forget(st, txn, "never") == 0, "forget unknown");
    CHECK(mdb_txn_commit(txn) == 0, "commit");
    sms_status_destroy(&st);
    CHECK(st == NULL, "destroy nulls");

    /* Metrics: the histogram is cumulative; the text names every provider. */
    cmn_metrics_t *m = cmn_metrics_new("sms-worker");
    sms_prov_metrics_t p[2];
    CHECK(m && sms_metrics_provider(m, "smpp", &p[0]) == 0 &&
              sms_metrics_provider(m, "http", &p[1]) == 0,
          "provider series");
    for (int i = 0; i < 3; i++)
        sms_metrics_count(m, &p[0], SMS_PM_SENT);
    for (int i = 0; i < 2; i++)
        sms_metrics_count(m, &p[0], SMS_PM_DELIVERED);
    for (int i = 0; i < 7; i++)
        sms_metrics_count(m, &p[1], SMS_PM_FAILED);
    sms_metrics_gate(m, "smpp", 0, 0);
    sms_metrics_gate(m, "http", 1, 40);
    sms_metrics_latency(m, &p[0], 100);
    sms_metrics_latency(m, &p[0], 700);
    sms_metrics_latency(m, &p[0], 99999999);
    sms_metrics_totals(m, 10, 1, 7, 2);
    char *text = cmn_metrics_render(m);
    CHECK(text != NULL, "render");
    if (!text)
        text = strdup("");
    CHECK(strstr(text,
                 "dvcid_sms_provider_sent_total{service=\"sms-worker\",provider=\"smpp\"} 3\n") !=
              NULL,
          "sent");
    CHECK(strstr(text,
                 "dvcid_sms_provider_failed_total{service=\"sms-worker\",provider=\"http\"} 7\n") !=
              NULL,
          "failed");
    CHECK(
        strstr(text,
               "dvcid_sms_provider_unknown_total{service=\"sms-worker\",provider=\"http\"} 0\n") !=
            NULL,
        "every counter of a provider from the start");
    CHECK(strstr(text, "dvcid_sms_provider_tps_limit{service=\"sms-worker\",provider=\"http\"} "
                       "40\n") &&
              strstr(text, "dvcid_sms_provider_tps_limit{service=\"sms-worker\",provider=\"smpp\"} "
                           "0\n"),
          "each provider's rate limit (0: none), the capacity of the alert's ratio");
    CHECK(strstr(text, "dvcid_sms_provider_breaker{service=\"sms-worker\",provider=\"http\"} 1\n"),
          "breaker");
    CHECK(strstr(text, "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"smpp\","
                       "le=\"0.25\"} 1\n"),
          "bucket 0.25");
    CHECK(strstr(text, "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"smpp\","
                       "le=\"1\"} 2\n"),
          "bucket 1");
    CHECK(strstr(text, "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"smpp\","
                       "le=\"3600\"} 2\n"),
          "bucket 3600");
    CHECK(strstr(text, "dvcid_sms_delivery_seconds_bucket{service=\"sms-worker\",provider=\"smpp\","
                       "le=\"+Inf\"} 3\n"),
          "bucket +Inf");
    CHECK(strstr(text,
                 "dvcid_sms_delivery_seconds_count{service=\"sms-worker\",provider=\"smpp\"} 3\n"),
          "count");
    CHECK(strstr(text, "dvcid_sms_dead_total{service=\"sms-worker\"} 2\n"), "dead");
    CHECK(strstr(text, "dvcid_sms_sent_total{service=\"sms-worker\"} 7\n"), "sent");
    /* HELP and TYPE on every family, the HELP first. */
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
        if (strncmp(l, "# TYPE ", 7) == 0) {
            char name[96];
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(l + 7, " "), l + 7);
            char help[128];
            snprintf(help, sizeof(help), "# HELP %s ", name);
            const char *h = strstr(text, help);
            CHECK(h && h < l, "HELP of %s", name);
        }
    free(text);
    /* Totals read at each render: the registry shows each value, not their sum, and a
     * value below the one shown does not take the counter back. */
    sms_metrics_totals(m, 12, 1, 7, 2);
    sms_metrics_counter_at(m, "dvcid_sms_dead_total", "", 1, "dead");
    CHECK(cmn_metrics_value(m, "dvcid_sms_queued_total", "") == 12 &&
              cmn_metrics_value(m, "dvcid_sms_sent_total", "") == 7 &&
              cmn_metrics_value(m, "dvcid_sms_dead_total", "") == 2,
          "totals at their values");
    cmn_metrics_destroy(&m);
    /* With no provider (the file sink) the families are still named, without a sample. */
    m = cmn_metrics_new("sms-worker");
    sms_metrics_families(m);
    text = m ? cmn_metrics_render(m) : NULL;
    CHECK(text &&
              strstr(text, "# HELP dvcid_sms_provider_sent_total SMS the provider accepted, by "
                           "provider\n# TYPE dvcid_sms_provider_sent_total counter\n") &&
              strstr(text, "# TYPE dvcid_sms_delivery_seconds histogram\n") &&
              strstr(text, "# TYPE dvcid_sms_provider_breaker gauge\n") && !strchr(text, '{'),
          "families alone: %s", text ? text : "");
    free(text);
    cmn_metrics_destroy(&m);
    /* Bounds cmn_metrics cannot hold are refused, not cut. */
    static const double many[15] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    m = cmn_metrics_new("t");
    CHECK(m && !cmn_metrics_histogram(m, "h", "", many, 15, "h") &&
              cmn_metrics_histogram(m, "h", "", many, 14, "h"),
          "histogram bounds");
    cmn_metrics_destroy(&m);

    cmn_db_destroy(&s_db);
    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
