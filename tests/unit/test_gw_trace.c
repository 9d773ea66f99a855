/* gw_trace: a caller's W3C traceparent gives the trace (and the answer's traceparent keeps
 * its trace id and flags, with the gateway's span); else its X-Request-Id; else a fresh
 * W3C id. Malformed headers, every rule of Trace Context level 1, are ignored. */
#include <string.h>

#include "gw_trace.h"
#include "tap.h"

static const char TID[] = "4bf92f3577b34da6a3ce929d0e0e4736";
static const char TP[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

static bool s_hex(const char *s, size_t n) {
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

int main(void) {
    char tid[GW_TRACE_LEN + 1], flags[3];
    CHECK(gw_trace_parent_parse(TP, tid, flags), "the spec's example");
    CHECK_STR(tid, TID);
    CHECK_STR(flags, "01");
    CHECK(gw_trace_parent_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", tid,
                                flags),
          "a later version may carry more after a dash");
    static const char *const bad[] = {
        NULL,
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", /* 00 is exactly 55 */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   /* version ff */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   /* uppercase */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   /* zero parent id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    /* short */
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",   /* separators */
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   /* not hex */
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  /* later: '-' needed */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!gw_trace_parent_parse(bad[i], tid, flags), "refused: %s", bad[i] ? bad[i] : "NULL");

    CHECK(gw_trace_request_id_ok("req-42_a.b:c"), "a token");
    CHECK(gw_trace_request_id_ok("f47ac10b-58cc-4372-a567-0e02b2c3d479"), "a UUID");
    CHECK(!gw_trace_request_id_ok(""), "empty");
    CHECK(!gw_trace_request_id_ok("a b"), "a space");
    CHECK(!gw_trace_request_id_ok("a\"b"), "a quote");
    CHECK(!gw_trace_request_id_ok("a\nINFO forged"), "a newline");
    char long_id[GW_TRACE_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[GW_TRACE_MAX + 1] = '\0';
    CHECK(!gw_trace_request_id_ok(long_id), "longer than %d", GW_TRACE_MAX);
    long_id[GW_TRACE_MAX] = '\0';
    CHECK(gw_trace_request_id_ok(long_id), "exactly %d", GW_TRACE_MAX);

    gw_trace_t t;
    gw_trace_from(&t, "req-42", TP);
    CHECK_STR(t.trace, TID);
    CHECK_STR(t.request_id, "req-42");
    CHECK(strncmp(t.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36) == 0 &&
              strcmp(t.traceparent + 52, "-01") == 0 &&
              strncmp(t.traceparent + 36, "00f067aa0ba902b7", 16) != 0 &&
              strspn(t.traceparent + 36, "0123456789abcdef") == 16,
          "the caller's trace and flags, the gateway's own span: %s", t.traceparent);
    CHECK(gw_trace_parent_parse(t.traceparent, tid, flags), "the answer's traceparent is valid");

    gw_trace_from(&t, NULL, TP);
    CHECK_STR(t.request_id, TID);
    gw_trace_from(&t, "req-42", "garbage");
    CHECK_STR(t.trace, "req-42");
    CHECK_STR(t.request_id, "req-42");
    CHECK_STR(t.traceparent, "");
    gw_trace_from(&t, "bad id\n", NULL);
    CHECK(s_hex(t.trace, GW_TRACE_LEN), "a fresh W3C trace id: %s", t.trace);
    CHECK_STR(t.request_id, t.trace);
    CHECK(gw_trace_parent_parse(t.traceparent, tid, flags) && strcmp(tid, t.trace) == 0 &&
              strcmp(flags, "00") == 0,
          "its traceparent, not sampled: %s", t.traceparent);
    char first[GW_TRACE_MAX + 1];
    memcpy(first, t.trace, sizeof(first));
    gw_trace_from(&t, NULL, NULL);
    CHECK(strcmp(first, t.trace) != 0, "fresh ids differ");
    return TEST_DONE();
}
