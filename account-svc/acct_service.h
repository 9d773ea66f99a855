/* acct_service: account-svc: accounts, registration flows and captchas; the owner
 * of every /v1/registrations step. It asks otp-svc for codes. */
#ifndef ACCT_SERVICE_H
#define ACCT_SERVICE_H

#include <stddef.h>

#include "cmn_config.h"
#include "cmn_db.h"

typedef struct acct_service acct_service_t;

/* Opens storage.dir/account, its keys, its socket, its peer otp-svc and its
 * argon2 pool. NULL on failure (logged). */
acct_service_t *acct_service_new(const cmn_config_t *cfg);
void acct_service_destroy(acct_service_t **self_p);

/* The data directory of shard (storage.dir/account, or account-S when [account]
 * endpoint names several shards), created if missing. Returns 0 or -1 (printed). */
int acct_service_data_dir(const cmn_config_t *cfg, int shard, char *out, size_t outlen);

/* Opens the LMDB environment of shard with account-svc's databases (ACCT_DB_* of
 * acct_state.h), as account-svc does: for tools that write it (dvcctl import). NULL on
 * failure (logged). */
cmn_db_t *acct_service_db_open(const cmn_config_t *cfg, int shard);

/* Serves until SIGTERM. Returns 0 or -1. */
int acct_service_run(acct_service_t *self);

#endif
