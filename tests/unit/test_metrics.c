/* cmn_metrics: counters, gauges, histograms in Prometheus text, and the merge of
 * several processes' texts into one exposition. */
#include <stdlib.h>
#include <string.h>

#include "cmn_metrics.h"
#include "tap.h"

static int s_count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int main(void) {
    cmn_metrics_t *a = cmn_metrics_new("otp-svc");
    cmn_metrics_t *b = cmn_metrics_new("sms-worker");
    CHECK(a && b, "new");
    if (!a || !b)
        return TEST_DONE();
    cmn_metrics_add(a, "dvcid_requests_total", "op=\"otp_issue\",status=\"ok\"", 2, "Requests");
    cmn_metrics_add(a, "dvcid_requests_total", "op=\"otp_issue\",status=\"ok\"", 1, "Requests");
    cmn_metrics_set(a, "dvcid_pending_asks", "", 7, "Pending");
    cmn_metrics_observe(a, "dvcid_request_seconds", "op=\"otp_issue\"", 0.003, "Latency");
    cmn_metrics_observe(a, "dvcid_request_seconds", "op=\"otp_issue\"", 20, "Latency");
    cmn_metrics_add(b, "dvcid_requests_total", "op=\"sms_send\",status=\"ok\"", 5, "Requests");
    CHECK(cmn_metrics_value(a, "dvcid_requests_total", "op=\"otp_issue\",status=\"ok\"") == 3,
          "counter adds");
    char *ta = cmn_metrics_render(a), *tb = cmn_metrics_render(b);
    CHECK(ta && strstr(ta, "dvcid_requests_total{service=\"otp-svc\",op=\"otp_issue\","
                           "status=\"ok\"} 3\n"),
          "counter line:\n%s", ta ? ta : "(null)");
    CHECK(ta && strstr(ta, "# TYPE dvcid_request_seconds histogram\n"), "histogram type");
    CHECK(ta && strstr(ta, "dvcid_request_seconds_bucket{service=\"otp-svc\",op=\"otp_issue\","
                           "le=\"0.005\"} 1\n"),
          "bucket 5 ms");
    CHECK(ta && strstr(ta, "le=\"+Inf\"} 2\n") && strstr(ta, "dvcid_request_seconds_count{"),
          "+Inf and count");
    CHECK(ta && strstr(ta, "dvcid_pending_asks{service=\"otp-svc\"} 7\n"), "gauge");
    const char *texts[] = {ta, tb};
    char *all = cmn_metrics_merge(texts, 2);
    CHECK(all && s_count(all, "# TYPE dvcid_requests_total counter") == 1,
          "one TYPE per family:\n%s", all ? all : "(null)");
    CHECK(all && strstr(all, "service=\"otp-svc\"") && strstr(all, "service=\"sms-worker\""),
          "both services");
    /* The sms-worker series follows the family's TYPE line, not a second one. */
    const char *type = all ? strstr(all, "# TYPE dvcid_requests_total") : NULL;
    const char *sms = all ? strstr(all, "op=\"sms_send\"") : NULL;
    const char *next = type ? strstr(type + 1, "# TYPE") : NULL;
    CHECK(type && sms && sms > type && (!next || sms < next), "grouped");
    free(ta);
    free(tb);
    free(all);

    /* Series found once: the same series as by name, of the kind asked for or none. */
    cmn_metrics_series_t *c =
        cmn_metrics_counter(a, "dvcid_requests_total", "op=\"otp_issue\",status=\"ok\"", "R");
    cmn_metrics_series_add(a, c, 4);
    CHECK(cmn_metrics_value(a, "dvcid_requests_total", "op=\"otp_issue\",status=\"ok\"") == 7,
          "a handle counts into the named series");
    cmn_metrics_series_t *h = cmn_metrics_seconds(a, "dvcid_commit_seconds", "", "Commits");
    cmn_metrics_series_observe(a, h, 0.0007);
    cmn_metrics_series_t *n = cmn_metrics_counts(a, "dvcid_batch_items", "", "Items");
    cmn_metrics_series_observe(a, n, 3);
    CHECK(cmn_metrics_seconds(a, "dvcid_pending_asks", "", "Pending") == NULL,
          "a gauge is no histogram");
    cmn_metrics_series_add(a, NULL, 1); /* tolerated */
    ta = cmn_metrics_render(a);
    CHECK(ta && strstr(ta, "dvcid_commit_seconds_bucket{service=\"otp-svc\",le=\"0.0005\"} 0\n") &&
              strstr(ta, "dvcid_commit_seconds_bucket{service=\"otp-svc\",le=\"0.001\"} 1\n"),
          "seconds buckets:\n%s", ta ? ta : "(null)");
    CHECK(ta && strstr(ta, "dvcid_batch_items_bucket{service=\"otp-svc\",le=\"2\"} 0\n") &&
              strstr(ta, "dvcid_batch_items_bucket{service=\"otp-svc\",le=\"4\"} 1\n"),
          "count buckets");
    free(ta);

    /* A process's labels: service, its instance, then the added ones, on every series;
     * the identity is the first two only. */
    cmn_metrics_set_instance(b, "1-0");
    cmn_metrics_add_labels(b, "shard=\"1\"");
    cmn_metrics_add_labels(b, "zone=\"x\"");
    char id[128], prefix[160];
    CHECK(strcmp(cmn_metrics_identity(b, id, sizeof(id)),
                 "service=\"sms-worker\",instance=\"1-0\"") == 0,
          "identity %s", id);
    CHECK(strcmp(cmn_metrics_prefix(b, prefix, sizeof(prefix)),
                 "service=\"sms-worker\",instance=\"1-0\",shard=\"1\",zone=\"x\"") == 0,
          "prefix %s", prefix);
    CHECK(strcmp(cmn_metrics_instance(b), "1-0") == 0, "instance");
    tb = cmn_metrics_render(b);
    CHECK(tb && strstr(tb, "dvcid_requests_total{service=\"sms-worker\",instance=\"1-0\","
                           "shard=\"1\",zone=\"x\",op=\"sms_send\",status=\"ok\"} 5\n"),
          "labelled series:\n%s", tb ? tb : "(null)");
    free(tb);
    cmn_metrics_destroy(&a);
    cmn_metrics_destroy(&b);
    CHECK(a == NULL, "destroy nulls");
    return TEST_DONE();
}
