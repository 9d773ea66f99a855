/* sms_text: renders the SMS for each purpose (see sms_text.h). The texts are a
 * table so that adding a purpose or a language is one row, and so the unit test
 * can check every row against the rules: ASCII only, the purpose named, "do not
 * share", the code as the only long run of digits. */
#include "sms_text.h"

#include <stdio.h>
#include <string.h>

#include "proto/dvcid.pb-c.h"

#define SMS_CODE_MAX 9
/* Minutes are clamped so the number stays shorter than a code (never 6 digits). */
#define SMS_MINUTES_MAX 99999

typedef struct {
    int purpose;
    const char *name;
    const char *vi; /* what the code is for, inside the Vietnamese sentence */
    const char *en; /* the same in English */
} s_purpose_t;

static const s_purpose_t s_purposes[] = {
    {DVCID__PURPOSE__PURPOSE_REGISTER, "register", "dang ky tai khoan", "register your account"},
    {DVCID__PURPOSE__PURPOSE_LOGIN, "login", "dang nhap", "sign in"},
    {DVCID__PURPOSE__PURPOSE_PHONE_CHANGE, "phone_change", "doi so dien thoai nhan OTP",
     "change your OTP phone number"},
    {DVCID__PURPOSE__PURPOSE_PASSWORD_RESET, "password_reset", "dat lai mat khau",
     "reset your password"},
    {DVCID__PURPOSE__PURPOSE_ADD_PHONE, "add_phone", "them so dien thoai", "add a phone number"},
    {DVCID__PURPOSE__PURPOSE_NOTICE, "notice", NULL, NULL},
    {DVCID__PURPOSE__PURPOSE_UNLOCK, "unlock", "mo khoa dang nhap", "unlock your sign-in"},
};

/* One notice for every change it reports (a lost-phone change, pending or done, an
 * added phone, a password reset): each phone of the account gets it. */
static const char s_notice_vi[] =
    "DVCQG: Mat khau hoac so dien thoai nhan OTP cua tai khoan da duoc thay doi. Neu khong "
    "phai ban, hay dang nhap ngay de huy doi so va goi tong dai ho tro.";
static const char s_notice_en[] =
    "DVCQG: The password or an OTP phone of your account has been changed. If this was not "
    "you, sign in at once (it cancels a phone change) and call support.";

static const s_purpose_t *s_find(int purpose) {
    for (size_t i = 0; i < sizeof(s_purposes) / sizeof(s_purposes[0]); i++)
        if (s_purposes[i].purpose == purpose)
            return &s_purposes[i];
    return NULL;
}

const char *sms_text_purpose_name(int purpose) {
    const s_purpose_t *p = s_find(purpose);
    return p ? p->name : NULL;
}

static int s_code_ok(const char *code) {
    size_t len = code ? strlen(code) : 0;
    if (len == 0 || len > SMS_CODE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return 1;
}

int sms_text_render(int purpose, const char *code, const char *lang, int ttl_s, char *out,
                    size_t outlen) {
    const s_purpose_t *p = s_find(purpose);
    if (!p || !out || outlen == 0)
        return -1;
    int en = lang && strcmp(lang, "en") == 0;
    int n;
    if (purpose == DVCID__PURPOSE__PURPOSE_NOTICE) {
        if (code && code[0])
            return -1;
        n = snprintf(out, outlen, "%s", en ? s_notice_en : s_notice_vi);
    } else {
        if (!s_code_ok(code))
            return -1;
        long minutes = ttl_s > 0 ? ((long)ttl_s + 59) / 60 : 1;
        if (minutes > SMS_MINUTES_MAX)
            minutes = SMS_MINUTES_MAX;
        if (en)
            n = snprintf(out, outlen,
                         "DVCQG: Your code to %s is %s. It is valid for %ld minute%s. "
                         "Do not share this code with anyone.",
                         p->en, code, minutes, minutes == 1 ? "" : "s");
        else
            n = snprintf(out, outlen,
                         "DVCQG: Ma OTP %s cua ban la %s. Ma co hieu luc trong %ld phut. "
                         "Khong chia se ma nay cho bat ky ai.",
                         p->vi, code, minutes);
    }
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return n;
}
