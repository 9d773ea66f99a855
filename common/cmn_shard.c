/* cmn_shard: shard keys from ID numbers, in ids and in tokens; a request's shard from what
 * dvcid.proto states for its case (proto/dvcid_shard.h). */
#include "cmn_shard.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "proto/dvcid_shard.h"

void cmn_shard_dir(const char *base, int shard, int nshards, char *out, size_t outlen) {
    if (nshards > 1)
        snprintf(out, outlen, "%s-%d", base, shard);
    else
        snprintf(out, outlen, "%s", base);
}

uint16_t cmn_shard_key_of_id_number(const char *id_number) {
    uint8_t h[8];
    crypto_generichash(h, sizeof(h), (const unsigned char *)id_number, strlen(id_number), NULL, 0);
    return (uint16_t)((h[0] << 8) | h[1]);
}

int cmn_shard_of(uint16_t key, int nshards) {
    assert(nshards >= 1);
    return (int)(key % (unsigned)nshards);
}

uint16_t cmn_shard_key_random(int shard, int nshards) {
    assert(nshards >= 1 && shard >= 0 && shard < nshards);
    /* The largest multiple of nshards that fits, so every shard is equally likely. */
    uint32_t span = 65536u - 65536u % (uint32_t)nshards;
    uint32_t r = randombytes_uniform(span);
    return (uint16_t)(r - r % (uint32_t)nshards + (uint32_t)shard);
}

void cmn_shard_id_set_key(uint8_t id[CMN_ID_BYTES], uint16_t key) {
    id[6] = (uint8_t)(key >> 8);
    id[7] = (uint8_t)(key & 0xff);
}

void cmn_shard_id_make(uint8_t id[CMN_ID_BYTES], uint16_t key) {
    cmn_id_make(id);
    cmn_shard_id_set_key(id, key);
}

uint16_t cmn_shard_id_key(const uint8_t id[CMN_ID_BYTES]) {
    return (uint16_t)((id[6] << 8) | id[7]);
}

static int s_hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool cmn_shard_hex_key(const char *hex, uint16_t *key) {
    uint32_t k = 0;
    for (int i = 0; i < 16; i++) {
        int v = s_hex(hex[i]);
        if (v < 0)
            return false; /* also stops at the NUL of a short string */
        if (i >= 12)
            k = (k << 4) | (uint32_t)v;
    }
    *key = (uint16_t)k;
    return true;
}

bool cmn_shard_token_key(const char *token, uint16_t *key) {
    uint8_t raw[3];
    size_t len = 0;
    /* Four base64url characters are exactly three bytes. */
    if (strnlen(token, 4) < 4 ||
        sodium_base642bin(raw, sizeof(raw), token, 4, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof(raw))
        return false;
    *key = (uint16_t)((raw[0] << 8) | raw[1]);
    return true;
}

static cmn_shard_route_t s_by_id_number(const char *id_number, uint16_t *key) {
    *key = cmn_shard_key_of_id_number(id_number);
    return CMN_SHARD_KEYED;
}

static cmn_shard_route_t s_by_hex(const char *hex, uint16_t *key) {
    return cmn_shard_hex_key(hex, key) ? CMN_SHARD_KEYED : CMN_SHARD_ANY;
}

static cmn_shard_route_t s_by_token(const char *token, uint16_t *key) {
    return cmn_shard_token_key(token, key) ? CMN_SHARD_KEYED : CMN_SHARD_ANY;
}

cmn_shard_route_t cmn_shard_route(const Dvcid__Request *req, uint16_t *key) {
    const char *field;
    *key = 0;
    switch (dvcid_shard_field(req, &field)) {
    case DVCID_SHARD_BY_ALL:
        return CMN_SHARD_ALL;
    case DVCID_SHARD_BY_ID_NUMBER:
        return s_by_id_number(field, key);
    case DVCID_SHARD_BY_ID:
        return s_by_hex(field, key);
    case DVCID_SHARD_BY_TOKEN:
        return s_by_token(field, key);
    default: /* any, none (not an account request) and no body */
        return CMN_SHARD_ANY;
    }
}
