/* gw_str: the bounded copy cuts and terminates as snprintf("%s") does; integers print as
 * "%lld" does, the extremes included. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "gw_str.h"
#include "tap.h"

int main(void) {
    char out[8], want[8];
    const char *cases[] = {"", "abc", "1234567", "12345678", "123456789abc"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(out, 'x', sizeof(out));
        size_t n = gw_str_copy(out, sizeof(out), cases[i]);
        snprintf(want, sizeof(want), "%s", cases[i]);
        CHECK_STR(out, want);
        CHECK(n == strlen(want), "returns the bytes copied (%zu)", n);
    }
    CHECK(gw_str_copy(out, sizeof(out), NULL) == 0 && out[0] == '\0', "NULL reads as empty");
    out[0] = 'x';
    CHECK(gw_str_copy(out, 0, "abc") == 0 && out[0] == 'x', "outlen 0 writes nothing");

    const long long ints[] = {0, 1, -1, 9, 10, -10, 123456789, 4294967295LL, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        char got[GW_STR_INT_MAX + 1], ref[32];
        got[gw_str_int(got, ints[i])] = '\0';
        snprintf(ref, sizeof(ref), "%lld", ints[i]);
        CHECK_STR(got, ref);
    }
    return TEST_DONE();
}
