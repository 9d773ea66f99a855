/* sms_tmpl: the placeholders of the http provider's URL and body templates
 * (api.md section 2): {to} (E.164 with '+'), {to_digits} (without it), {text},
 * {message_id}, and beyond the contract {sender} (sms.smpp_source), {coding}
 * (Kannel's: 0 for GSM-7 text, 2 for UCS-2) and {dlr_url} (where the receipt for
 * this message is to be sent). Each value is escaped for where it stands: URL
 * query, form field or JSON string. Anything in braces that is not a name of
 * lower-case letters is left as it is, so JSON bodies need no quoting. Pure. */
#ifndef SMS_TMPL_H
#define SMS_TMPL_H

#include <stddef.h>

typedef enum {
    SMS_ESC_NONE, /* as it is (text/plain bodies) */
    SMS_ESC_URL,  /* percent-encoding of everything but RFC 3986 unreserved */
    SMS_ESC_FORM, /* application/x-www-form-urlencoded: as URL, space as '+' */
    SMS_ESC_JSON  /* inside a JSON string: quote, backslash and controls escaped */
} sms_esc_t;

/* The values of one message; every pointer borrowed, NULL taken as "". */
typedef struct {
    const char *to;
    const char *text;
    const char *message_id;
    const char *sender;
    const char *coding;
    const char *dlr_url;
} sms_tmpl_vars_t;

/* Checks that every {name} in tmpl is a known placeholder. Returns 0, or -1 with
 * *bad pointing at the first unknown one (in tmpl). */
int sms_tmpl_check(const char *tmpl, const char **bad);

/* Expands tmpl into out with each value escaped as esc says. Returns the length,
 * or -1 when out is too small or tmpl names an unknown placeholder. The caller
 * wipes out after use when the text holds a code. */
int sms_tmpl_expand(const char *tmpl, sms_esc_t esc, const sms_tmpl_vars_t *vars, char *out,
                    size_t outlen);

/* How a body of this Content-Type escapes: JSON for "...json", FORM for
 * "application/x-www-form-urlencoded", NONE otherwise. */
sms_esc_t sms_tmpl_body_esc(const char *content_type);

/* Appends s escaped as esc to out at *pos. Returns 0, or -1 when it does not fit
 * (out stays NUL-terminated). */
int sms_tmpl_escape(const char *s, sms_esc_t esc, char *out, size_t outlen, size_t *pos);

#endif
