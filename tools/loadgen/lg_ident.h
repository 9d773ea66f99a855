/* lg_ident: the made-up citizens of a load run. Arrival k of a run gets a CCCD number, a
 * birth date it agrees with, and a mobile number under the server's otp.test_phone_prefix
 * (whose OTP is the fixed otp.test_code). Numbers come from k through a bijection of the
 * whole space (a random start plus k times a stride coprime to the space's size), so they
 * never repeat within a run (up to 10.7 billion IDs) and differ from run to run. Every
 * value is checked against the server's own validators (common/cmn_validate). Pure. */
#ifndef LG_IDENT_H
#define LG_IDENT_H

#include <stddef.h>
#include <stdint.h>

#define LG_ID_LEN 12    /* CCCD digits */
#define LG_PHONE_LEN 10 /* national form "09xxxxxxxx" */

typedef struct {
    uint64_t id_offset;
    uint64_t phone_offset;
    char nsn_prefix[10]; /* the test prefix's digits after +84 */
    int free_digits;     /* 9 - strlen(nsn_prefix) */
} lg_ident_t;

/* Sets up identities for a run with this seed. phone_prefix is E.164 ("+8430000"),
 * "8430000" or national ("030000"). Returns 0, or -1 with a reason in err when the prefix
 * leaves no digit free or no number under it is a Vietnamese mobile. */
int lg_ident_init(lg_ident_t *self, const char *phone_prefix, uint64_t seed, char *err,
                  size_t errlen);

/* The k-th person of the run: id (12 digits) and date of birth "YYYY-MM-DD". */
void lg_ident_person(const lg_ident_t *self, uint64_t k, char id[LG_ID_LEN + 1], char dob[11]);

/* The k-th phone of the run, national form. Repeats after 10^free_digits numbers (the limits
 * per phone still apply to test numbers: size the prefix and the server's limits for it). */
void lg_ident_phone(const lg_ident_t *self, uint64_t k, char phone[LG_PHONE_LEN + 1]);

#endif
