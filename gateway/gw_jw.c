/* gw_jw: the answer writer. Escaping follows jansson's dump_string with no flags:
 * '"' and '\\' escaped, \b \f \n \r \t short, other bytes below 0x20 as \u00XX in
 * upper-case hex, everything else (DEL, '/', non-ASCII UTF-8) as is. UTF-8 is checked
 * with libunistring's u8_check, which refuses what jansson's utf8_check_full refuses. */
#include "gw_jw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "gw_str.h"

#define S_FIRST_CAP 512 /* most hot answers fit: one allocation */

void gw_jw_init(gw_jw_t *self) { memset(self, 0, sizeof(*self)); }

static bool s_room(gw_jw_t *self, size_t more) {
    if (self->failed)
        return false;
    if (self->len + more <= self->cap)
        return true;
    size_t cap = self->cap ? self->cap : S_FIRST_CAP;
    while (cap < self->len + more)
        cap *= 2;
    char *grown = realloc(self->buf, cap);
    if (!grown) {
        self->failed = true;
        return false;
    }
    self->buf = grown;
    self->cap = cap;
    return true;
}

static void s_put(gw_jw_t *self, const char *p, size_t n) {
    if (s_room(self, n)) {
        memcpy(self->buf + self->len, p, n);
        self->len += n;
    }
}

void gw_jw_raw(gw_jw_t *self, const char *text) { s_put(self, text, strlen(text)); }

void gw_jw_str(gw_jw_t *self, const char *s) {
    size_t len = s ? strlen(s) : 0;
    if (!s || u8_check((const uint8_t *)s, len) != NULL) {
        self->failed = true;
        return;
    }
    s_put(self, "\"", 1);
    const char *p = s, *run = s; /* bytes copied as they are, flushed in one go */
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        s_put(self, run, (size_t)(p - run));
        char esc[8];
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", 3);
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            break;
        case '\b':
            memcpy(esc, "\\b", 3);
            break;
        case '\f':
            memcpy(esc, "\\f", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04X", c);
            break;
        }
        gw_jw_raw(self, esc);
        run = p + 1;
    }
    s_put(self, run, (size_t)(p - run));
    s_put(self, "\"", 1);
}

void gw_jw_int(gw_jw_t *self, long long v) {
    char num[GW_STR_INT_MAX];
    s_put(self, num, gw_str_int(num, v));
}

int gw_jw_answer(gw_jw_t *self, gw_answer_t *ans, unsigned status) {
    if (self->failed || !s_room(self, 1)) {
        gw_jw_clear(self);
        return -1;
    }
    self->buf[self->len] = '\0'; /* a C string too, as json_dumps makes */
    gw_answer_clear(ans);
    ans->status = status;
    ans->body = self->buf;
    ans->len = self->len;
    ans->content_type = GW_CT_JSON;
    memset(self, 0, sizeof(*self));
    return 0;
}

void gw_jw_clear(gw_jw_t *self) {
    free(self->buf);
    memset(self, 0, sizeof(*self));
}
