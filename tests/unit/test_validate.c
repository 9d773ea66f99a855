/* test_validate: table-driven tests of common/cmn_validate (security.md "Input" and
 * "Passwords"). Each table row is one input and the detail code it must produce; rows that
 * depend on today's date are built at run time. A last test runs every table from several
 * threads at once, since the gateway validates on more than one thread. */
#include "cmn_validate.h"
#include "tap.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* tap.h's CHECK_STR, but callable with a literal NULL (GCC's nonnull analysis objects to it). */
static bool s_same(const char *a, const char *b) {
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}
#define CHECK_CODE(got, want)                                                                      \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK(s_same(g_, w_), "got \"%s\", want \"%s\"", g_ ? g_ : "NULL", w_ ? w_ : "NULL");      \
    } while (0)

/* --- tables ------------------------------------------------------------------------------ */

static const struct {
    const char *id, *dob, *want;
} s_ids[] = {
    {NULL, NULL, "required"},
    {"", "1990-01-01", "required"},
    {"123456789", NULL, NULL},          /* old CMND, 9 digits */
    {"123456789", "1990-01-01", NULL},  /* CMND encodes no year */
    {"12345678", NULL, "invalid"},      /* 8 digits */
    {"1234567890", NULL, "invalid"},    /* 10 */
    {"12345678901", NULL, "invalid"},   /* 11 */
    {"0010900123456", NULL, "invalid"}, /* 13 */
    {" 001090012345", NULL, "invalid"}, /* no spaces around */
    {"001090012345 ", NULL, "invalid"},
    {"001 090 012345", NULL, "invalid"}, /* no separators */
    {"00109001234a", NULL, "invalid"},
    {"001090012345", NULL, NULL},         /* Hà Nội, male, 1990 */
    {"001190012345", "1990-05-17", NULL}, /* female, 1990 */
    {"079203012345", "2003-01-01", NULL}, /* TP HCM, male, 2003 */
    {"096300012345", "2000-12-31", NULL}, /* Cà Mau, female, 2000 */
    {"001224012345", "2024-06-01", NULL}, /* a child's card */
    {"001090012345", "", NULL},           /* no dob: no cross-check */
    {"000090012345", NULL, "invalid"},    /* province 000 */
    {"097090012345", NULL, "invalid"},    /* province 097 */
    {"003090012345", NULL, NULL},         /* 003: inside 001-096 */
    {"999090012345", NULL, "invalid"},
    {"001090012345", "1991-01-01", "birth_date_mismatch"}, /* year differs */
    {"001205012345", "1905-01-01", "birth_date_mismatch"}, /* century 2 = 2000s */
    {"001005012345", "2005-03-04", "birth_date_mismatch"}, /* century 0 = 1900s */
    {"001105012345", "2005-03-04", "birth_date_mismatch"},
    {"001299012345", NULL, "invalid"},         /* 2099: not born yet */
    {"001450012345", NULL, "invalid"},         /* 2150 */
    {"001899012345", "1999-01-01", "invalid"}, /* 2399 */
};

