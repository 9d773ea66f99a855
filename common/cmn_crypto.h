/* cmn_crypto: every use of libsodium in one place. Keys live in files under a
 * service's data dir, created at first start with mode 0600. */
#ifndef CMN_CRYPTO_H
#define CMN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CMN_KEY_BYTES 32
#define CMN_HASH_BYTES 32

/* sodium_init, checked. Returns 0 or -1. */
int cmn_crypto_init(void);

/* Reads a CMN_KEY_BYTES key from path, or creates one (0600) if it does not exist.
 * Returns 0 or -1 (logged). */
int cmn_key_load(const char *path, uint8_t key[CMN_KEY_BYTES]);

/* Keyed BLAKE2b over parts joined with a separator byte that cannot be confused. */
void cmn_hash_keyed(const uint8_t key[CMN_KEY_BYTES], const void *const *parts, const size_t *lens,
                    size_t nparts, uint8_t out[CMN_HASH_BYTES]);

/* Constant-time equality of two hashes. Returns 1 when equal. */
int cmn_hash_equal(const uint8_t a[CMN_HASH_BYTES], const uint8_t b[CMN_HASH_BYTES]);

/* A uniformly random decimal code of len digits (1..9), zero padded, NUL-terminated. */
void cmn_random_code(int len, char *out);

/* Zeroes memory that held a secret, in a way the compiler cannot drop. */
void cmn_wipe(void *p, size_t len);

/* crypto_secretbox with a random nonce in front. *out is malloc'd; caller frees.
 * Returns 0 or -1. */
int cmn_seal(const uint8_t key[CMN_KEY_BYTES], const uint8_t *msg, size_t len, uint8_t **out,
             size_t *outlen);
int cmn_unseal(const uint8_t key[CMN_KEY_BYTES], const uint8_t *box, size_t len, uint8_t **out,
               size_t *outlen);

#endif
