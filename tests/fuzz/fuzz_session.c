/* fuzz_session: the session token as HTTP clients send it (gw_session): the
 * "Authorization: Bearer" value and the Cookie header. Input: two lines, the
 * Authorization value, then the Cookie header (the rest). A token either is refused,
 * or is a non-empty RFC 6750 b64token that fits, and the Set-Cookie made from it reads
 * back as the same token. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gw_session.h"

enum { F_AUTH, F_COOKIE, F_COUNT };

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* RFC 6750: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool s_b64token(const char *t) {
    size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
    return n > 0 && strspn(t + n, "=") == strlen(t + n);
}

/* A token that was accepted: well formed, and it survives a Set-Cookie round trip. */
static void s_check_token(const char *token, size_t outlen) {
    FUZZ_CHECK(token[0] != '\0' && strlen(token) < outlen && s_b64token(token));
    char set[512], back[GW_SESSION_TOKEN_MAX + 1];
    if (gw_session_set_cookie(set, sizeof(set), token, 3600) != 0) {
        FUZZ_CHECK(set[0] == '\0');
        return;
    }
    FUZZ_CHECK(gw_session_cookie(set, GW_SESSION_COOKIE, back, sizeof(back)) == 0);
    FUZZ_CHECK(strcmp(back, token) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_cstr(data, size);
    char *f[F_COUNT];
    fuzz_fields(text, f, F_COUNT);
    /* Every size from "no room" up, so a cut at the edge is exercised too. */
    static const size_t sizes[] = {1, 2, 8, GW_SESSION_TOKEN_MAX + 1};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char out[GW_SESSION_TOKEN_MAX + 1];
        memset(out, 'x', sizeof(out));
        if (gw_session_bearer(f[F_AUTH], out, sizes[i]) == 0)
            s_check_token(out, sizes[i]);
        memset(out, 'x', sizeof(out));
        if (gw_session_cookie(f[F_COOKIE], GW_SESSION_COOKIE, out, sizes[i]) == 0)
            s_check_token(out, sizes[i]);
    }
    char clear[256];
    gw_session_clear_cookie(clear, sizeof(clear));
    FUZZ_CHECK(strstr(clear, GW_SESSION_COOKIE "=") == clear);
    free(text);
    return 0;
}
