/* Unit test of sms_text: every purpose in both languages obeys the SMS rules of
 * api.md section 4 and security.md "OTP": plain ASCII, one segment, the purpose
 * named, "do not share", and the code as the only run of 6 or more digits. */
#include <string.h>

#include "proto/dvcid.pb-c.h"
#include "sms_text.h"
#include "tap.h"

/* Runs of 6+ digits in s; *first gets the first one's start. */
static int s_long_runs(const char *s, const char **first) {
    int runs = 0, len = 0;
    *first = NULL;
    for (const char *p = s;; p++) {
        if (*p >= '0' && *p <= '9') {
            len++;
            continue;
        }
        if (len >= 6 && runs++ == 0)
            *first = p - len;
        len = 0;
        if (!*p)
            return runs;
    }
}

static int s_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

typedef struct {
    int purpose;
    const char *name;
    const char *vi_words; /* how the Vietnamese text names the purpose */
    const char *en_words;
} row_t;

static const row_t s_rows[] = {
    {DVCID__PURPOSE__PURPOSE_REGISTER, "register", "dang ky tai khoan", "register"},
    {DVCID__PURPOSE__PURPOSE_LOGIN, "login", "dang nhap", "sign in"},
    {DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "phone_change", "doi so dien thoai",
     "change your OTP phone"},
    {DVCID__PURPOSE__PURPOSE_PASSWORD_RESET, "password_reset", "dat lai mat khau",
     "reset your password"},
    {DVCID__PURPOSE__PURPOSE_ADD_PHONE, "add_phone", "them so dien thoai", "add a phone"},
    {DVCID__PURPOSE__PURPOSE_UNLOCK, "unlock", "mo khoa dang nhap", "unlock your sign-in"},
};

static void s_check_otp_texts(void) {
    const char *codes[] = {"123456", "000000", "987654", "12345678"};
    for (size_t r = 0; r < sizeof(s_rows) / sizeof(s_rows[0]); r++) {
        const row_t *row = &s_rows[r];
        CHECK_STR(sms_text_purpose_name(row->purpose), row->name);
        for (int en = 0; en < 2; en++) {
            for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
                char text[SMS_TEXT_MAX];
                int n = sms_text_render(row->purpose, codes[c], en ? "en" : "vi", 300, text,
                                        sizeof(text));
                CHECK(n > 0 && (size_t)n == strlen(text), "%s: render gave %d", row->name, n);
                CHECK(n <= 160, "%s/%d: %d characters is more than one SMS", row->name, en, n);
                CHECK(s_ascii(text), "%s: not plain ASCII: %s", row->name, text);
                const char *first;
                CHECK(s_long_runs(text, &first) == 1, "%s: not one long digit run: %s", row->name,
                      text);
                CHECK(first && strncmp(first, codes[c], strlen(codes[c])) == 0 &&
                          !(first[strlen(codes[c])] >= '0' && first[strlen(codes[c])] <= '9'),
                      "%s: the long run is not the code: %s", row->name, text);
                CHECK(strstr(text, en ? row->en_words : row->vi_words) != NULL,
                      "%s: purpose not named: %s", row->name, text);
                CHECK(strstr(text, en ? "Do not share" : "Khong chia se") != NULL,
                      "%s: no warning not to share: %s", row->name, text);
                CHECK(strncmp(text, "DVCQG: ", 7) == 0, "%s: no sender prefix: %s", row->name,
                      text);
            }
        }
    }
}