static const struct {
    const char *in, *want, *e164;
} s_phones[] = {
    {NULL, "required", ""},
    {"", "required", ""},
    {"   ", "required", ""},
    {"0912345678", NULL, "+84912345678"},
    {"84912345678", NULL, "+84912345678"},
    {"+84912345678", NULL, "+84912345678"},
    {"+84 912 345 678", NULL, "+84912345678"},
    {"091.234.5678", NULL, "+84912345678"},
    {"091-234-5678", NULL, "+84912345678"},
    {"+84-912-345-678", NULL, "+84912345678"},
    {"  0912345678 ", NULL, "+84912345678"},    /* spaces around are forgiven */
    {"+84 0912 345 678", NULL, "+84912345678"}, /* trunk 0 after the country code */
    {"0862345678", NULL, "+84862345678"},       /* Viettel 086 */
    {"0321234567", NULL, "+84321234567"},       /* Viettel 032 */
    {"0561234567", NULL, "+84561234567"},       /* 56 */
    {"0522123456", NULL, "+84522123456"},       /* 522: first branch */
    {"0559123456", NULL, "+84559123456"},       /* 559 */
    {"0896123456", NULL, "+84896123456"},       /* 896 */
    {"0899123456", NULL, "+84899123456"},       /* 899 */
    {"0881234567", NULL, "+84881234567"},       /* 88 */
    {"0981234567", NULL, "+84981234567"},       /* 98 */
    {"0991234567", NULL, "+84991234567"},       /* 991 */
    {"0701234567", NULL, "+84701234567"},
    {"0521234567", "invalid", ""}, /* 521: neither branch */
    {"0891234567", "invalid", ""}, /* 891 */
    {"0895123456", "invalid", ""}, /* 895 */
    {"0992123456", "invalid", ""}, /* 992 */
    {"0711234567", "invalid", ""}, /* 71 */
    {"0801234567", "invalid", ""}, /* 80 */
    {"19001234", "invalid", ""},   /* premium */
    {"1900123456", "invalid", ""},
    {"0241234567", "invalid", ""},   /* landline, old form */
    {"02412345678", "invalid", ""},  /* landline, 024 */
    {"+14155552671", "invalid", ""}, /* foreign */
    {"+0912345678", "invalid", ""},
    {"0084912345678", "invalid", ""},
    {"912345678", "invalid", ""},   /* no prefix */
    {"091234567", "invalid", ""},   /* too short */
    {"09123456789", "invalid", ""}, /* too long */
    {"+849123456789", "invalid", ""},
    {"0912  345678", "invalid", ""}, /* two separators */
    {"0912-.345678", "invalid", ""},
    {"-0912345678", "invalid", ""},
    {"0912345678.", "invalid", ""},
    {"+ 84912345678", "invalid", ""},
    {"(091) 2345678", "invalid", ""},
    {"091234567a", "invalid", ""},
    {"\xef\xbc\x90"
     "912345678",
     "invalid", ""}, /* full-width zero */
};

static const struct {
    const char *s, *want;
    int y, m, d;
} s_dates[] = {
    {NULL, "required", 0, 0, 0},
    {"", "required", 0, 0, 0},
    {"2000-02-29", NULL, 2000, 2, 29}, /* divisible by 400: leap */
    {"2004-02-29", NULL, 2004, 2, 29},
    {"1900-02-29", "invalid", 0, 0, 0}, /* divisible by 100: not leap */
    {"2001-02-29", "invalid", 0, 0, 0},
    {"2001-02-28", NULL, 2001, 2, 28},
    {"2000-02-30", "invalid", 0, 0, 0},
    {"1900-01-01", NULL, 1900, 1, 1},
    {"1899-12-31", "invalid", 0, 0, 0},
    {"2023-04-30", NULL, 2023, 4, 30},
    {"2023-04-31", "invalid", 0, 0, 0},
    {"2023-13-01", "invalid", 0, 0, 0},
    {"2023-00-10", "invalid", 0, 0, 0},
    {"2023-01-00", "invalid", 0, 0, 0},
    {"2023-01-32", "invalid", 0, 0, 0},
    {"2023-12-31", NULL, 2023, 12, 31},
    {"2000-1-01", "invalid", 0, 0, 0},
    {"2000/01/01", "invalid", 0, 0, 0},
    {"20000-01-01", "invalid", 0, 0, 0},
    {" 2000-01-01", "invalid", 0, 0, 0},
    {"2000-01-01T00:00", "invalid", 0, 0, 0},
    {"abcd-ef-gh", "invalid", 0, 0, 0},
    {"+200-01-01", "invalid", 0, 0, 0},
    {"2999-01-01", "in_future", 0, 0, 0},
};

