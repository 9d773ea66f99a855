/* Unit test of sms_texts: the operator's texts file (Vietnamese with diacritics,
 * rendered and sent as UCS-2), the built-in texts where the file says nothing,
 * and every rule a text must pass at load, with file:line in the error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dvcid.pb-c.h"
#include "sms_gsm.h"
#include "sms_texts.h"
#include "tap.h"

static char s_dir[] = "/tmp/test_sms_texts_XXXXXX";

/* Writes text to a file in the temp dir; returns its path (static). */
static const char *s_file(const char *text) {
    static char path[128];
    snprintf(path, sizeof(path), "%s/texts.conf", s_dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "fopen");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

typedef struct {
    const char *file;
    const char *err; /* words the error holds */
} bad_row_t;

int main(void) {
    CHECK(mkdtemp(s_dir) != NULL, "mkdtemp");
    char err[512], out[SMS_TEXTS_MAX];
    const char *good =
        "; the operator's words\n"
        "[register]\n"
        "vi = DVCQG: Mã OTP đăng ký tài khoản của bạn là {code}, hiệu lực {minutes} phút. "
        "Không chia sẻ mã này cho bất kỳ ai.\n"
        "[notice]\n"
        "en = DVCQG: Your OTP phone was changed. Not you? Call 1900 1234.\n";
    sms_texts_t *t = sms_texts_new(s_file(good), err, sizeof(err));
    CHECK(t != NULL, "good file refused: %s", err);
    int n =
        sms_texts_render(t, DVCID__PURPOSE__PURPOSE_REGISTER, "042917", "", 300, out, sizeof(out));
    CHECK(n > 0 && strstr(out, "là 042917, hiệu lực 5 phút") != NULL, "render: %s", out);
    CHECK(sms_gsm_coding(out) == SMS_CODING_UCS2, "diacritics not UCS-2");
    /* The built-in text where the file has none (English register, Vietnamese notice). */
    n = sms_texts_render(t, DVCID__PURPOSE__PURPOSE_REGISTER, "042917", "en", 300, out,
                         sizeof(out));
    CHECK(n > 0 && strstr(out, "Your code to register your account is 042917") != NULL, "%s", out);
    n = sms_texts_render(t, DVCID__PURPOSE__PURPOSE_NOTICE, "", "en", 300, out, sizeof(out));
    CHECK(n > 0 && strstr(out, "Call 1900 1234") != NULL, "notice: %s", out);
    n = sms_texts_render(t, DVCID__PURPOSE__PURPOSE_NOTICE, "", "vi", 300, out, sizeof(out));
    CHECK(n > 0 && strstr(out, "so dien thoai nhan OTP cua tai khoan") != NULL,
          "built-in notice: %s", out);
    /* Bad codes are refused, and a small buffer fails cleanly. */
    CHECK(sms_texts_render(t, DVCID__PURPOSE__PURPOSE_REGISTER, "", "", 300, out, sizeof(out)) ==
              -1,
          "no code");
    CHECK(sms_texts_render(t, DVCID__PURPOSE__PURPOSE_REGISTER, "12a456", "", 300, out,
                           sizeof(out)) == -1,
          "letters in the code");
    CHECK(sms_texts_render(t, DVCID__PURPOSE__PURPOSE_NOTICE, "123456", "en", 300, out,
                           sizeof(out)) == -1,
          "code in a notice");
    CHECK(sms_texts_render(t, DVCID__PURPOSE__PURPOSE_REGISTER, "042917", "", 300, out, 20) == -1,
          "small buffer");
    sms_texts_destroy(&t);
    CHECK(t == NULL, "destroy nulls");

    /* No file: the built-in texts. */
    t = sms_texts_new("", err, sizeof(err));
    CHECK(t != NULL, "no file");
    n = sms_texts_render(t, DVCID__PURPOSE__PURPOSE_LOGIN, "314159", "", 60, out, sizeof(out));
    CHECK(n > 0 && strstr(out, "dang nhap") && strstr(out, "314159"), "built-in: %s", out);
    sms_texts_destroy(&t);

    const bad_row_t bad[] = {
        {"[login]\nvi = Ma {code} {otp}\n", "2: [login] vi: unknown placeholder"},
        {"[login]\nvi = Ma cua ban\n", "needs {code} exactly once"},
        {"[login]\nvi = {code} va {code}\n", "needs {code} exactly once"},
        {"[notice]\nvi = Ma {code}\n", "carries no {code}"},
        {"[notice]\nvi = Goi 1900123456\n", "run of 6 or more digits"},
        {"[login]\nvi = Ma {code}0\n", "run of 6 or more digits"},
        {"[login]\nvi = Ma {code}, {minutes}0 phut\n", "run of 6 or more digits"},
        {"[login]\nen = ok {code}\nvi = \xff {code}\n", "3: [login] vi: not valid UTF-8"},
        {"[signup]\nvi = Ma {code}\n", "unknown purpose"},
        {"[login]\nfr = Code {code}\n", "unknown language"},
        {"[login]\nvi Ma {code}\n", "not valid INI"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        t = sms_texts_new(s_file(bad[i].file), err, sizeof(err));
        CHECK(t == NULL, "row %zu accepted", i);
        CHECK(strstr(err, bad[i].err) != NULL, "row %zu: error \"%s\"", i, err);
        sms_texts_destroy(&t);
    }
    char longest[SMS_TEXTS_MAX + 64];
    memset(longest, 'a', sizeof(longest));
    memcpy(longest, "[login]\nvi = {code}", 19);
    longest[sizeof(longest) - 2] = '\n';
    longest[sizeof(longest) - 1] = '\0';
    t = sms_texts_new(s_file(longest), err, sizeof(err));
    CHECK(t == NULL && strstr(err, "too long") != NULL, "too long: %s", err);
    t = sms_texts_new("/nonexistent/texts.conf", err, sizeof(err));
    CHECK(t == NULL && strstr(err, "cannot open") != NULL, "missing file: %s", err);
    CHECK(tap_rm_rf(s_dir) == 0, "cleanup");
    return TEST_DONE();
}
