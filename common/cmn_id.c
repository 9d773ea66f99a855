/* cmn_id: time-ordered random ids. */
#include "cmn_id.h"

#include <sodium.h>

#include "cmn_time.h"

void cmn_id_make(uint8_t id[CMN_ID_BYTES]) {
    uint64_t ms = cmn_time_now_ms();
    for (int i = 5; i >= 0; i--) {
        id[i] = (uint8_t)(ms & 0xff);
        ms >>= 8;
    }
    randombytes_buf(id + 6, CMN_ID_BYTES - 6);
}

void cmn_id_to_hex(const uint8_t id[CMN_ID_BYTES], char hex[CMN_ID_HEX]) {
    sodium_bin2hex(hex, CMN_ID_HEX, id, CMN_ID_BYTES);
}

bool cmn_id_from_hex(const char *hex, uint8_t id[CMN_ID_BYTES]) {
    for (int i = 0; i < CMN_ID_BYTES * 2; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    if (hex[CMN_ID_BYTES * 2] != '\0')
        return false;
    size_t bin_len = 0;
    return sodium_hex2bin(id, CMN_ID_BYTES, hex, CMN_ID_BYTES * 2, NULL, &bin_len, NULL) == 0 &&
           bin_len == CMN_ID_BYTES;
}
