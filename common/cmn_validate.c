/* cmn_validate: input validators (ID number, phone, date, name, email, password) and the
 * common-password lookup. Everything here is stateless and so thread-safe: no static
 * mutable data, no locale-dependent calls, gmtime_r for the current date, and libunistring
 * calls that only read its tables. See cmn_validate.h for each contract. */
#include "cmn_validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unictype.h>
#include <uninorm.h>

/* --- UTF-8 ------------------------------------------------------------------------------ */

/* Decodes one code point at s[*i] (Unicode table 3-7, well-formed byte sequences) and moves
 * *i past it. Returns -1 on any ill-formed sequence or NUL, which the callers refuse. */
static int s_utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp) {
    size_t p = *i;
    unsigned b0 = s[p];
    unsigned lo = 0x80, hi = 0xBF;
    int n;
    uint32_t c;

    if (b0 == 0)
        return -1;
    if (b0 < 0x80) {
        *cp = b0;
        *i = p + 1;
        return 0;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 1;
        c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 2;
        c = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0; /* overlong */
        else if (b0 == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 3;
        c = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90; /* overlong */
        else if (b0 == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return -1;
    }
    if (len - p - 1 < (size_t)n)
        return -1;
    for (int k = 1; k <= n; k++) {
        unsigned b = s[p + k];
        if (b < lo || b > hi)
            return -1;
        lo = 0x80, hi = 0xBF; /* only the second byte has a narrower range */
        c = (c << 6) | (b & 0x3F);
    }
    *cp = c;
    *i = p + 1 + n;
    return 0;
}

bool cmn_utf8_valid(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    while (i < len)
        if (s_utf8_next(u, len, &i, &cp) < 0)
            return false;
    return true;
}

/* Code points in a string already known to be valid UTF-8. */
static size_t s_utf8_count(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* --- small helpers ---------------------------------------------------------------------- */

static bool s_is_digit(char c) { return c >= '0' && c <= '9'; }

static bool s_all_digits(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (!s_is_digit(s[i]))
            return false;
    return true;
}

static int s_num(const char *s, int ndigits) {
    int v = 0;
    for (int i = 0; i < ndigits; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Today's date in UTC. */
static void s_today(int *y, int *m, int *d) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static int s_days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* --- ID number --------------------------------------------------------------------------- */

/* Province codes: security.md takes the range 001-096 of Circular 07/2016/TT-BCA. The
 * appendix lists 63 codes with gaps, but provinces have since merged (2025) and codes on
 * cards already issued stay valid, so the range is checked, not a list that ages. */
static bool s_province_known(int code) { return code >= 1 && code <= 96; }

const char *cmn_valid_id_number(const char *id, const char *dob) {
    if (id == NULL || id[0] == '\0')
        return "required";
    size_t len = strlen(id);
    if ((len != 9 && len != 12) || !s_all_digits(id, len))
        return "invalid";
    if (len == 9)
        return NULL; /* old CMND: no structure to check */

    if (!s_province_known(s_num(id, 3)))
        return "invalid";
    int century = id[3] - '0';
    int year = 1900 + (century / 2) * 100 + s_num(id + 4, 2);
    int ty, tm, td;
    s_today(&ty, &tm, &td);
    if (year > ty)
        return "invalid"; /* a birth year that has not happened yet */

    if (dob != NULL && dob[0] != '\0') {
        if (strlen(dob) >= 4 && s_all_digits(dob, 4) && s_num(dob, 4) != year)
            return "birth_date_mismatch";
    }
    return NULL;
}

/* --- phone ------------------------------------------------------------------------------- */

/* libphonenumber's VN mobile pattern (PhoneNumberMetadata.xml, territory VN, <mobile>) on
 * the 9-digit national significant number:
 *   (?:5(?:2[238]|59)|89[6-9]|99[013-9])\d{6}|(?:3\d|5[1689]|7[06-9]|8[1-8]|9[0-8])\d{7}
 * Both branches are exactly 9 digits, so only the prefix needs looking at. */
static bool s_vn_mobile(const char nsn[9]) {
    char a = nsn[0], b = nsn[1], c = nsn[2];

    /* first branch: three-digit prefixes */
    if (a == '5' && ((b == '2' && (c == '2' || c == '3' || c == '8')) || (b == '5' && c == '9')))
        return true;
    if (a == '8' && b == '9' && c >= '6' && c <= '9')
        return true;
    if (a == '9' && b == '9' && (c == '0' || c == '1' || (c >= '3' && c <= '9')))
        return true;
    /* second branch: two-digit prefixes */
    switch (a) {
    case '3':
        return true;
    case '5':
        return b == '1' || b == '6' || b == '8' || b == '9';
    case '7':
        return b == '0' || (b >= '6' && b <= '9');
    case '8':
        return b >= '1' && b <= '8';
    case '9':
        return b >= '0' && b <= '8';
    default:
        return false;
    }
}

const char *cmn_valid_phone(const char *in, char out[CMN_PHONE_E164_MAX]) {
    char digits[16];
    size_t nd = 0;
    bool plus = false;

    if (out != NULL)
        out[0] = '\0';
    if (in == NULL)
        return "required";
    /* Spaces around the whole number are forgiven (copy and paste); separators are not. */
    const char *p = in;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    if (len == 0)
        return "required";
    if (len > 32)
        return "invalid";

    size_t i = 0;
    if (p[0] == '+') {
        plus = true;
        i = 1;
    }
    for (; i < len; i++) {
        char c = p[i];
        if (s_is_digit(c)) {
            if (nd == sizeof digits)
                return "invalid";
            digits[nd++] = c;
        } else if (c == ' ' || c == '.' || c == '-') {
            /* one separator, between two digits */
            if (i == 0 || !s_is_digit(p[i - 1]) || i + 1 >= len || !s_is_digit(p[i + 1]))
                return "invalid";
        } else {
            return "invalid";
        }
    }

    /* Strip the country code or the trunk prefix down to the national significant number. */
    const char *nsn;
    if (nd >= 2 && digits[0] == '8' && digits[1] == '4' && (nd == 11 || nd == 12)) {
        nsn = digits + 2;
        if (nd == 12) {
            if (nsn[0] != '0') /* "+84 0912…": the trunk 0 written after the country code */
                return "invalid";
            nsn++;
        }
    } else if (!plus && nd == 10 && digits[0] == '0') {
        nsn = digits + 1;
    } else {
        return "invalid"; /* wrong length, another country, or no prefix at all */
    }
    if (!s_vn_mobile(nsn))
        return "invalid";
    if (out != NULL) {
        memcpy(out, "+84", 3);
        memcpy(out + 3, nsn, 9);
        out[12] = '\0';
    }
    return NULL;
}

/* --- date -------------------------------------------------------------------------------- */

const char *cmn_valid_date(const char *s, int *y, int *m, int *d) {
    if (s == NULL || s[0] == '\0')
        return "required";
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !s_all_digits(s, 4) ||
        !s_all_digits(s + 5, 2) || !s_all_digits(s + 8, 2))
        return "invalid";
    int yy = s_num(s, 4), mm = s_num(s + 5, 2), dd = s_num(s + 8, 2);
    if (yy < 1900 || mm < 1 || mm > 12 || dd < 1 || dd > s_days_in_month(yy, mm))
        return "invalid";

    int ty, tm, td;
    s_today(&ty, &tm, &td);
    long date = yy * 10000L + mm * 100 + dd;
    if (date > ty * 10000L + tm * 100 + td)
        return "in_future";
    if (date < (ty - 150) * 10000L + tm * 100 + td)
        return "invalid"; /* older than 150 years */

    if (y != NULL)
        *y = yy;
    if (m != NULL)
        *m = mm;
    if (d != NULL)
        *d = dd;
    return NULL;
}

/* --- name -------------------------------------------------------------------------------- */

int cmn_name_normalize(const char *in, char *out, size_t outlen) {
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    if (in == NULL)
        return 0;
    size_t len = strlen(in);
    if (!cmn_utf8_valid(in, len))
        return -1;
    /* u8_normalize writes into out when it fits and allocates otherwise (then we refuse). */
    size_t n = outlen - 1;
    uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)in, len, (uint8_t *)out, &n);
    if (r == NULL) {
        out[0] = '\0';
        return -1;
    }
    if (r != (uint8_t *)out) {
        free(r);
        out[0] = '\0';
        return -1;
    }
    out[n] = '\0';
    return 0;
}

static bool s_is_letter(uint32_t cp) {
    return uc_is_general_category_withtable(cp, UC_CATEGORY_MASK_L);
}

static bool s_is_mark(uint32_t cp) {
    return uc_is_general_category_withtable(cp, UC_CATEGORY_MASK_M);
}

const char *cmn_valid_name(const char *s) {
    if (s == NULL || s[0] == '\0')
        return "required";
    size_t len = strlen(s);
    if (!cmn_utf8_valid(s, len))
        return "invalid";
    /* A code point is at most 4 bytes: anything longer is over 100 code points in any form. */
    if (len > 4 * CMN_NAME_MAX)
        return "too_long";

    uint8_t nfc[4 * CMN_NAME_MAX * 3 + 1]; /* NFC can grow a string up to 3 times */
    size_t nlen = sizeof nfc;
    uint8_t *r = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, nfc, &nlen);
    if (r == NULL)
        return "invalid";
    bool same = nlen == len && memcmp(r, s, len) == 0;
    if (r != nfc)
        free(r);
    if (!same)
        return "not_nfc";
    if (s_utf8_count(s, len) > CMN_NAME_MAX)
        return "too_long";

    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp, prev = 0;
    bool letters = false;
    while (i < len) {
        if (s_utf8_next(u, len, &i, &cp) < 0)
            return "invalid";
        if (cp == ' ') {
            if (prev == 0 || prev == ' ' || i == len)
                return "invalid"; /* leading, double or trailing space */
        } else if (cp == '\'' || cp == '-' || cp == '.') {
            /* punctuation inside names: O'Neil, Lê-Anh, Jr. */
        } else if (s_is_letter(cp)) {
            letters = true;
        } else if (s_is_mark(cp)) {
            if (!(s_is_letter(prev) || s_is_mark(prev)))
                return "invalid"; /* a combining mark needs a letter to sit on */
        } else {
            return "invalid";
        }
        prev = cp;
    }
    return letters ? NULL : "invalid";
}

/* --- email ------------------------------------------------------------------------------- */

static bool s_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool s_is_atext(char c) {
    return s_is_alpha(c) || s_is_digit(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

const char *cmn_valid_email(const char *s) {
    if (s == NULL || s[0] == '\0')
        return NULL; /* the field is optional */
    size_t len = strlen(s);
    if (len > CMN_EMAIL_MAX)
        return "too_long";
    const char *at = strchr(s, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return "invalid";

    /* local part: dot-atom, 1..64 */
    size_t llen = (size_t)(at - s);
    if (llen == 0 || llen > 64 || s[0] == '.' || s[llen - 1] == '.')
        return "invalid";
    for (size_t i = 0; i < llen; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return "invalid";
        } else if (!s_is_atext(s[i])) {
            return "invalid";
        }
    }

    /* domain: labels separated by single dots, at least two */
    const char *dom = at + 1;
    const char *label = dom;
    int labels = 0;
    for (const char *p = dom;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t n = (size_t)(p - label);
            if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
                return "invalid";
            labels++;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!s_is_alpha(*p) && !s_is_digit(*p) && *p != '-') {
            return "invalid";
        }
    }
    if (labels < 2)
        return "invalid";
    /* the top-level domain: letters, or an IDN in punycode */
    size_t tlen = strlen(label);
    if (tlen < 2)
        return "invalid";
    bool idn = tlen > 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' &&
               label[2] == '-' && label[3] == '-';
    if (!idn) {
        for (size_t i = 0; i < tlen; i++)
            if (!s_is_alpha(label[i]))
                return "invalid";
    }
    return NULL;
}

/* --- password ---------------------------------------------------------------------------- */

static int s_cmp_str(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool cmn_password_is_common(const char *pw) {
    char low[4 * CMN_PASSWORD_MAX + 1];
    if (pw == NULL)
        return false;
    size_t len = strlen(pw);
    if (len >= sizeof low)
        return false; /* longer than any password we accept, so never on the list */
    /* ASCII-only lowercasing, the same as CMake's string(TOLOWER) that built the list. */
    for (size_t i = 0; i <= len; i++) {
        char c = pw[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return bsearch(low, cmn_common_passwords, cmn_common_passwords_count,
                   sizeof cmn_common_passwords[0], s_cmp_str) != NULL;
}

int cmn_valid_password(const char *pw, const char *confirm, const char **codes, int maxcodes) {
    int n = 0;
#define ADD(code)                                                                                  \
    do {                                                                                           \
        if (n < maxcodes)                                                                          \
            codes[n] = (code);                                                                     \
        n++;                                                                                       \
    } while (0)

    if (pw == NULL || pw[0] == '\0') {
        ADD("required");
        return n;
    }
    size_t len = strlen(pw);
    if (!cmn_utf8_valid(pw, len)) {
        ADD("invalid");
        return n;
    }

    const unsigned char *u = (const unsigned char *)pw;
    size_t i = 0, count = 0;
    uint32_t cp = 0;
    bool lower = false, upper = false, digit = false, special = false;
    while (i < len) {
        if (s_utf8_next(u, len, &i, &cp) < 0)
            break; /* cannot happen: validated above */
        count++;
        if (cp < 0x80) {
            /* fast path, and no table look-up for the common case */
            if (cp >= 'a' && cp <= 'z')
                lower = true;
            else if (cp >= 'A' && cp <= 'Z')
                upper = true;
            else if (cp >= '0' && cp <= '9')
                digit = true;
            else
                special = true;
        } else if (uc_is_general_category_withtable(cp, UC_CATEGORY_MASK_Ll)) {
            lower = true;
        } else if (uc_is_general_category_withtable(cp,
                                                    UC_CATEGORY_MASK_Lu | UC_CATEGORY_MASK_Lt)) {
            upper = true;
        } else if (uc_is_general_category_withtable(cp, UC_CATEGORY_MASK_Nd)) {
            digit = true;
        } else if (uc_is_general_category_withtable(cp, UC_CATEGORY_MASK_L)) {
            /* Lo, Lm: a letter without case, neither lower nor upper nor special */
        } else if (s_is_mark(cp) && count > 1) {
            /* a combining mark is part of the character before it (NFD "ă" = a + U+0306) */
        } else {
            special = true;
        }
    }

    if (count < CMN_PASSWORD_MIN)
        ADD("too_short");
    if (count > CMN_PASSWORD_MAX)
        ADD("too_long");
    if (!lower)
        ADD("missing_lower");
    if (!upper)
        ADD("missing_upper");
    if (!digit)
        ADD("missing_digit");
    if (!special)
        ADD("missing_special");
    if (cmn_password_is_common(pw))
        ADD("common");
    if (confirm != NULL && strcmp(pw, confirm) != 0)
        ADD("mismatch");
#undef ADD
    return n;
}
