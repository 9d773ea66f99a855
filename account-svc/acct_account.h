/* acct_account: accounts at rest, keyed by ID number, and edits of their phone list.
 * Private to account-svc. */
#ifndef ACCT_ACCOUNT_H
#define ACCT_ACCOUNT_H

#include <lmdb.h>

#include "proto/store.pb-c.h"

/* Loads an account. Returns 0 (*out owned by the caller: acct_account_free), 1 when
 * there is none, -1 on a storage error. */
int acct_account_load(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                      Dvcid__Store__Account **out);
void acct_account_free(Dvcid__Store__Account **acc);

/* Writes an account (overwriting). Returns 0 or -1. */
int acct_account_save(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                      const Dvcid__Store__Account *acc);

/* Creates the account of a finished registration (or of a bulk import: dvcctl import):
 * a new opaque account id, e164 its only (primary) phone, password_hash a
 * crypto_pwhash_str string, created now. An existing account is left as it is.
 * Returns CMN_DB_OK, CMN_DB_EXISTS or CMN_DB_ERROR. */
int acct_account_create(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *full_name,
                        const char *date_of_birth, const char *email, const char *e164,
                        const char *password_hash, uint64_t now);
/* The same record, put with how (cmn_db's CMN_DB_NOOVER, or | CMN_DB_APPEND for a bulk
 * load in key order: dvcctl import). */
int acct_account_create_put(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *full_name,
                            const char *date_of_birth, const char *email, const char *e164,
                            const char *password_hash, uint64_t now, int how);

/* Sets the language of the account's notices (acct_notice) to lang, the one its owner
 * last chose ("vi" or "en"; "" leaves it as it is). Returns 0, 1 when there is no
 * account, -1 on a storage error. */
int acct_account_set_lang(MDB_txn *txn, MDB_dbi dbi, const char *id_number, const char *lang);

/* The primary OTP phone (E.164), or NULL. */
const char *acct_account_primary(const Dvcid__Store__Account *acc);

/* Index of phone in the account's list, or -1. */
int acct_account_phone_index(const Dvcid__Store__Account *acc, const char *e164);

/* Writes acc with phone added (primary: it becomes the only primary one, and the
 * old primary is removed: the lost-phone case). Returns 0 or -1. */
int acct_account_save_with_phone(MDB_txn *txn, MDB_dbi dbi, const char *id_number,
                                 Dvcid__Store__Account *acc, const char *e164, int primary,
                                 uint64_t now);

#endif
