/* fuzz_validate: the input rules of cmn_validate (ID number, phone, date of birth,
 * name and its NFC normalization, email, password) and the log helpers that see the
 * same values (masks, escaping). Input: the fields one per line, in the order
 *   id_number, date_of_birth, phone, full_name, email, password, password_confirm
 * (the last takes the rest); each validator also gets the whole input as one
 * value, newlines included. Every answer must be NULL or one of the codes the
 * header lists, and what a validator accepts must have the shape it promises. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "cmn_validate.h"
#include "fuzz.h"

enum { F_ID, F_DOB, F_PHONE, F_NAME, F_EMAIL, F_PW, F_CONFIRM, F_COUNT };

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* code is NULL or one of the '|'-separated codes of list. */
static bool s_code_in(const char *code, const char *list) {
    if (!code)
        return true;
    size_t n = strlen(code);
    for (const char *p = list; p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, code, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static bool s_all_digits(const char *s) {
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static void s_id(const char *id, const char *dob) {
    const char *c = cmn_valid_id_number(id, dob);
    FUZZ_CHECK(s_code_in(c, "required|invalid|birth_date_mismatch"));
    if (!c) {
        size_t n = strlen(id);
        FUZZ_CHECK((n == 9 || n == 12) && s_all_digits(id));
    }
    char masked[32];
    cmn_mask_id(id, masked, sizeof(masked));
    FUZZ_CHECK(memchr(masked, '\0', sizeof(masked)) != NULL);
}

static void s_date(const char *dob) {
    int y = -1, m = -1, d = -1;
    const char *c = cmn_valid_date(dob, &y, &m, &d);
    FUZZ_CHECK(s_code_in(c, "required|invalid|in_future"));
    if (!c)
        FUZZ_CHECK(strlen(dob) == 10 && y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
    else
        FUZZ_CHECK(y == -1 && m == -1 && d == -1);
}

static void s_phone(const char *phone) {
    char out[CMN_PHONE_E164_MAX];
    memset(out, 'x', sizeof(out));
    const char *c = cmn_valid_phone(phone, out);
    FUZZ_CHECK(s_code_in(c, "required|invalid"));
    FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
    if (c) {
        FUZZ_CHECK(out[0] == '\0');
        return;
    }
    FUZZ_CHECK(strlen(out) == 12 && strncmp(out, "+84", 3) == 0 && s_all_digits(out + 1));
    /* The E.164 form is itself a valid phone, and its own E.164 form. */
    char again[CMN_PHONE_E164_MAX];
    FUZZ_CHECK(cmn_valid_phone(out, again) == NULL && strcmp(out, again) == 0);
    char masked[32];
    cmn_mask_phone(out, masked, sizeof(masked));
    FUZZ_CHECK(strlen(masked) == 10 && strncmp(masked + 3, "****", 4) == 0);
}

static void s_name(const char *name) {
    const char *c = cmn_valid_name(name);
    FUZZ_CHECK(s_code_in(c, "required|too_long|invalid|not_nfc"));
    if (!c)
        FUZZ_CHECK(cmn_utf8_valid(name, strlen(name)));
    char nfc[1024], nfc2[1024];
    if (cmn_name_normalize(name, nfc, sizeof(nfc)) != 0) {
        FUZZ_CHECK(nfc[0] == '\0');
        return;
    }
    /* Normalizing is idempotent, leaves a valid name as it is, and the validator
     * never calls its output "not NFC". */
    FUZZ_CHECK(cmn_name_normalize(nfc, nfc2, sizeof(nfc2)) == 0 && strcmp(nfc, nfc2) == 0);
    if (!c)
        FUZZ_CHECK(strcmp(nfc, name) == 0);
    const char *c2 = cmn_valid_name(nfc);
    FUZZ_CHECK(!c2 || strcmp(c2, "not_nfc") != 0);
}

static void s_email(const char *email) {
    const char *c = cmn_valid_email(email);
    FUZZ_CHECK(s_code_in(c, "invalid|too_long"));
    if (!c)
        FUZZ_CHECK(email[0] == '\0' || (strlen(email) <= CMN_EMAIL_MAX && strchr(email, '@')));
}

static void s_password(const char *pw, const char *confirm) {
    const char *codes[CMN_PASSWORD_CODES_MAX];
    static const char all[] = "required|invalid|too_short|too_long|missing_lower|missing_upper|"
                              "missing_digit|missing_special|common|mismatch";
    for (int with_confirm = 0; with_confirm < 2; with_confirm++) {
        int n =
            cmn_valid_password(pw, with_confirm ? confirm : NULL, codes, CMN_PASSWORD_CODES_MAX);
        FUZZ_CHECK(n >= 0);
        for (int i = 0; i < n && i < CMN_PASSWORD_CODES_MAX; i++)
            FUZZ_CHECK(codes[i] != NULL && s_code_in(codes[i], all));
        if (n > 0 && (strcmp(codes[0], "required") == 0 || strcmp(codes[0], "invalid") == 0))
            FUZZ_CHECK(n == 1); /* reported alone */
        /* A list too small for every code still counts them all. */
        const char *one[1];
        FUZZ_CHECK(cmn_valid_password(pw, with_confirm ? confirm : NULL, one, 1) == n);
    }
    (void)cmn_password_is_common(pw);
}

static void s_escape(const char *s) {
    char out[256];
    for (size_t len = 1; len <= sizeof(out); len += 37) {
        memset(out, 'x', sizeof(out));
        cmn_log_escape(s, out, len);
        FUZZ_CHECK(memchr(out, '\0', len) != NULL);
        for (const char *p = out; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)cmn_utf8_valid((const char *)data, size);
    char *whole = fuzz_cstr(data, size);
    char *split = fuzz_cstr(data, size);
    char *f[F_COUNT];
    fuzz_fields(split, f, F_COUNT);

    s_id(f[F_ID], f[F_DOB]);
    s_id(whole, whole);
    s_date(f[F_DOB]);
    s_date(whole);
    s_phone(f[F_PHONE]);
    s_phone(whole);
    s_name(f[F_NAME]);
    s_name(whole);
    s_email(f[F_EMAIL]);
    s_email(whole);
    s_password(f[F_PW], f[F_CONFIRM]);
    s_password(whole, whole);
    s_escape(whole);

    free(split);
    free(whole);
    return 0;
}
