/* fuzz_metrics_merge: the Prometheus texts the gateway receives from the other
 * services (their MetricsGet replies) and merges into one exposition for /metrics
 * (cmn_metrics_merge). Input: the texts of up to S_TEXTS_MAX processes, separated by
 * NUL bytes. The merge always returns a text (no allocation fails here), that text is
 * empty or ends with a newline, and each of its lines is a whole line of some input:
 * merging only regroups lines, it never makes or cuts one. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_metrics.h"
#include "fuzz.h"

#define S_TEXTS_MAX 8

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* Whether line[0..len) is one whole line of text. */
static bool s_is_line_of(const char *text, const char *line, size_t len) {
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == len && memcmp(p, line, len) == 0)
            return true;
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *all = fuzz_cstr(data, size);
    const char *texts[S_TEXTS_MAX];
    size_t n = 0;
    for (size_t at = 0; n < S_TEXTS_MAX && at <= size; at += strlen(all + at) + 1)
        texts[n++] = all + at;

    char *merged = cmn_metrics_merge(texts, n);
    FUZZ_CHECK(merged != NULL);
    size_t len = strlen(merged);
    FUZZ_CHECK(len == 0 || merged[len - 1] == '\n');
    for (const char *p = merged; *p;) {
        const char *nl = strchr(p, '\n');
        FUZZ_CHECK(nl != NULL);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = s_is_line_of(texts[i], p, (size_t)(nl - p));
        FUZZ_CHECK(found);
        p = nl + 1;
    }
    free(merged);
    free(all);
    return 0;
}