static const struct {
    const char *s, *want;
} s_names[] = {
    {NULL, "required"},
    {"", "required"},
    {"Nguyễn Văn Ấn", NULL},
    {"Trần Thị Bích Ngọc", NULL},
    {"Đặng Thu Thảo", NULL},
    {"Ông Ích Khiêm", NULL},
    {"A", NULL},
    {"O'Neil", NULL},
    {"Lê-Anh Tuấn", NULL},
    {"Nguyen Van A.", NULL},
    {"李小龍", NULL},      /* letters without case */
    {"q\xcc\x83uy", NULL}, /* q + U+0303: no precomposed form */
    {"Nguyễn Văn A1", "invalid"},
    {" Nguyễn", "invalid"},
    {"Nguyễn ", "invalid"},
    {"Nguyễn  Văn", "invalid"},
    {"Nguyễn\tVăn", "invalid"},
    {"Nguyễn_Văn", "invalid"},
    {"An@", "invalid"},
    {"-", "invalid"}, /* no letter at all */
    {"An 😀", "invalid"},
    {"Ⅻ", "invalid"},           /* a letter number, not a letter */
    {"An \xd9\xa3", "invalid"}, /* Arabic-Indic digit */
    {"\xcc\x83"
     "An",
     "invalid"}, /* a mark on nothing */
    {"An \xcc\x83"
     "B",
     "invalid"}, /* a mark on a space */
    {"An\xc2\xa0"
     "B",
     "invalid"},                           /* no-break space */
    {"\xc3\x28", "invalid"},               /* bad UTF-8 */
    {"\xc0\xae", "invalid"},               /* overlong */
    {"Nguye\xcc\x82\xcc\x83n", "not_nfc"}, /* NFD of Nguyễn */
    {"Va\xcc\x86n", "not_nfc"},            /* NFD of Văn */
};

static const struct {
    const char *s, *want;
} s_emails[] = {
    {NULL, NULL},
    {"", NULL},
    {"a@b.vn", NULL},
    {"nguyen.van.an@gmail.com", NULL},
    {"user+tag@mail.example.com.vn", NULL},
    {"o'neil_99@x-y.org", NULL},
    {"a@xn--p1ai.xn--p1ai", NULL},
    {"a@b", "invalid"},
    {"a@b.c", "invalid"},
    {"a@b.v1", "invalid"},
    {"@b.vn", "invalid"},
    {"a@", "invalid"},
    {"a@.vn", "invalid"},
    {"a@b..vn", "invalid"},
    {"a@b.vn.", "invalid"},
    {".a@b.vn", "invalid"},
    {"a.@b.vn", "invalid"},
    {"a..b@c.vn", "invalid"},
    {"a@b@c.vn", "invalid"},
    {"a b@c.vn", "invalid"},
    {"a@-b.vn", "invalid"},
    {"a@b-.vn", "invalid"},
    {"a@b_c.vn", "invalid"},
    {"ăn@b.vn", "invalid"},
    {"an", "invalid"},
};

