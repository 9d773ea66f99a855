/* cmn_mask: the masked forms of personal data that log lines and answers may show
 * (an ID number, a phone number): what is kept is enough to tell two apart, never to
 * find the person. cmn_log.h includes it: a log line never carries them in clear. */
#ifndef CMN_MASK_H
#define CMN_MASK_H

#include <stddef.h>

/* "+84912345678" -> "091****678" (national form, first 3 and last 3 kept); the
 * same mask as the API's phone_masked. Anything else: "***". */
void cmn_mask_phone(const char *e164, char *out, size_t outlen);

/* "001099012345" -> "001******345": first 3 and last 3 digits kept. */
void cmn_mask_id(const char *id, char *out, size_t outlen);

#endif
