/* cmn_time: wall-clock milliseconds (for deadlines and expiry, which cross
 * processes) and monotonic milliseconds (for local timers). */
#ifndef CMN_TIME_H
#define CMN_TIME_H

#include <stdint.h>

uint64_t cmn_time_now_ms(void);
uint64_t cmn_time_mono_ms(void);

/* Formats unix ms as "2026-11-25T19:00:00Z" into out (at least 21 bytes). */
void cmn_time_iso(uint64_t ms, char *out, int outlen);

#endif
