/* acct_flow: registration, sign-in, password-reset, add-phone and unlock flows: small state
 * machines kept in account-svc's LMDB under their 16-byte id, expiring after
 * account.flow_ttl (a registration: account.registration_ttl; personal data is kept no
 * longer than the flow). Private to account-svc. */
#ifndef ACCT_FLOW_H
#define ACCT_FLOW_H

#include <lmdb.h>
#include <stdint.h>

#include "cmn_db.h"

#include "cmn_id.h"
#include "proto/store.pb-c.h"

typedef enum {
    ACCT_FLOW_LOGIN = 1,
    ACCT_FLOW_RESET = 2,
    ACCT_FLOW_ADD_PHONE = 3,
    ACCT_FLOW_UNLOCK = 4,  /* unlock with your phone (acct_unlock.c) */
    ACCT_FLOW_REGISTER = 5 /* a registration (acct_register.c): Flow.person is who registers */
} acct_flow_kind_t;

typedef enum {
    ACCT_FLOW_OTP_PENDING = 1,   /* a code went out; waiting for it */
    ACCT_FLOW_PHONE_PENDING = 2, /* sign-in: lost phone, a code went to the new phone */
    ACCT_FLOW_OTP_VERIFIED = 3,  /* register, reset: the code was right; waiting for the password */
} acct_flow_state_t;

/* Loads a live flow of this kind by its hex id. Returns 0 (*out owned: free with
 * acct_flow_free; id filled), 1 when unknown, expired, of another kind or malformed,
 * -1 on error. */
int acct_flow_load(MDB_txn *txn, MDB_dbi dbi, const char *hex, acct_flow_kind_t kind, uint64_t now,
                   uint8_t id[CMN_ID_BYTES], Dvcid__Store__Flow **out);
int acct_flow_load_id(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES],
                      acct_flow_kind_t kind, uint64_t now, Dvcid__Store__Flow **out);
void acct_flow_free(Dvcid__Store__Flow **flow);

int acct_flow_save(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES],
                   const Dvcid__Store__Flow *flow);
int acct_flow_del(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES]);

/* Deletes expired flows. Returns how many, or -1. */
int acct_flow_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos);

#endif
