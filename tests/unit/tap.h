/* tap.h: the smallest test harness that can fail. CHECK records a failure with
 * file:line and goes on; TEST_DONE prints "N passed, N failed" and gives the exit
 * status ctest reads. Table-driven tests loop over arrays and CHECK each row. */
#ifndef DVCID_TAP_H
#define DVCID_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_pass, tap_fail;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (cond) {                                                                       \
            tap_pass++;                                                                   \
        } else {                                                                          \
            tap_fail++;                                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

#define CHECK_STR(a, b)                                                                   \
    do {                                                                                  \
        const char *tap_a = (a), *tap_b = (b);                                            \
        CHECK((!tap_a && !tap_b) || (tap_a && tap_b && strcmp(tap_a, tap_b) == 0),        \
              "got \"%s\", want \"%s\"", tap_a ? tap_a : "(null)", tap_b ? tap_b : "(null)"); \
    } while (0)

#define TEST_DONE()                                                                       \
    (printf("%d passed, %d failed\n", tap_pass, tap_fail), tap_fail || !tap_pass ? 1 : 0)

#endif
