/* lg_tally: failure keys sorted into the CSV's classes, counts that add up (requests = ok +
 * every class), merge and reset, and the CSV header and rows as docs/LOADGEN.md lists
 * them (latencies empty in a row without an expected answer, target empty in a closed loop). */
#include <stdlib.h>
#include <string.h>

#include "lg_tally.h"
#include "tap.h"

static void s_classes(void) {
    static const struct {
        const char *key;
        lg_err_class_t want;
    } rows[] = {
        {"429 rate_limited", LG_ERR_4XX},
        {"400 otp_invalid", LG_ERR_4XX},
        {"404", LG_ERR_4XX},
        {"503 hash_queue_full", LG_ERR_5XX},
        {"504", LG_ERR_5XX},
        {"201 without registration_id", LG_ERR_OTHER},
        {"302", LG_ERR_OTHER},
        {"request too large", LG_ERR_OTHER},
        {"timeout", LG_ERR_TIMEOUT},
        {"unfinished at the end", LG_ERR_TIMEOUT},
        {"connect: Connection refused", LG_ERR_CONN},
        {"closed", LG_ERR_CONN},
        {"recv: Connection reset by peer", LG_ERR_CONN},
        {"4000 not a status", LG_ERR_CONN},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK(lg_err_class(rows[i].key) == rows[i].want, "%s: class %d, want %d", rows[i].key,
              lg_err_class(rows[i].key), rows[i].want);
    CHECK_STR(lg_err_class_name(LG_ERR_4XX), "err_4xx");
    CHECK_STR(lg_err_class_name(LG_ERR_OTHER), "err_other");
}

/* The header and one row (percentiles are bucket tops, never above the max); caller frees. */
static char *s_csv(const lg_tally_t *t, double target) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    lg_tally_csv_head(f);
    lg_row_t row = {"interval", 2, target, 1.0, 1.5};
    lg_tally_csv_row(f, &row, t);
    fclose(f);
    return text;
}

static void s_counts_and_rows(void) {
    lg_tally_t a, b;
    CHECK(lg_tally_init(&a) == 0 && lg_tally_init(&b) == 0, "init");
    lg_tally_ok(&a, 2000000);
    lg_tally_ok(&a, 4000000);
    lg_tally_fail(&a, "429 rate_limited");
    lg_tally_fail(&b, "timeout");
    b.flows = 1;
    lg_tally_merge(&a, &b);
    CHECK(a.requests == 4 && a.ok == 2 && a.flows == 1, "merged: %llu requests %llu ok",
          (unsigned long long)a.requests, (unsigned long long)a.ok);
    CHECK(a.errs[LG_ERR_4XX] == 1 && a.errs[LG_ERR_TIMEOUT] == 1, "classes merged");
    char *text = s_csv(&a, 120);
    CHECK(text != NULL, "csv");
    if (text) {
        CHECK_STR(strchr(text, '\n') + 1,
                  "interval,2,120.000,1.000,1.500,4,2,2,1,0,1,0,0,1,8.000,4.000,2.000,"
                  "2.001,4.000,4.000,4.000,4.000,3.000\n");
        CHECK(strncmp(text,
                      "kind,step,target_rate,t_start_s,t_end_s,requests,ok,errors,err_4xx,"
                      "err_5xx,err_timeout,err_conn,err_other,flows,req_per_s,ok_per_s,"
                      "flows_per_s,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n",
                      strlen("kind,step")) == 0,
              "header: %s", text);
        free(text);
    }
    lg_tally_reset(&b);
    lg_tally_fail(&b, "503");
    text = s_csv(&b, -1);
    CHECK(text != NULL, "csv");
    if (text) {
        CHECK_STR(strchr(text, '\n') + 1,
                  "interval,2,,1.000,1.500,1,0,1,0,1,0,0,0,0,2.000,0.000,0.000,,,,,,\n");
        free(text);
    }
    lg_tally_reset(&a);
    CHECK(a.requests == 0 && a.ok == 0 && a.errs[LG_ERR_4XX] == 0 && !lg_hist_count(a.latency),
          "reset");
    lg_tally_free(&a);
    lg_tally_free(&b);
}

int main(void) {
    s_classes();
    s_counts_and_rows();
    return TEST_DONE();
}