/* Expected codes joined with ',' ("" = valid); confirm NULL skips the mismatch check. */
static const struct {
    const char *pw, *confirm, *want;
} s_pws[] = {
    {NULL, NULL, "required"},
    {"", "", "required"},
    {"", "Xanh#Lam9", "required"},
    {"Xanh#Lam9", "Xanh#Lam9", ""},
    {"Xanh#Lam9", NULL, ""},
    {"Xanh Lam9", "Xanh Lam9", ""}, /* a space is special */
    {"Xa#9", "Xa#9", "too_short"},
    {"Xa#9xyz", "Xa#9xyz", "too_short"}, /* 7 */
    {"Xa#9wxyz", "Xa#9wxyz", ""},        /* 8 */
    {"xanh#lam9", "xanh#lam9", "missing_upper"},
    {"XANH#LAM9", "XANH#LAM9", "missing_lower"},
    {"Xanh#Lamx", "Xanh#Lamx", "missing_digit"},
    {"XanhLam99", "XanhLam99", "missing_special"},
    {"xanhlamxx", "xanhlamxx", "missing_upper,missing_digit,missing_special"},
    {"abc", "abd", "too_short,missing_upper,missing_digit,missing_special,mismatch"},
    {"P@ssw0rd", "P@ssw0rd", "common"},
    {"p@SSW0RD", "p@SSW0RD", "common"}, /* ASCII case-insensitive */
    {"Password@123", NULL, "common"},
    {"Matkhau@123", NULL, "common"},
    {"MATKHAU@123", NULL, "missing_lower,common"},
    {"Xanh#Lam9", "xanh#Lam9", "mismatch"},  /* never change case */
    {"Xanh#Lam9", "Xanh#Lam9 ", "mismatch"}, /* never trim */
    {"Xanh#Lam9", "Xanh#Lam", "mismatch"},   /* never truncate */
    {"Xanh#Lam9", "", "mismatch"},
    {"Mật#Khẩu9", "Mật#Khẩu9", ""}, /* ậ, ẩ are lowercase letters */
    {"ăăăăĂĂĂ1!", NULL, ""},
    {"ăăăăăăă1!", NULL, "missing_upper"}, /* ă is lowercase, not special */
    {"ĂĂĂĂĂĂĂ1!", NULL, "missing_lower"}, /* Ă is uppercase */
    {"ăĂăĂ1!x", NULL, "too_short"},       /* 7 code points, 11 bytes */
    {"Ăăăă1234", NULL, "missing_special"},
    {"Xanh#Lam\xd9\xa3", NULL, ""},  /* Arabic-Indic 3 is a digit */
    {"密码密码Xa#9", NULL, ""},      /* caseless letters are not special */
    {"Xa\xcc\x86nh#Lam9", NULL, ""}, /* NFD ă: the mark is no special */
    {"Xa\xcc\x86nhLam9", NULL, "missing_special"},
    {"Xanh#Lam9\xff", NULL, "invalid"},
    {"Xanh#Lam9\xed\xa0\x80", NULL, "invalid"}, /* surrogate */
};

static const struct {
    const char *s;
    size_t len;
    bool ok;
} s_utf8[] = {
    {"", 0, true},
    {"abc", 3, true},
    {"\xc3\xa9", 2, true},
    {"\xe0\xa0\x80", 3, true},     /* U+0800 */
    {"\xed\x9f\xbf", 3, true},     /* U+D7FF */
    {"\xef\xbf\xbf", 3, true},     /* U+FFFF */
    {"\xf0\x90\x80\x80", 4, true}, /* U+10000 */
    {"\xf4\x8f\xbf\xbf", 4, true}, /* U+10FFFF */
    {"a\0b", 3, false},            /* NUL */
    {"\xc0\x80", 2, false},        /* overlong NUL */
    {"\xc1\xbf", 2, false},
    {"\xe0\x80\xaf", 3, false},
    {"\xf0\x8f\xbf\xbf", 4, false},
    {"\xed\xa0\x80", 3, false},     /* U+D800 */
    {"\xed\xbf\xbf", 3, false},     /* U+DFFF */
    {"\xf4\x90\x80\x80", 4, false}, /* U+110000 */
    {"\xf5\x80\x80\x80", 4, false},
    {"\x80", 1, false},
    {"\xc3", 1, false}, /* truncated */
    {"\xe2\x82", 2, false},
    {"\xc3\xa9", 1, false}, /* len cuts a sequence */
    {"\xfe", 1, false},
    {"\xff", 1, false},
};

/* --- runners (return the number of rows that failed, for the threaded run) ---------------- */

static int s_run_ids(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_ids); i++) {
        const char *got = cmn_valid_id_number(s_ids[i].id, s_ids[i].dob);
        bool ok = (got == NULL) == (s_ids[i].want == NULL) &&
                  (got == NULL || strcmp(got, s_ids[i].want) == 0);
        bad += !ok;
        if (report)
            CHECK(ok, "id \"%s\" dob \"%s\": got %s, want %s", s_ids[i].id ? s_ids[i].id : "",
                  s_ids[i].dob ? s_ids[i].dob : "", got ? got : "NULL",
                  s_ids[i].want ? s_ids[i].want : "NULL");
    }
    return bad;
}

