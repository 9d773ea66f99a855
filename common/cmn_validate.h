/* cmn_validate: the input rules of security.md "Input" and "Passwords", in one place so the
 * gateway (field checks before anything is consumed) and account-svc (the same checks again,
 * because input from another process is checked at the entry point) cannot drift apart.
 *
 * Each cmn_valid_* function returns NULL when the value is valid, otherwise a static string
 * that is the `code` of one 422 `validation_failed` detail {"field": ..., "code": ...}
 * (api.md section 3). Returned strings are string literals: never free them.
 *
 * Every function here is pure (no globals written, no locale, gmtime_r for "today"), so all
 * of them are safe to call from any number of threads at once. Inputs are NUL-terminated
 * UTF-8; NULL is treated like the empty string. */
#ifndef CMN_VALIDATE_H
#define CMN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Size of the E.164 output buffer of cmn_valid_phone: "+84" + 9 digits + NUL, rounded up. */
#define CMN_PHONE_E164_MAX 16

/* Password length limits in Unicode code points (ASVS: allow >= 64, we refuse above 128). */
#define CMN_PASSWORD_MIN 8
#define CMN_PASSWORD_MAX 128

/* Name length limit in code points, counted on the NFC form. */
#define CMN_NAME_MAX 100

/* Email length limit in bytes (RFC 5321 path limit minus the angle brackets). */
#define CMN_EMAIL_MAX 254

/* Most codes cmn_valid_password can report at once; size the caller's codes[] with it. */
#define CMN_PASSWORD_CODES_MAX 9

/* Strict UTF-8 over s[0..len): no overlong forms, no surrogates (U+D800..DFFF), nothing
 * above U+10FFFF, no truncated sequence and no NUL byte. s may be NULL only when len is 0. */
bool cmn_utf8_valid(const char *s, size_t len);

/* ID number (the login name): old CMND of 9 digits, or 12 digits by the CCCD rule of
 * Circular 07/2016/TT-BCA art. 7: province code (the range
 * 001..096), century/gender digit (0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s, 6/7 = 2200s,
 * 8/9 = 2300s), two digits of the birth year, six digits. The birth year it encodes may not
 * be in the future. When dob ("YYYY-MM-DD", already checked by cmn_valid_date) is non-NULL
 * and non-empty, the encoded year must equal the dob's year (a malformed dob skips this
 * check: cmn_valid_date reports it). Exactly digits: no spaces, no separators.
 * Codes: "required", "invalid", "birth_date_mismatch". */
const char *cmn_valid_id_number(const char *id, const char *dob);

/* Mobile phone. Accepts "0" + 9 digits, "84" + 9 digits or "+84" + 9 digits (also
 * "+84 0…"/"840…", a common way of writing it), with single spaces, dots or dashes between
 * digits and spaces around the whole. The 9-digit national significant number must match
 * libphonenumber's VN mobile pattern, so landlines (02x), premium (1900…) and foreign
 * numbers are refused. On success out (may be NULL) receives the E.164 form "+84xxxxxxxxx";
 * on failure out is set to "". Codes: "required", "invalid". */
const char *cmn_valid_phone(const char *in, char out[CMN_PHONE_E164_MAX]);

/* Date of birth: exactly "YYYY-MM-DD", a real calendar date (Gregorian leap years), year
 * >= 1900, not after today (UTC), at most 150 years ago. On success *y, *m, *d receive the
 * parts (each pointer may be NULL); on failure they are left untouched.
 * Codes: "required", "invalid", "in_future". */
const char *cmn_valid_date(const char *s, int *y, int *m, int *d);

/* Full name: valid UTF-8 in NFC, 1..100 code points, only letters (Unicode categories L,
 * and combining marks M after a letter), single ASCII spaces and ' - . ; at least one
 * letter; no leading or trailing space, no two spaces in a row. Vietnamese diacritics are
 * letters: "Nguyễn Văn Ấn" is valid, "Nguyễn Văn A1" is not.
 * Codes: "required", "too_long", "invalid", and "not_nfc" for a name that is valid only
 * once normalized: the caller should run cmn_name_normalize first and store its output
 * (some Vietnamese keyboards send decomposed "tổ hợp" text); the validator refuses
 * non-NFC input so that a forgotten normalization never reaches storage. */
const char *cmn_valid_name(const char *s);

/* Writes the NFC form of in into out (outlen bytes, NUL-terminated). Returns 0, or -1 when
 * in is not valid UTF-8 or the result does not fit (out is then ""). Only normalizes: it
 * does not trim or collapse spaces, which cmn_valid_name then judges. */
int cmn_name_normalize(const char *in, char *out, size_t outlen);

/* Optional email: "" (or NULL) is valid. Otherwise ASCII local@domain.tld: local part of
 * 1..64 atext characters and single inner dots; domain of at least two labels of letters,
 * digits and inner hyphens (1..63 each), the last one alphabetic (or "xn--" punycode) and
 * at least 2 long; <= 254 bytes in all. Codes: "invalid", "too_long". */
const char *cmn_valid_email(const char *s);

/* Password rule. The composition part (lower, upper, digit, special) is the portal's own
 * requirement, kept as a deliberate deviation from NIST 800-63B and ASVS, which advise
 * against composition rules; what they require is here too: up to 128 code points, any
 * Unicode, no truncation or case change, and a common-password list.
 * Fills codes[0..maxcodes) with every failing code, in this order, and returns how many
 * failed (0 = valid; the count can exceed maxcodes, only the first maxcodes are stored):
 *   "required" (empty; reported alone), "invalid" (not UTF-8; reported alone),
 *   "too_short" (< 8 code points), "too_long" (> 128), "missing_lower", "missing_upper",
 *   "missing_digit", "missing_special", "common", "mismatch".
 * Letters and digits are Unicode-aware: "ă" is lowercase (Ll), "Ă" uppercase (Lu/Lt), digits
 * are category Nd; special is anything else, except that a combining mark belongs to the
 * character before it. "mismatch" compares confirm byte for byte; confirm == NULL skips it
 * (for callers that have no confirmation field). */
int cmn_valid_password(const char *pw, const char *confirm, const char **codes, int maxcodes);

/* True when pw is in the embedded common-password list. The list is lowercased at build
 * time, so ASCII letters compare case-insensitively and everything else exactly. */
bool cmn_password_is_common(const char *pw);

/* The embedded list (common/data/embed.cmake generates it from common-passwords.txt):
 * lowercase, byte-sorted (strcmp order), no duplicates. */
extern const char *const cmn_common_passwords[];
extern const size_t cmn_common_passwords_count;

#endif
