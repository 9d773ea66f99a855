/* cmn_shard: shard keys from ID numbers, in ids and in tokens. */
#include "cmn_shard.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

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

void cmn_shard_id_new(uint8_t id[CMN_ID_BYTES], uint16_t key) {
    cmn_id_new(id);
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
    *key = 0;
    switch (req->body_case) {
    case DVCID__REQUEST__BODY_PING:
    case DVCID__REQUEST__BODY_METRICS_GET:
    case DVCID__REQUEST__BODY_JWKS_GET:
        return CMN_SHARD_ALL;
    case DVCID__REQUEST__BODY_REG_START:
        return s_by_id_number(req->reg_start->id_number, key);
    case DVCID__REQUEST__BODY_LOGIN_START:
        return s_by_id_number(req->login_start->id_number, key);
    case DVCID__REQUEST__BODY_RESET_START:
        return s_by_id_number(req->reset_start->id_number, key);
    case DVCID__REQUEST__BODY_UNLOCK_START:
        return s_by_id_number(req->unlock_start->id_number, key);
    case DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET:
        return s_by_id_number(req->admin_account_get->id_number, key);
    case DVCID__REQUEST__BODY_ADMIN_UNLOCK:
        return s_by_id_number(req->admin_unlock->id_number, key);
    case DVCID__REQUEST__BODY_CAPTCHA_CHECK:
        return s_by_hex(req->captcha_check->captcha_id, key);
    case DVCID__REQUEST__BODY_REG_RESEND:
        return s_by_hex(req->reg_resend->registration_id, key);
    case DVCID__REQUEST__BODY_REG_VERIFY:
        return s_by_hex(req->reg_verify->registration_id, key);
    case DVCID__REQUEST__BODY_REG_PASSWORD:
        return s_by_hex(req->reg_password->registration_id, key);
    case DVCID__REQUEST__BODY_LOGIN_RESEND:
        return s_by_hex(req->login_resend->login_id, key);
    case DVCID__REQUEST__BODY_LOGIN_METHOD:
        return s_by_hex(req->login_method->login_id, key);
    case DVCID__REQUEST__BODY_LOGIN_VERIFY:
        return s_by_hex(req->login_verify->login_id, key);
    case DVCID__REQUEST__BODY_LOGIN_PHONE:
        return s_by_hex(req->login_phone->login_id, key);
    case DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY:
        return s_by_hex(req->login_phone_verify->login_id, key);
    case DVCID__REQUEST__BODY_RESET_RESEND:
        return s_by_hex(req->reset_resend->reset_id, key);
    case DVCID__REQUEST__BODY_RESET_VERIFY:
        return s_by_hex(req->reset_verify->reset_id, key);
    case DVCID__REQUEST__BODY_RESET_PASSWORD:
        return s_by_hex(req->reset_password->reset_id, key);
    case DVCID__REQUEST__BODY_UNLOCK_RESEND:
        return s_by_hex(req->unlock_resend->unlock_id, key);
    case DVCID__REQUEST__BODY_UNLOCK_VERIFY:
        return s_by_hex(req->unlock_verify->unlock_id, key);
    case DVCID__REQUEST__BODY_ME_GET:
        return s_by_token(req->me_get->token, key);
    case DVCID__REQUEST__BODY_ME_ADD_PHONE:
        return s_by_token(req->me_add_phone->token, key);
    case DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY:
        return s_by_token(req->me_add_phone_verify->token, key);
    case DVCID__REQUEST__BODY_LOGOUT:
        return s_by_token(req->logout->token, key);
    default:
        return CMN_SHARD_ANY;
    }
}
