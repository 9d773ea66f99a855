/* Unit test of sms_gsm: the GSM-7 / UCS-2 choice (table), the octets of each
 * encoding (golden values), segment counts at the boundaries, invalid UTF-8. */
#include <stdio.h>
#include <string.h>

#include "sms_gsm.h"
#include "tap.h"

typedef struct {
    const char *text;
    int coding;
    int segments;
} row_t;

/* n copies of unit into out (the caller sizes out). */
static void s_repeat(char *out, const char *unit, int n) {
    size_t len = strlen(unit);
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * len, unit, len);
    out[(size_t)n * len] = '\0';
}

int main(void) {
    static char t160[200], t161[200], t70[300], t71[300], t80ext[300], t134[500];
    s_repeat(t160, "a", 160);
    s_repeat(t161, "a", 161);
    s_repeat(t70, "ắ", 70);
    s_repeat(t71, "ắ", 71);
    s_repeat(t80ext, "€", 80); /* 2 septets each: 160 */
    s_repeat(t134, "ắ", 134);  /* 2 UCS-2 parts of 67 */
    const row_t rows[] = {
        {"DVCQG: Ma OTP dang ky cua ban la 123456.", 0, 1},
        {"Your code: 123456 @£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà", 0, 1},
        {"braces {} [] ~ ^ | \\ € need the escape", 0, 1},
        {"Mã OTP của bạn là 123456", 8, 1},
        {"emoji 🙂", 8, 1},
        {"", 0, 1},
        {t160, 0, 1},
        {t161, 0, 2},
        {t80ext, 0, 1},
        {t70, 8, 1},
        {t71, 8, 2},
        {t134, 8, 2},
        {"\xff\xfe", -1, -1},
        {"\xc3", -1, -1},
        {"\xed\xa0\x80", -1, -1}, /* a UTF-16 surrogate in UTF-8 */
        {"\xc0\xaf", -1, -1},     /* overlong '/' */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CHECK(sms_gsm_coding(rows[i].text) == rows[i].coding, "row %zu: coding %d", i,
              sms_gsm_coding(rows[i].text));
        CHECK(sms_gsm_segments(rows[i].text) == rows[i].segments, "row %zu: segments %d", i,
              sms_gsm_segments(rows[i].text));
    }

    uint8_t out[400];
    int coding = -1;
    /* GSM-7: one octet per septet; '@' is 0x00, '€' is ESC 0x65, '_' is 0x11. */
    int n = sms_gsm_encode("A@€_é", out, sizeof(out), &coding);
    const uint8_t gsm[] = {0x41, 0x00, 0x1B, 0x65, 0x11, 0x05};
    CHECK(coding == SMS_CODING_GSM7 && n == 6 && memcmp(out, gsm, 6) == 0, "gsm octets (n %d)", n);
    /* UCS-2 big-endian; beyond the BMP as a surrogate pair. */
    n = sms_gsm_encode("Mã🙂", out, sizeof(out), &coding);
    const uint8_t ucs[] = {0x00, 0x4D, 0x00, 0xE3, 0xD8, 0x3D, 0xDE, 0x42};
    CHECK(coding == SMS_CODING_UCS2 && n == 8 && memcmp(out, ucs, 8) == 0, "ucs2 octets (n %d)", n);
    /* Text of ASCII that is its own septet (the usual OTP text, LF and CR included) is
     * copied as it is: the same octets as the character-by-character path gives them
     * (here followed by an '@', which takes that path). */
    const char *plain = "Ma OTP: 123456.\r\nHieu luc 5 phut, khong chia se (DVCQG) #1 = ok?";
    size_t plen = strlen(plain);
    uint8_t slow[400];
    char with_at[200];
    snprintf(with_at, sizeof(with_at), "%s@", plain);
    n = sms_gsm_encode(plain, out, sizeof(out), &coding);
    CHECK(coding == SMS_CODING_GSM7 && n == (int)plen && memcmp(out, plain, plen) == 0,
          "plain ascii octets (n %d)", n);
    n = sms_gsm_encode(with_at, slow, sizeof(slow), &coding);
    CHECK(coding == SMS_CODING_GSM7 && n == (int)plen + 1 && memcmp(slow, out, plen) == 0 &&
              slow[plen] == 0x00,
          "the same octets character by character (n %d)", n);
    n = sms_gsm_encode("", out, sizeof(out), &coding);
    CHECK(n == 0 && coding == SMS_CODING_GSM7, "empty text");
    /* Too small an output, and invalid text, fail. */
    CHECK(sms_gsm_encode("Mã", out, 3, &coding) == -1, "overflow");
    CHECK(sms_gsm_encode("abc", out, 2, &coding) == -1, "gsm overflow");
    CHECK(sms_gsm_encode("\xff", out, sizeof(out), &coding) == -1 && coding == -1, "invalid");
    return TEST_DONE();
}
