/* gw_trace: W3C traceparent and X-Request-Id, checked; fresh ids from libsodium. */
#include "gw_trace.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool s_hex_run(const char *s, size_t n, bool *all_zero) {
    *all_zero = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        if (c != '0')
            *all_zero = false;
    }
    return true;
}

bool gw_trace_parent_parse(const char *tp, char trace_id[GW_TRACE_LEN + 1], char flags[3]) {
    if (!tp)
        return false;
    size_t len = strlen(tp);
    bool zero;
    if (len < GW_TRACEPARENT || !s_hex_run(tp, 2, &zero) || strncmp(tp, "ff", 2) == 0)
        return false;
    /* Version 00 is exactly 55 characters; a later one may go on after a '-'. */
    if (strncmp(tp, "00", 2) == 0 ? len != GW_TRACEPARENT
                                  : len > GW_TRACEPARENT && tp[GW_TRACEPARENT] != '-')
        return false;
    if (tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
        return false;
    if (!s_hex_run(tp + 3, GW_TRACE_LEN, &zero) || zero)
        return false;
    if (!s_hex_run(tp + 36, 16, &zero) || zero)
        return false;
    if (!s_hex_run(tp + 53, 2, &zero))
        return false;
    memcpy(trace_id, tp + 3, GW_TRACE_LEN);
    trace_id[GW_TRACE_LEN] = '\0';
    memcpy(flags, tp + 53, 2);
    flags[2] = '\0';
    return true;
}

bool gw_trace_request_id_ok(const char *id) {
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > GW_TRACE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '-' || c == ':'))
            return false;
    }
    return true;
}

/* n random bytes as 2n lowercase hex characters and a NUL, never all zero. */
static void s_random_hex(char *out, size_t n) {
    unsigned char raw[GW_TRACE_LEN / 2];
    do
        randombytes_buf(raw, n);
    while (sodium_is_zero(raw, n));
    sodium_bin2hex(out, 2 * n + 1, raw, n);
}

void gw_trace_from(gw_trace_t *t, const char *request_id, const char *traceparent) {
    char tid[GW_TRACE_LEN + 1], flags[3] = "00";
    bool w3c = gw_trace_parent_parse(traceparent, tid, flags);
    bool rid = gw_trace_request_id_ok(request_id);
    if (w3c)
        snprintf(t->trace, sizeof(t->trace), "%s", tid);
    else if (rid)
        snprintf(t->trace, sizeof(t->trace), "%s", request_id);
    else {
        s_random_hex(tid, GW_TRACE_LEN / 2);
        snprintf(t->trace, sizeof(t->trace), "%s", tid);
        w3c = true; /* ours: a W3C trace id too */
    }
    snprintf(t->request_id, sizeof(t->request_id), "%s", rid ? request_id : t->trace);
    t->traceparent[0] = '\0';
    if (w3c) { /* the gateway's own span in the caller's trace */
        char span[17];
        s_random_hex(span, 8);
        snprintf(t->traceparent, sizeof(t->traceparent), "00-%s-%s-%s", tid, span, flags);
    }
}
