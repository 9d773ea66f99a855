/* cmn_id: ids for flows, captchas, accounts and messages. 16 bytes: 6 bytes of
 * big-endian unix ms, so new keys land together in LMDB's B-tree (locality for
 * group commit), then 10 random bytes, so an id cannot be guessed. Shown as 32
 * lowercase hex characters. */
#ifndef CMN_ID_H
#define CMN_ID_H

#include <stdbool.h>
#include <stdint.h>

#define CMN_ID_BYTES 16
#define CMN_ID_HEX (CMN_ID_BYTES * 2 + 1)

void cmn_id_make(uint8_t id[CMN_ID_BYTES]);

/* Writes the hex form (33 bytes with NUL). */
void cmn_id_to_hex(const uint8_t id[CMN_ID_BYTES], char hex[CMN_ID_HEX]);

/* Parses exactly 32 lowercase hex characters. Returns false on anything else. */
bool cmn_id_from_hex(const char *hex, uint8_t id[CMN_ID_BYTES]);

#endif
