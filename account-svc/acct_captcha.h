/* acct_captcha: image captchas (mã xác thực). account-svc owns their state, so any
 * number of gateways can serve them: a captcha is an id, a keyed hash of its answer
 * and an expiry; it is single use (a wrong answer spends it too). The gateway draws
 * the image from the answer it is handed once. */
#ifndef ACCT_CAPTCHA_H
#define ACCT_CAPTCHA_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_config.h"
#include "cmn_id.h"

#define ACCT_CAPTCHA_LEN 5

typedef struct {
    const cmn_config_t *cfg;
    const uint8_t *key; /* CMN_KEY_BYTES */
    MDB_dbi dbi;
} acct_captcha_t;

/* Creates a captcha whose id carries shard_key (cmn_shard); writes its hex id and
 * answer (ACCT_CAPTCHA_LEN + 1 bytes). 0 or -1. */
int acct_captcha_issue(const acct_captcha_t *c, MDB_txn *txn, uint64_t now, uint16_t shard_key,
                       char id[CMN_ID_HEX], char answer[ACCT_CAPTCHA_LEN + 1]);

/* Checks and spends a captcha. Returns 0 when the answer is right, 1 when wrong,
 * unknown or expired, -1 on a storage error. With captcha.test_answer set, that
 * answer passes for any id. */
int acct_captcha_consume(const acct_captcha_t *c, MDB_txn *txn, uint64_t now, const char *id,
                         const char *answer);

/* Deletes expired captchas. Returns how many, or -1. */
int acct_captcha_sweep(const acct_captcha_t *c, MDB_txn *txn, uint64_t now,
                       cmn_db_sweep_pos_t *pos);

#endif
