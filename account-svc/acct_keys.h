/* acct_keys: the Ed25519 keys that sign access tokens, and the tokens themselves.
 *
 * Keys are files "<created ms>-<kid>.key" (the 64-byte libsodium secret key, mode
 * 0600) in <storage.dir>/account/keys/. The newest signs; every key in the folder is
 * published in the JWKS, so tokens signed by an older key still verify. Rotation:
 * `account-svc --config F --new-signing-key` adds a key (it signs after the next
 * start); delete an old key's file once its last token has expired (token.access_ttl)
 * to retire it. A first start with no key creates one. */
#ifndef ACCT_KEYS_H
#define ACCT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "cmn_config.h"

typedef struct acct_keys acct_keys_t;

/* Loads every key of dir (creating dir and a first key when there is none). NULL on failure. */
acct_keys_t *acct_keys_new(const char *dir);
void acct_keys_destroy(acct_keys_t **self_p);

/* Adds a new key file to dir (rotation). Writes its kid (at least 16 bytes). 0 or -1. */
int acct_keys_create(const char *dir, char *kid, size_t kidlen);

size_t acct_keys_count(const acct_keys_t *self);
/* The i-th key's id and base64url public key; i = 0 is the newest (the signer). */
const char *acct_keys_kid(const acct_keys_t *self, size_t i);
const char *acct_keys_x(const acct_keys_t *self, size_t i);

/* Signs an access token for subject sub: a JWT (EdDSA) with iss, aud, sub, iat, exp and
 * amr ["pwd","otp"]. *out is malloc'd. Returns 0 or -1. */
int acct_keys_sign(const acct_keys_t *self, const cmn_config_t *cfg, const char *sub,
                   uint64_t now_ms, char **out);

#endif
