/* acct_session: sign-in sessions. A token is 32 bytes shown once (base64url): the
 * account's 16-bit shard key (cmn_shard), so any gateway routes it, then 240 random bits;
 * only its BLAKE2b hash is stored, as the key of the session record. A session lives
 * until it expires, its user logs out, or the account's session_gen moves on (phone
 * change, password reset end every session at once). Private to account-svc. */
#ifndef ACCT_SESSION_H
#define ACCT_SESSION_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_crypto.h"
#include "proto/store.pb-c.h"

#define ACCT_TOKEN_MAX 64

/* Creates a session for id_number at generation gen; writes its token. 0 or -1. */
int acct_session_start(MDB_txn *txn, MDB_dbi dbi, const char *id_number, uint32_t gen, uint64_t now,
                       uint32_t ttl_s, char token[ACCT_TOKEN_MAX]);

/* The storage key of a token. */
void acct_session_key(const char *token, uint8_t key[CMN_HASH_BYTES]);

/* Finds a live session and its account. Returns 0 (*sess and *acc owned by the
 * caller), 1 when the token opens nothing (unknown, expired, ended), -1 on error. */
int acct_session_find(MDB_txn *txn, MDB_dbi sessions, MDB_dbi accounts, const char *token,
                      uint64_t now, uint8_t key[CMN_HASH_BYTES], Dvcid__Store__Session **sess,
                      Dvcid__Store__Account **acc);

/* The same for a session's storage key (a step that waited on the hashing pool). */
int acct_session_find_key(MDB_txn *txn, MDB_dbi sessions, MDB_dbi accounts,
                          const uint8_t key[CMN_HASH_BYTES], uint64_t now,
                          Dvcid__Store__Session **sess, Dvcid__Store__Account **acc);

int acct_session_save(MDB_txn *txn, MDB_dbi dbi, const uint8_t key[CMN_HASH_BYTES],
                      const Dvcid__Store__Session *sess);
/* Ends a session. Returns 0 or -1. */
int acct_session_del(MDB_txn *txn, MDB_dbi dbi, const uint8_t key[CMN_HASH_BYTES]);

/* Deletes expired sessions. Returns how many, or -1. */
int acct_session_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
