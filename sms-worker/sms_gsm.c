/* sms_gsm: GSM-7 / UCS-2 choice and encoding (see sms_gsm.h). The tables are
 * those of 3GPP TS 23.038 section 6.2.1: the basic set by septet value, and the
 * extension set reached through the escape septet 0x1B. */
#include "sms_gsm.h"

#include <stdbool.h>
#include <string.h>

#define S_ESC 0x1B

/* Unicode code point of each septet of the basic set (0x1B, the escape, is 0). */
static const uint16_t s_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0};

/* The extension set: {septet after the escape, code point}. */
static const uint16_t s_ext[][2] = {{0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D},
                                    {0x2F, 0x005C}, {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D},
                                    {0x40, 0x007C}, {0x65, 0x20AC}};

/* Decodes one UTF-8 character at *p; advances *p. Returns the code point or -1. */
static long s_utf8(const unsigned char **p) {
    const unsigned char *s = *p;
    long cp;
    int more;
    if (s[0] < 0x80) {
        cp = s[0];
        more = 0;
    } else if ((s[0] & 0xE0) == 0xC0) {
        cp = s[0] & 0x1F;
        more = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
        cp = s[0] & 0x0F;
        more = 2;
    } else if ((s[0] & 0xF8) == 0xF0) {
        cp = s[0] & 0x07;
        more = 3;
    } else {
        return -1;
    }
    for (int i = 1; i <= more; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const long min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *p = s + more + 1;
    return cp;
}

/* Whether cp is its own septet: most of printable ASCII, LF and CR (the table's entries
 * there are their index and appear nowhere else). */
static bool s_direct(long cp) {
    return (cp >= 0x20 && cp <= 0x5A && cp != 0x24 && cp != 0x40) || (cp >= 0x61 && cp <= 0x7A) ||
           cp == 0x0A || cp == 0x0D;
}

/* The septets of cp in GSM-7 (1 or 2 with the escape) into out; 0 when it has none. */
static int s_septets(long cp, uint8_t out[2]) {
    /* No walk of the table for the bulk of a text. */
    if (s_direct(cp)) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    for (int i = 0; i < 128; i++) {
        if (s_basic[i] == cp && i != S_ESC) {
            out[0] = (uint8_t)i;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof(s_ext) / sizeof(s_ext[0]); i++) {
        if (s_ext[i][1] == cp) {
            out[0] = S_ESC;
            out[1] = (uint8_t)s_ext[i][0];
            return 2;
        }
    }
    return 0;
}

/* Walks utf8: septets needed in GSM-7 (or -2 when some character has none) and
 * characters (UTF-16 units). -1 for invalid text. */
static int s_measure(const char *utf8, int *units) {
    int septets = 0;
    *units = 0;
    const unsigned char *p = (const unsigned char *)utf8;
    while (*p) {
        long cp = s_utf8(&p);
        if (cp < 0)
            return -1;
        *units += cp > 0xFFFF ? 2 : 1;
        uint8_t sep[2];
        int n = s_septets(cp, sep);
        if (n == 0 || septets < 0)
            septets = -2;
        else
            septets += n;
    }
    return septets;
}

int sms_gsm_coding(const char *utf8) {
    int units;
    int septets = s_measure(utf8, &units);
    if (septets == -1)
        return -1;
    return septets >= 0 ? SMS_CODING_GSM7 : SMS_CODING_UCS2;
}

int sms_gsm_segments(const char *utf8) {
    int units;
    int septets = s_measure(utf8, &units);
    if (septets == -1)
        return -1;
    int len = septets >= 0 ? septets : units;
    int one = septets >= 0 ? 160 : 70, part = septets >= 0 ? 153 : 67;
    if (len <= one)
        return 1;
    return (len + part - 1) / part;
}

int sms_gsm_encode(const char *utf8, uint8_t *out, size_t outlen, int *coding) {
    /* The usual OTP text is all such ASCII: its septets are its bytes, found in one
     * pass instead of a measure and an encode of every character. */
    size_t len = 0;
    while (utf8[len] && s_direct((unsigned char)utf8[len]))
        len++;
    if (utf8[len] == '\0') {
        *coding = SMS_CODING_GSM7;
        if (len > outlen)
            return -1;
        memcpy(out, utf8, len);
        return (int)len;
    }
    *coding = sms_gsm_coding(utf8);
    if (*coding < 0)
        return -1;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)utf8;
    while (*p) {
        long cp = s_utf8(&p);
        uint8_t buf[4];
        size_t k;
        if (*coding == SMS_CODING_GSM7) {
            k = (size_t)s_septets(cp, buf);
        } else if (cp > 0xFFFF) { /* a surrogate pair */
            long v = cp - 0x10000;
            long hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            buf[0] = (uint8_t)(hi >> 8);
            buf[1] = (uint8_t)hi;
            buf[2] = (uint8_t)(lo >> 8);
            buf[3] = (uint8_t)lo;
            k = 4;
        } else {
            buf[0] = (uint8_t)(cp >> 8);
            buf[1] = (uint8_t)cp;
            k = 2;
        }
        if (n + k > outlen)
            return -1;
        for (size_t i = 0; i < k; i++)
            out[n++] = buf[i];
    }
    return (int)n;
}
