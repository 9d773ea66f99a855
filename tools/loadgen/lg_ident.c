/* lg_ident: identities for load runs (lg_ident.h). The ID space is mixed-radix: province
 * (001..096) x century/gender digit (2) x birth year (1950..2005) x 6-digit tail; its size
 * has the prime factors 2, 3, 5 and 7 only, so any prime stride above 7 visits all of it. */
#include "lg_ident.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmn_validate.h"

#define S_YEAR0 1950
#define S_YEARS 56 /* 1950..2005: adults today, and never in the future */
#define S_TAILS 1000000ull
#define S_SPACE (S_TAILS * S_YEARS * 2ull * 96ull)
#define S_STRIDE 1000000007ull /* prime, coprime with S_SPACE and with every 10^n */

static uint64_t s_pow10(int n) {
    uint64_t x = 1;
    while (n-- > 0)
        x *= 10;
    return x;
}

/* The phone for raw index n of the prefix's space; "" when not a VN mobile. */
static bool s_phone_at(const lg_ident_t *self, uint64_t n, char phone[LG_PHONE_LEN + 1]) {
    char e164[CMN_PHONE_E164_MAX], buf[48];
    int len = snprintf(buf, sizeof(buf), "0%s%0*llu", self->nsn_prefix, self->free_digits,
                       (unsigned long long)n);
    if (len != LG_PHONE_LEN)
        return false;
    memcpy(phone, buf, LG_PHONE_LEN + 1);
    return cmn_valid_phone(phone, e164) == NULL;
}

int lg_ident_init(lg_ident_t *self, const char *phone_prefix, uint64_t seed, char *err,
                  size_t errlen) {
    memset(self, 0, sizeof(*self));
    const char *p = phone_prefix ? phone_prefix : "";
    if (*p == '+')
        p++;
    if (strncmp(p, "84", 2) == 0)
        p += 2;
    else if (*p == '0')
        p++;
    else {
        snprintf(err, errlen, "phone prefix \"%s\": expected +84…, 84… or 0…", phone_prefix);
        return -1;
    }
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i])) {
            snprintf(err, errlen, "phone prefix \"%s\": digits only", phone_prefix);
            return -1;
        }
    if (n > 8) {
        snprintf(err, errlen, "phone prefix \"%s\" leaves no digit to vary", phone_prefix);
        return -1;
    }
    memcpy(self->nsn_prefix, p, n + 1);
    self->free_digits = 9 - (int)n;
    self->id_offset = seed % S_SPACE;
    self->phone_offset = (seed / 7) % s_pow10(self->free_digits);
    /* At least one mobile number must exist under the prefix. */
    char phone[LG_PHONE_LEN + 1];
    uint64_t size = s_pow10(self->free_digits);
    for (uint64_t i = 0; i < size && i < 100000; i++)
        if (s_phone_at(self, i, phone))
            return 0;
    snprintf(err, errlen, "phone prefix \"%s\": no Vietnamese mobile number under it",
             phone_prefix);
    return -1;
}

void lg_ident_person(const lg_ident_t *self, uint64_t k, char id[LG_ID_LEN + 1], char dob[11]) {
    uint64_t n = (self->id_offset + (k % S_SPACE) * S_STRIDE) % S_SPACE;
    unsigned tail = (unsigned)(n % S_TAILS);
    n /= S_TAILS;
    unsigned year = S_YEAR0 + (unsigned)(n % S_YEARS);
    n /= S_YEARS;
    unsigned gender = (unsigned)(n % 2);
    n /= 2;
    unsigned province = 1 + (unsigned)(n % 96);
    unsigned century = (year >= 2000 ? 2 : 0) + gender;
    snprintf(id, LG_ID_LEN + 1, "%03u%u%02u%06u", province % 1000, century % 10, year % 100,
             tail % 1000000);
    snprintf(dob, 11, "%04u-%02u-%02u", year % 10000, 1 + tail % 12, 1 + (tail / 12) % 28);
}

void lg_ident_phone(const lg_ident_t *self, uint64_t k, char phone[LG_PHONE_LEN + 1]) {
    uint64_t size = s_pow10(self->free_digits);
    uint64_t n = (self->phone_offset + (k % size) * (S_STRIDE % size)) % size;
    /* Skip numbers outside the mobile ranges (a short prefix such as +849 spans some). */
    for (uint64_t tries = 0; tries < size; tries++, n = (n + 1) % size)
        if (s_phone_at(self, n, phone))
            return;
    phone[0] = '\0'; /* not reached: lg_ident_init found one */
}