static int s_run_phones(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_phones); i++) {
        char out[CMN_PHONE_E164_MAX] = "junk";
        const char *got = cmn_valid_phone(s_phones[i].in, out);
        bool ok = (got == NULL) == (s_phones[i].want == NULL) &&
                  (got == NULL || strcmp(got, s_phones[i].want) == 0) &&
                  strcmp(out, s_phones[i].e164) == 0;
        bad += !ok;
        if (report)
            CHECK(ok, "phone \"%s\": got %s \"%s\", want %s \"%s\"",
                  s_phones[i].in ? s_phones[i].in : "", got ? got : "NULL", out,
                  s_phones[i].want ? s_phones[i].want : "NULL", s_phones[i].e164);
    }
    return bad;
}

static int s_run_dates(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_dates); i++) {
        int y = 0, m = 0, d = 0;
        const char *got = cmn_valid_date(s_dates[i].s, &y, &m, &d);
        bool ok = (got == NULL) == (s_dates[i].want == NULL) &&
                  (got == NULL || strcmp(got, s_dates[i].want) == 0) && y == s_dates[i].y &&
                  m == s_dates[i].m && d == s_dates[i].d;
        bad += !ok;
        if (report)
            CHECK(ok, "date \"%s\": got %s %d-%d-%d", s_dates[i].s ? s_dates[i].s : "",
                  got ? got : "NULL", y, m, d);
    }
    return bad;
}

static int s_run_names(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_names); i++) {
        const char *got = cmn_valid_name(s_names[i].s);
        bool ok = (got == NULL) == (s_names[i].want == NULL) &&
                  (got == NULL || strcmp(got, s_names[i].want) == 0);
        bad += !ok;
        if (report)
            CHECK(ok, "name \"%s\": got %s, want %s", s_names[i].s ? s_names[i].s : "",
                  got ? got : "NULL", s_names[i].want ? s_names[i].want : "NULL");
    }
    return bad;
}

static int s_run_emails(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_emails); i++) {
        const char *got = cmn_valid_email(s_emails[i].s);
        bool ok = (got == NULL) == (s_emails[i].want == NULL) &&
                  (got == NULL || strcmp(got, s_emails[i].want) == 0);
        bad += !ok;
        if (report)
            CHECK(ok, "email \"%s\": got %s", s_emails[i].s ? s_emails[i].s : "",
                  got ? got : "NULL");
    }
    return bad;
}

/* Runs the password rule and joins the codes with ','. */
static void s_pw_codes(const char *pw, const char *confirm, char *buf, size_t buflen) {
    const char *codes[CMN_PASSWORD_CODES_MAX];
    int n = cmn_valid_password(pw, confirm, codes, CMN_PASSWORD_CODES_MAX);
    buf[0] = '\0';
    for (int i = 0; i < n && i < CMN_PASSWORD_CODES_MAX; i++) {
        if (i > 0)
            strncat(buf, ",", buflen - strlen(buf) - 1);
        strncat(buf, codes[i], buflen - strlen(buf) - 1);
    }
}

static int s_run_passwords(bool report) {
    int bad = 0;
    for (size_t i = 0; i < N(s_pws); i++) {
        char got[256];
        s_pw_codes(s_pws[i].pw, s_pws[i].confirm, got, sizeof got);
        bool ok = strcmp(got, s_pws[i].want) == 0;
        bad += !ok;
        if (report)
            CHECK(ok, "password row %zu: got \"%s\", want \"%s\"", i, got, s_pws[i].want);
    }
    return bad;
}

/* Bounded string building for the tests that make long inputs. */
static void s_set(char *buf, size_t cap, const char *s) { snprintf(buf, cap, "%s", s); }

static void s_append(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s", s);
}

/* --- tests that build their input ---------------------------------------------------------- */

