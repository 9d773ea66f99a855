/* sms_tmpl: placeholder expansion with escaping per context (see sms_tmpl.h). */
#include "sms_tmpl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_NAME_MAX 16

static const char *const s_names[] = {"to",     "to_digits", "text",   "message_id",
                                      "sender", "coding",    "dlr_url"};
#define S_NNAMES (sizeof(s_names) / sizeof(s_names[0]))

/* The length of a placeholder's name at p (after '{'), when it is one of lower-case
 * letters and '_' closed by '}'; 0 otherwise. */
static size_t s_name_len(const char *p) {
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
        n++;
    return n > 0 && n < S_NAME_MAX && p[n] == '}' ? n : 0;
}

static int s_known(const char *p, size_t n) {
    for (size_t i = 0; i < S_NNAMES; i++)
        if (strlen(s_names[i]) == n && strncmp(s_names[i], p, n) == 0)
            return (int)i;
    return -1;
}

int sms_tmpl_check(const char *tmpl, const char **bad) {
    for (const char *p = tmpl; p && *p; p++) {
        size_t n = *p == '{' ? s_name_len(p + 1) : 0;
        if (n && s_known(p + 1, n) < 0) {
            *bad = p;
            return -1;
        }
    }
    return 0;
}

static int s_put(char *out, size_t outlen, size_t *pos, const char *s, size_t n) {
    if (*pos + n >= outlen)
        return -1;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return 0;
}

static int s_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int sms_tmpl_escape(const char *s, sms_esc_t esc, char *out, size_t outlen, size_t *pos) {
    static const char hex[] = "0123456789ABCDEF";
    if (outlen == 0)
        return -1;
    out[*pos < outlen ? *pos : outlen - 1] = '\0';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char buf[8];
        size_t n = 1;
        buf[0] = (char)*p;
        if (esc == SMS_ESC_URL || esc == SMS_ESC_FORM) {
            if (esc == SMS_ESC_FORM && *p == ' ') {
                buf[0] = '+';
            } else if (!s_unreserved(*p)) {
                buf[0] = '%';
                buf[1] = hex[*p >> 4];
                buf[2] = hex[*p & 15];
                n = 3;
            }
        } else if (esc == SMS_ESC_JSON) {
            if (*p == '"' || *p == '\\') {
                buf[0] = '\\';
                buf[1] = (char)*p;
                n = 2;
            } else if (*p == '\n') {
                memcpy(buf, "\\n", 2);
                n = 2;
            } else if (*p < 0x20 || *p == 0x7f) {
                n = (size_t)snprintf(buf, sizeof(buf), "\\u%04x", *p);
            }
        }
        if (s_put(out, outlen, pos, buf, n) != 0)
            return -1;
    }
    return 0;
}

int sms_tmpl_expand(const char *tmpl, sms_esc_t esc, const sms_tmpl_vars_t *vars, char *out,
                    size_t outlen) {
    if (!out || outlen == 0)
        return -1;
    size_t pos = 0;
    out[0] = '\0';
    const char *to = vars->to ? vars->to : "";
    const char *values[S_NNAMES] = {to,           to[0] == '+' ? to + 1 : to,
                                    vars->text,   vars->message_id,
                                    vars->sender, vars->coding,
                                    vars->dlr_url};
    for (const char *p = tmpl ? tmpl : ""; *p; p++) {
        size_t n = *p == '{' ? s_name_len(p + 1) : 0;
        if (!n) {
            if (s_put(out, outlen, &pos, p, 1) != 0)
                goto fail;
            continue;
        }
        int i = s_known(p + 1, n);
        if (i < 0 || sms_tmpl_escape(values[i], esc, out, outlen, &pos) != 0)
            goto fail;
        p += n + 1;
    }
    return (int)pos;
fail:
    out[0] = '\0';
    return -1;
}

sms_esc_t sms_tmpl_body_esc(const char *content_type) {
    if (!content_type)
        return SMS_ESC_NONE;
    size_t n = strcspn(content_type, ";");
    if (n >= 4 && strncasecmp(content_type + n - 4, "json", 4) == 0)
        return SMS_ESC_JSON;
    if (n == 33 && strncasecmp(content_type, "application/x-www-form-urlencoded", n) == 0)
        return SMS_ESC_FORM;
    return SMS_ESC_NONE;
}
