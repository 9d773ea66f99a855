/* cmn_mask: first and last digits kept, the rest starred. */
#include "cmn_mask.h"

#include <stdio.h>
#include <string.h>

void cmn_mask_phone(const char *e164, char *out, size_t outlen) {
    /* +84 then 9 digits -> national 0 + 9 digits -> keep 3 and 3. */
    if (!e164 || strncmp(e164, "+84", 3) != 0 || strlen(e164) != 12) {
        snprintf(out, outlen, "***");
        return;
    }
    const char *n = e164 + 3;
    snprintf(out, outlen, "0%.2s****%s", n, n + 6);
}

void cmn_mask_id(const char *id, char *out, size_t outlen) {
    size_t len = id ? strlen(id) : 0;
    if (len < 7) {
        snprintf(out, outlen, "***");
        return;
    }
    char stars[32];
    size_t ns = len - 6 < sizeof(stars) - 1 ? len - 6 : sizeof(stars) - 1;
    memset(stars, '*', ns);
    stars[ns] = '\0';
    snprintf(out, outlen, "%.3s%s%s", id, stars, id + len - 3);
}
