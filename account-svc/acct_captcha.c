/* acct_captcha: answers from an alphabet without look-alikes (no I, O, 0, 1). */
#include "acct_captcha.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "cmn_crypto.h"
#include "cmn_db.h"
#include "cmn_shard.h"
#include "proto/store.pb-c.h"

static const char s_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

static void s_hash(const acct_captcha_t *c, const uint8_t *id, const char *answer,
                   uint8_t out[CMN_HASH_BYTES]) {
    char up[32];
    size_t n = strlen(answer);
    if (n >= sizeof(up))
        n = sizeof(up) - 1;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)toupper((unsigned char)answer[i]);
    up[n] = '\0';
    const void *parts[] = {id, up};
    size_t lens[] = {CMN_ID_BYTES, n};
    cmn_hash_keyed(c->key, parts, lens, 2, out);
}

int acct_captcha_issue(const acct_captcha_t *c, MDB_txn *txn, uint64_t now, uint16_t shard_key,
                       char id[CMN_ID_HEX], char answer[ACCT_CAPTCHA_LEN + 1]) {
    uint8_t idb[CMN_ID_BYTES], hash[CMN_HASH_BYTES];
    cmn_shard_id_make(idb, shard_key);
    cmn_id_to_hex(idb, id);
    for (int i = 0; i < ACCT_CAPTCHA_LEN; i++)
        answer[i] = s_alphabet[randombytes_uniform(sizeof(s_alphabet) - 1)];
    answer[ACCT_CAPTCHA_LEN] = '\0';
    s_hash(c, idb, answer, hash);
    Dvcid__Store__Captcha rec = DVCID__STORE__CAPTCHA__INIT;
    rec.answer_hash.data = hash;
    rec.answer_hash.len = sizeof(hash);
    rec.expires_ms = now + (uint64_t)c->cfg->captcha_ttl * 1000u;
    return cmn_db_put_msg(txn, c->dbi, idb, sizeof(idb), &rec, 1) == CMN_DB_OK ? 0 : -1;
}

int acct_captcha_consume(const acct_captcha_t *c, MDB_txn *txn, uint64_t now, const char *id,
                         const char *answer) {
    uint8_t idb[CMN_ID_BYTES];
    int known = id && cmn_id_from_hex(id, idb);
    int pass = 0;
    if (known) {
        MDB_val v;
        int rc = cmn_db_get(txn, c->dbi, idb, sizeof(idb), &v);
        if (rc == CMN_DB_ERROR)
            return -1;
        if (rc == CMN_DB_OK) {
            Dvcid__Store__Captcha *rec = dvcid__store__captcha__unpack(NULL, v.mv_size, v.mv_data);
            if (rec && rec->expires_ms > now && rec->answer_hash.len == CMN_HASH_BYTES) {
                uint8_t hash[CMN_HASH_BYTES];
                s_hash(c, idb, answer, hash);
                pass = cmn_hash_equal(hash, rec->answer_hash.data);
            }
            if (rec)
                dvcid__store__captcha__free_unpacked(rec, NULL);
            if (cmn_db_del(txn, c->dbi, idb, sizeof(idb)) == CMN_DB_ERROR)
                return -1;
        }
    }
    const char *test = c->cfg->captcha_test_answer;
    if (!pass && test[0] && strcasecmp(answer, test) == 0)
        pass = 1;
    return pass ? 0 : 1;
}

static int s_captcha_expired(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    Dvcid__Store__Captcha *rec = dvcid__store__captcha__unpack(NULL, v->mv_size, v->mv_data);
    int old = !rec || rec->expires_ms <= now;
    if (rec)
        dvcid__store__captcha__free_unpacked(rec, NULL);
    return old;
}

int acct_captcha_sweep(const acct_captcha_t *c, MDB_txn *txn, uint64_t now,
                       cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, c->dbi, now, s_captcha_expired, NULL, pos);
}
