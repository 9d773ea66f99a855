/* gw_flat: the flat-object reader. Every check errs towards "not mine": the rules below
 * are a strict subset of RFC 8259 as jansson applies it (JSON_REJECT_DUPLICATES, no
 * NUL in strings, UTF-8 well-formed as Unicode defines it, which is what jansson's
 * utf8_check_full and libunistring's u8_check both check: no overlong forms, surrogates
 * or values past U+10FFFF). */
#include "gw_flat.h"

#include <string.h>
#include <unistr.h>

static const char *s_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string without escapes from the opening quote at *p_io; leaves *p_io past the
 * closing quote and sets *close to it. False for anything else. */
static bool s_string(const char **p_io, const char *end, const char **close) {
    const unsigned char *start = (const unsigned char *)*p_io + 1;
    const unsigned char *p = start, *e = (const unsigned char *)end;
    bool high = false;
    while (p < e && *p != '"') {
        if (*p == '\\' || *p < 0x20)
            return false;
        high |= *p >= 0x80;
        p++;
    }
    if (p == e || (high && u8_check(start, (size_t)(p - start)) != NULL))
        return false;
    *close = (const char *)p;
    *p_io = (const char *)p + 1;
    return true;
}

bool gw_flat_parse(gw_flat_t *self, char *body, size_t len) {
    const char *p = body, *end = body + len;
    char *close[2 * GW_FLAT_MAX];
    size_t n = 0;
    p = s_ws(p, end);
    if (p == end || *p != '{')
        return false;
    p = s_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (n == GW_FLAT_MAX || p == end || *p != '"')
                return false;
            gw_flat_field_t *f = &self->field[n];
            const char *kc, *vc;
            f->key = p + 1;
            if (!s_string(&p, end, &kc))
                return false;
            f->klen = (size_t)(kc - f->key);
            p = s_ws(p, end);
            if (p == end || *p != ':')
                return false;
            p = s_ws(p + 1, end);
            if (p == end || *p != '"')
                return false;
            f->val = p + 1;
            if (!s_string(&p, end, &vc))
                return false;
            f->vlen = (size_t)(vc - f->val);
            for (size_t i = 0; i < n; i++)
                if (self->field[i].klen == f->klen &&
                    memcmp(self->field[i].key, f->key, f->klen) == 0)
                    return false; /* a duplicate: jansson refuses it */
            close[2 * n] = body + (kc - body);
            close[2 * n + 1] = body + (vc - body);
            n++;
            p = s_ws(p, end);
            if (p < end && *p == ',') {
                p = s_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            return false;
        }
    }
    if (s_ws(p, end) != end)
        return false;
    for (size_t i = 0; i < 2 * n; i++)
        *close[i] = '\0';
    self->n = n;
    return true;
}

const gw_flat_field_t *gw_flat_get(const gw_flat_t *self, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < self->n; i++)
        if (self->field[i].klen == len && memcmp(self->field[i].key, name, len) == 0)
            return &self->field[i];
    return NULL;
}