static void s_check_notice(void) {
    const char *langs[] = {"vi", "en", "", NULL};
    for (int i = 0; i < 4; i++) {
        char text[SMS_TEXT_MAX];
        int n =
            sms_text_render(DVCID__PURPOSE__PURPOSE_NOTICE, "", langs[i], 300, text, sizeof(text));
        CHECK(n > 0 && n <= 160, "notice: %d", n);
        CHECK(s_ascii(text), "notice not ASCII: %s", text);
        const char *first;
        CHECK(s_long_runs(text, &first) == 0, "notice has a long number: %s", text);
        CHECK(strchr(text, '0') == NULL && strchr(text, '9') == NULL, "notice has digits");
    }
    char text[SMS_TEXT_MAX];
    sms_text_render(DVCID__PURPOSE__PURPOSE_NOTICE, NULL, "vi", 300, text, sizeof(text));
    CHECK(strstr(text, "da duoc thay doi") != NULL, "vi notice: %s", text);
    sms_text_render(DVCID__PURPOSE__PURPOSE_NOTICE, NULL, "en", 300, text, sizeof(text));
    CHECK(strstr(text, "has been changed") != NULL, "en notice: %s", text);
    CHECK_STR(sms_text_purpose_name(DVCID__PURPOSE__PURPOSE_NOTICE), "notice");
    /* A notice carries no code: one given is a caller's mistake, refused. */
    CHECK(sms_text_render(DVCID__PURPOSE__PURPOSE_NOTICE, "123456", "vi", 300, text,
                          sizeof(text)) == -1,
          "notice with a code rendered");
}

static void s_check_minutes(void) {
    struct {
        int ttl;
        const char *vi, *en;
    } rows[] = {
        {300, "trong 5 phut.", "for 5 minutes."},
        {301, "trong 6 phut.", "for 6 minutes."},
        {60, "trong 1 phut.", "for 1 minute."},
        {1, "trong 1 phut.", "for 1 minute."},
        {0, "trong 1 phut.", "for 1 minute."},
        {3600, "trong 60 phut.", "for 60 minutes."},
        {2000000000, "trong 99999 phut.", "for 99999 minutes."},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char text[SMS_TEXT_MAX];
        sms_text_render(DVCID__PURPOSE__PURPOSE_LOGIN, "123456", "vi", rows[i].ttl, text,
                        sizeof(text));
        CHECK(strstr(text, rows[i].vi) != NULL, "ttl %d: %s", rows[i].ttl, text);
        const char *first;
        CHECK(s_long_runs(text, &first) == 1, "ttl %d: %s", rows[i].ttl, text);
        sms_text_render(DVCID__PURPOSE__PURPOSE_LOGIN, "123456", "en", rows[i].ttl, text,
                        sizeof(text));
        CHECK(strstr(text, rows[i].en) != NULL, "ttl %d: %s", rows[i].ttl, text);
    }
}

static void s_check_refusals(void) {
    char text[SMS_TEXT_MAX];
    const char *bad_codes[] = {NULL, "", "12a456", "1234567890", " 123456", "+84912345678"};
    for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++)
        CHECK(sms_text_render(DVCID__PURPOSE__PURPOSE_REGISTER, bad_codes[i], "vi", 300, text,
                              sizeof(text)) == -1,
              "bad code %zu rendered", i);
    CHECK(sms_text_render(DVCID__PURPOSE__PURPOSE_UNSPECIFIED, "123456", "vi", 300, text,
                          sizeof(text)) == -1,
          "unspecified purpose rendered");
    CHECK(sms_text_render(99, "123456", "vi", 300, text, sizeof(text)) == -1, "purpose 99");
    CHECK(sms_text_purpose_name(0) == NULL && sms_text_purpose_name(8) == NULL, "names");
    char small[40];
    CHECK(sms_text_render(DVCID__PURPOSE__PURPOSE_LOGIN, "123456", "vi", 300, small,
                          sizeof(small)) == -1 &&
              small[0] == '\0',
          "truncated text returned");
    /* Unknown languages fall back to Vietnamese. */
    sms_text_render(DVCID__PURPOSE__PURPOSE_LOGIN, "123456", "fr", 300, text, sizeof(text));
    CHECK(strstr(text, "Ma OTP dang nhap") != NULL, "fallback: %s", text);
    sms_text_render(DVCID__PURPOSE__PURPOSE_LOGIN, "123456", NULL, 300, text, sizeof(text));
    CHECK(strstr(text, "Ma OTP dang nhap") != NULL, "default: %s", text);
}

int main(void) {
    s_check_otp_texts();
    s_check_notice();
    s_check_minutes();
    s_check_refusals();
    return TEST_DONE();
}
