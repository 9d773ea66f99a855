/* sms_text: the words of every SMS dvcid sends. Plain ASCII (Vietnamese without
 * diacritics), so each message is GSM-7 and fits one 160-character segment; it
 * names what the code is for and says not to share it (security.md "OTP"). The
 * code is the only run of 6 or more digits in the text (api.md section 4), so no
 * phone number or other long number ever appears in it. */
#ifndef SMS_TEXT_H
#define SMS_TEXT_H

#include <stddef.h>

/* Enough for every text this module renders, with its NUL. */
#define SMS_TEXT_MAX 256

/* The api.md name of a Dvcid__Purpose ("register", "login", "phone_change",
 * "password_reset", "add_phone", "notice", "unlock"); NULL for any other value. */
const char *sms_text_purpose_name(int purpose);

/* Renders the SMS for purpose into out. code is the OTP (1..9 digits; must be
 * empty for PURPOSE_NOTICE, which carries none); lang "en" gives English, anything
 * else Vietnamese; ttl_s is the code's validity, told in minutes rounded up.
 * Returns the text's length, or -1 for an unknown purpose, a bad code or a small
 * out. The caller wipes out after use: it holds the code. */
int sms_text_render(int purpose, const char *code, const char *lang, int ttl_s, char *out,
                    size_t outlen);

#endif
