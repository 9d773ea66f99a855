/* gw_lang: the body's lang and Accept-Language (RFC 9110 section 12.5.4). */
#include "gw_lang.h"

#include <string.h>
#include <strings.h>

bool gw_lang_valid(const char *lang) {
    return lang && (strcmp(lang, "vi") == 0 || strcmp(lang, "en") == 0);
}

/* The q of one element's parameters (";q=0.8"), 1000ths; 1000 when there is none. */
static int s_quality(const char *params, size_t len) {
    const char *q = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
            (i == 0 || params[i - 1] == ';' || params[i - 1] == ' '))
            q = params + i + 2;
    if (!q)
        return 1000;
    if (*q == '1')
        return 1000;
    int v = 0, scale = 100;
    if (*q == '0' && q[1] == '.')
        for (const char *d = q + 2; d < params + len && *d >= '0' && *d <= '9' && scale; d++) {
            v += (*d - '0') * scale;
            scale /= 10;
        }
    return v;
}

void gw_lang_accept(const char *header, char out[GW_LANG_MAX]) {
    out[0] = '\0';
    int best = 0;
    for (const char *p = header; p && *p;) {
        size_t n = strcspn(p, ",");
        size_t skip = strspn(p, " \t");
        const char *tag = p + skip;
        size_t tlen = strcspn(tag, ";, \t");
        if (tag + tlen > p + n)
            tlen = (size_t)(p + n - tag);
        const char *params = tag + tlen;
        int q = s_quality(params, (size_t)(p + n - params));
        for (const char *want = "vi\0en\0"; *want; want += 3)
            if (tlen >= 2 && strncasecmp(tag, want, 2) == 0 && (tlen == 2 || tag[2] == '-') &&
                q > best) {
                best = q;
                memcpy(out, want, GW_LANG_MAX);
            }
        p += n;
        if (*p == ',')
            p++;
    }
}
