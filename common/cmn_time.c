/* cmn_time: clocks in milliseconds. */
#include "cmn_time.h"

#include <stdio.h>
#include <time.h>

static uint64_t s_ms(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cmn_time_now_ms(void) { return s_ms(CLOCK_REALTIME); }
uint64_t cmn_time_mono_ms(void) { return s_ms(CLOCK_MONOTONIC); }

void cmn_time_iso(uint64_t ms, char *out, int outlen) {
    time_t t = (time_t)(ms / 1000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, (size_t)outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
