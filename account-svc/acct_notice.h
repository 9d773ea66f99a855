/* acct_notice: SMS notices (to every phone of an account after a phone change, an added
 * phone or a password reset) on a cmn_outbox: the
 * notice is written in the same transaction as the change it reports, then handed
 * to otp-svc (OtpNotice, idempotent by message id) until otp-svc acknowledges it, so
 * a crash or an otp-svc restart never loses one. Private to account-svc. */
#ifndef ACCT_NOTICE_H
#define ACCT_NOTICE_H

#include <stddef.h>

#include "cmn_outbox.h"
#include "cmn_service.h"
#include "proto/store.pb-c.h"

/* The notices' outbox: a cmn_outbox with the notices' own message and answers. */
typedef cmn_outbox_t acct_notice_t;

acct_notice_t *acct_notice_new(MDB_dbi dbi, int otp_peer);
void acct_notice_destroy(acct_notice_t **self_p);

/* Queues a notice to phone in ctx->txn, in lang ("vi", "en", "": Vietnamese), and
 * stages its delivery; its id carries the shard key of id_number, the account it is
 * about. 0 or -1. */
int acct_notice_put(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace, const char *id_number,
                    const char *phone, const char *lang);

/* Queues a notice to every phone of acc but except (NULL: none), as acct_notice_put, in
 * the account's language. 0 or -1. */
int acct_notice_put_all(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace,
                        const char *id_number, const Dvcid__Store__Account *acc,
                        const char *except);

/* Sends again every notice neither acknowledged nor in flight (a timer). 0 or -1. */
int acct_notice_retry(acct_notice_t *self, cmn_ctx_t *ctx);

#endif
