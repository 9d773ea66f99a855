/* tap.h: the smallest test harness that can fail. CHECK records a failure with
 * file:line and goes on; TEST_DONE prints "N passed, N failed" and gives the exit
 * status ctest reads. Table-driven tests loop over arrays and CHECK each row. */
#ifndef DVCID_TAP_H
#define DVCID_TAP_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int tap_pass, tap_fail;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            tap_pass++;                                                                            \
        } else {                                                                                   \
            tap_fail++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *tap_a = (a), *tap_b = (b);                                                     \
        CHECK((!tap_a && !tap_b) || (tap_a && tap_b && strcmp(tap_a, tap_b) == 0),                 \
              "got \"%s\", want \"%s\"", tap_a ? tap_a : "(null)", tap_b ? tap_b : "(null)");      \
    } while (0)

static int tap_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a test's temporary directory and everything in it. Returns 0 or -1. */
static inline int tap_rm_rf(const char *dir) {
    return nftw(dir, tap_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#define TEST_DONE()                                                                                \
    (printf("%d passed, %d failed\n", tap_pass, tap_fail), tap_fail || !tap_pass ? 1 : 0)

#endif
