/* gw_str: bounded copy and integer formatting. */
#include "gw_str.h"

#include <string.h>

size_t gw_str_copy(char *out, size_t outlen, const char *s) {
    if (outlen == 0)
        return 0;
    size_t n = s ? strnlen(s, outlen - 1) : 0;
    if (n)
        memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

size_t gw_str_int(char out[GW_STR_INT_MAX], long long v) {
    char rev[GW_STR_INT_MAX];
    size_t n = 0, len = 0;
    /* Unsigned, so LLONG_MIN negates without overflow. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = rev[--n];
    return len;
}
