/* acct_session: session records keyed by the hash of their token. */
#include "acct_session.h"

#include <sodium.h>
#include <string.h>

#include "acct_account.h"
#include "cmn_db.h"
#include "cmn_shard.h"

void acct_session_key(const char *token, uint8_t key[CMN_HASH_BYTES]) {
    crypto_generichash(key, CMN_HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

int acct_session_start(MDB_txn *txn, MDB_dbi dbi, const char *id_number, uint32_t gen, uint64_t now,
                       uint32_t ttl_s, char token[ACCT_TOKEN_MAX]) {
    uint8_t raw[32], key[CMN_HASH_BYTES];
    randombytes_buf(raw, sizeof(raw));
    /* The first two bytes are the shard key (cmn_shard): 240 random bits remain. */
    uint16_t shard_key = cmn_shard_key_of_id_number(id_number);
    raw[0] = (uint8_t)(shard_key >> 8);
    raw[1] = (uint8_t)(shard_key & 0xff);
    sodium_bin2base64(token, ACCT_TOKEN_MAX, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    cmn_wipe(raw, sizeof(raw));
    acct_session_key(token, key);
    Dvcid__Store__Session s = DVCID__STORE__SESSION__INIT;
    s.id_number = (char *)id_number;
    s.gen = gen;
    s.created_ms = now;
    s.expires_ms = now + (uint64_t)ttl_s * 1000u;
    return cmn_db_put_msg(txn, dbi, key, sizeof(key), &s, 1) == CMN_DB_OK ? 0 : -1;
}

int acct_session_find(MDB_txn *txn, MDB_dbi sessions, MDB_dbi accounts, const char *token,
                      uint64_t now, uint8_t key[CMN_HASH_BYTES], Dvcid__Store__Session **sess,
                      Dvcid__Store__Account **acc) {
    *sess = NULL;
    *acc = NULL;
    size_t len = strlen(token);
    if (len < 32 || len >= ACCT_TOKEN_MAX)
        return 1;
    acct_session_key(token, key);
    return acct_session_find_key(txn, sessions, accounts, key, now, sess, acc);
}

int acct_session_find_key(MDB_txn *txn, MDB_dbi sessions, MDB_dbi accounts,
                          const uint8_t key[CMN_HASH_BYTES], uint64_t now,
                          Dvcid__Store__Session **sess, Dvcid__Store__Account **acc) {
    *sess = NULL;
    *acc = NULL;
    MDB_val v;
    int rc = cmn_db_get(txn, sessions, key, CMN_HASH_BYTES, &v);
    if (rc == CMN_DB_NOTFOUND)
        return 1;
    if (rc != CMN_DB_OK)
        return -1;
    *sess = dvcid__store__session__unpack(NULL, v.mv_size, v.mv_data);
    if (!*sess)
        return -1;
    if ((*sess)->expires_ms > now) {
        rc = acct_account_load(txn, accounts, (*sess)->id_number, acc);
        if (rc < 0)
            goto fail;
        if (rc == 0 && (*acc)->session_gen == (*sess)->gen)
            return 0;
        acct_account_free(acc);
    }
    dvcid__store__session__free_unpacked(*sess, NULL);
    *sess = NULL;
    return 1;
fail:
    dvcid__store__session__free_unpacked(*sess, NULL);
    *sess = NULL;
    return -1;
}

int acct_session_save(MDB_txn *txn, MDB_dbi dbi, const uint8_t key[CMN_HASH_BYTES],
                      const Dvcid__Store__Session *sess) {
    return cmn_db_put_msg(txn, dbi, key, CMN_HASH_BYTES, sess, 0) == CMN_DB_OK ? 0 : -1;
}

int acct_session_del(MDB_txn *txn, MDB_dbi dbi, const uint8_t key[CMN_HASH_BYTES]) {
    return cmn_db_del(txn, dbi, key, CMN_HASH_BYTES) == CMN_DB_ERROR ? -1 : 0;
}

static int s_session_expired(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    Dvcid__Store__Session *s = dvcid__store__session__unpack(NULL, v->mv_size, v->mv_data);
    int old = !s || s->expires_ms <= now;
    if (s)
        dvcid__store__session__free_unpacked(s, NULL);
    return old;
}

int acct_session_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, dbi, now, s_session_expired, NULL, pos);
}