static void s_fmt_date(time_t t, char out[11]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void test_dates_relative(void) {
    char buf[11];
    time_t now = time(NULL);
    s_fmt_date(now, buf);
    CHECK_CODE(cmn_valid_date(buf, NULL, NULL, NULL), NULL); /* today (UTC) */
    s_fmt_date(now + 86400, buf);
    CHECK_CODE(cmn_valid_date(buf, NULL, NULL, NULL), "in_future"); /* tomorrow */
    s_fmt_date(now - 86400, buf);
    CHECK_CODE(cmn_valid_date(buf, NULL, NULL, NULL), NULL);
    /* an ID whose century digit says this year is fine; next year is not */
    struct tm tm;
    gmtime_r(&now, &tm);
    int y = tm.tm_year + 1900;
    char id[32];
    snprintf(id, sizeof id, "001%d%02d012345", (y - 1900) / 100 * 2, y % 100);
    CHECK_CODE(cmn_valid_id_number(id, NULL), NULL);
    snprintf(id, sizeof id, "001%d%02d012345", (y + 1 - 1900) / 100 * 2, (y + 1) % 100);
    CHECK_CODE(cmn_valid_id_number(id, NULL), "invalid");
}

static void test_name_lengths(void) {
    char buf[1024];
    memset(buf, 'a', 100);
    buf[100] = '\0';
    CHECK_CODE(cmn_valid_name(buf), NULL); /* 100 */
    memset(buf, 'a', 101);
    buf[101] = '\0';
    CHECK_CODE(cmn_valid_name(buf), "too_long"); /* 101 */
    memset(buf, 'a', 401);
    buf[401] = '\0';
    CHECK_CODE(cmn_valid_name(buf), "too_long"); /* past the byte cap */
    buf[0] = '\0';
    for (int i = 0; i < 100; i++)
        s_append(buf, sizeof buf, "ễ");    /* 3 bytes each */
    CHECK_CODE(cmn_valid_name(buf), NULL); /* 100 code points, 300 bytes */
    s_append(buf, sizeof buf, "ễ");
    CHECK_CODE(cmn_valid_name(buf), "too_long");
}

static void test_name_normalize(void) {
    char out[64];
    const char *nfd = "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n A\xcc\x82\xcc\x81n";
    CHECK(cmn_name_normalize(nfd, out, sizeof out) == 0, "normalize NFD");
    CHECK_CODE(out, "Nguyễn Văn Ấn");
    CHECK_CODE(cmn_valid_name(out), NULL);
    CHECK(cmn_name_normalize("Nguyễn", out, sizeof out) == 0, "normalize NFC");
    CHECK_CODE(out, "Nguyễn");
    CHECK(cmn_name_normalize(nfd, out, 8) == -1, "too small a buffer");
    CHECK_CODE(out, "");
    CHECK(cmn_name_normalize("\xc3\x28", out, sizeof out) == -1, "bad UTF-8");
    CHECK(cmn_name_normalize("", out, sizeof out) == 0 && out[0] == '\0', "empty");
}

static void test_email_lengths(void) {
    char buf[300];
    memset(buf, 'a', 64);
    s_set(buf + 64, sizeof buf - 64, "@b.vn");
    CHECK_CODE(cmn_valid_email(buf), NULL); /* 64-byte local part */
    memset(buf, 'a', 65);
    s_set(buf + 65, sizeof buf - 65, "@b.vn");
    CHECK_CODE(cmn_valid_email(buf), "invalid"); /* 65 */
    /* a@ + 63-byte labels joined by dots, then ".vn", padded to exactly 254 and 255 */
    s_set(buf, sizeof buf, "a@");
    while (strlen(buf) < 254 - 3 - 64)
        s_append(buf, sizeof buf,
                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
    size_t need = 254 - 3 - strlen(buf);
    memset(buf + strlen(buf), 'c', need);
    buf[254 - 3] = '\0';
    s_append(buf, sizeof buf, ".vn");
    CHECK(strlen(buf) == 254, "built %zu bytes", strlen(buf));
    CHECK_CODE(cmn_valid_email(buf), NULL);
    buf[254 - 3] = '\0';
    s_append(buf, sizeof buf, "c.vn");
    CHECK_CODE(cmn_valid_email(buf), "too_long");
}

static void test_password_lengths(void) {
    char pw[1024], got[256];
    s_set(pw, sizeof pw, "Aa1!");
    for (int i = 4; i < 128; i++)
        s_append(pw, sizeof pw, "ă"); /* 2 bytes each */
    s_pw_codes(pw, pw, got, sizeof got);
    CHECK_CODE(got, ""); /* 128 code points, 252 bytes */
    s_append(pw, sizeof pw, "ă");
    s_pw_codes(pw, pw, got, sizeof got);
    CHECK_CODE(got, "too_long"); /* 129 */
    memset(pw, 'x', 128);
    memcpy(pw, "Aa1!", 4);
    pw[128] = '\0';
    s_pw_codes(pw, pw, got, sizeof got);
    CHECK_CODE(got, "");
    pw[128] = 'x';
    pw[129] = '\0';
    s_pw_codes(pw, pw, got, sizeof got);
    CHECK_CODE(got, "too_long");
    memset(pw, 'x', 1000); /* longer than any buffer inside */
    pw[1000] = '\0';
    s_pw_codes(pw, "x", got, sizeof got);
    CHECK_CODE(got, "too_long,missing_upper,missing_digit,missing_special,mismatch");

    /* fewer slots than codes: the count is complete, the array is not overrun */
    const char *codes[2] = {NULL, NULL};
    int n = cmn_valid_password("abc", "abd", codes, 2);
    CHECK(n == 5, "n = %d", n);
    CHECK_CODE(codes[0], "too_short");
    CHECK_CODE(codes[1], "missing_upper");
    CHECK(cmn_valid_password("abc", NULL, NULL, 0) == 4, "count only");
}

static void test_common_list(void) {
    CHECK(cmn_common_passwords_count > 600, "list has %zu entries", cmn_common_passwords_count);
    int unsorted = 0, upper = 0;
    for (size_t i = 0; i < cmn_common_passwords_count; i++) {
        if (i > 0 && strcmp(cmn_common_passwords[i - 1], cmn_common_passwords[i]) >= 0)
            unsorted++;
        for (const char *p = cmn_common_passwords[i]; *p; p++)
            upper += *p >= 'A' && *p <= 'Z';
    }
    CHECK(unsorted == 0, "%d entries out of order (bsearch needs strcmp order)", unsorted);
    CHECK(upper == 0, "%d uppercase letters in the list", upper);
    CHECK(cmn_password_is_common("password1"), "john list");
    CHECK(cmn_password_is_common("PASSWORD1"), "case-insensitive");
    CHECK(cmn_password_is_common(cmn_common_passwords[0]), "first entry");
    CHECK(cmn_password_is_common(cmn_common_passwords[cmn_common_passwords_count - 1]),
          "last entry");
    CHECK(!cmn_password_is_common("Xanh#Lam9"), "not common");
    CHECK(!cmn_password_is_common(""), "empty");
    CHECK(!cmn_password_is_common(NULL), "NULL");
}

static void test_utf8(void) {
    for (size_t i = 0; i < N(s_utf8); i++)
        CHECK(cmn_utf8_valid(s_utf8[i].s, s_utf8[i].len) == s_utf8[i].ok, "utf8 row %zu", i);
    CHECK(cmn_utf8_valid(NULL, 0), "NULL, 0");
}

/* --- every table from several threads at once ---------------------------------------------- */

static void *s_worker(void *arg) {
    int *bad = arg;
    for (int round = 0; round < 50; round++)
        *bad += s_run_ids(false) + s_run_phones(false) + s_run_dates(false) + s_run_names(false) +
                s_run_emails(false) + s_run_passwords(false);
    return NULL;
}

static void test_threads(void) {
    enum { T = 4 };
    pthread_t th[T];
    int bad[T] = {0};
    for (int i = 0; i < T; i++)
        CHECK(pthread_create(&th[i], NULL, s_worker, &bad[i]) == 0, "pthread_create");
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        CHECK(bad[i] == 0, "thread %d: %d rows differed", i, bad[i]);
    }
}

int main(void) {
    s_run_ids(true);
    s_run_phones(true);
    s_run_dates(true);
    s_run_names(true);
    s_run_emails(true);
    s_run_passwords(true);
    test_dates_relative();
    test_name_lengths();
    test_name_normalize();
    test_email_lengths();
    test_password_lengths();
    test_common_list();
    test_utf8();
    CHECK(cmn_valid_phone("0912345678", NULL) == NULL, "out may be NULL");
    test_threads();
    return TEST_DONE();
}
