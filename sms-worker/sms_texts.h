/* sms_texts: the texts of each SMS per purpose and language, as the operator
 * words them (setting sms.texts_file), over the built-in ones of sms_text. The
 * file is INI, one section per purpose (api.md names) and one key per language:
 *
 *   [register]
 *   vi = DVCQG: Mã OTP đăng ký tài khoản của bạn là {code}, hiệu lực {minutes} phút. Không chia sẻ
 * mã này cho bất kỳ ai. en = DVCQG: Your code to register is {code}, valid {minutes} min. Do not
 * share it. [notice] vi = DVCQG: Số điện thoại nhận OTP của tài khoản đã được thay đổi. Nếu không
 * phải bạn, hãy gọi 1900 xxxx.
 *
 * Each text is checked at load so a bad one stops start-up, not an SMS: valid
 * UTF-8; only {code} and {minutes}; an OTP text holds {code} exactly once, a
 * notice none; no run of 6 or more digits of its own (the code must stay the only
 * one, api.md section 4); it fits SMS_TEXTS_MAX once rendered. Whether it names
 * its purpose and warns not to share the code is the operator's wording: the
 * built-in texts do both. Texts with diacritics go as UCS-2 (sms_gsm). */
#ifndef SMS_TEXTS_H
#define SMS_TEXTS_H

#include <stddef.h>

/* The longest rendered text, with its NUL (bytes of UTF-8). */
#define SMS_TEXTS_MAX 480

typedef struct sms_texts sms_texts_t;

/* Loads path ("" or NULL: built-in texts only). Returns NULL with a
 * "file:line: reason" in err on a bad file. */
sms_texts_t *sms_texts_new(const char *path, char *err, size_t errlen);
void sms_texts_destroy(sms_texts_t **self_p);

/* Renders as sms_text_render does, from the operator's text when there is one
 * for purpose and lang ("" and anything but "en" is "vi"), else the built-in. */
int sms_texts_render(const sms_texts_t *self, int purpose, const char *code, const char *lang,
                     int ttl_s, char *out, size_t outlen);

/* Checks one text for purpose (see above). Returns 0, or -1 with why. */
int sms_texts_check(int purpose, const char *text, const char **why);

#endif
