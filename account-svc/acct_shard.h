/* acct_shard: account-svc as one shard among several (cmn_shard). A shard refuses
 * a request whose key it does not own (a gateway with a stale shard map), checks a
 * captcha made by another shard by asking that shard, and reports and prunes the
 * records it holds but no longer owns after a split (docs/SHARDING.md). With one
 * shard all of it is a no-op. Private to account-svc. */
#ifndef ACCT_SHARD_H
#define ACCT_SHARD_H

#include "acct_step.h"
#include "cmn_service.h"

/* The admit check (cmn_service_opts_t.admit). */
int acct_shard_admit(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Request *req);

/* The end of every start's validation: adds "required" for a missing captcha id or
 * answer to d and answers validation_failed when d holds anything. Otherwise checks
 * and spends the captcha (id, answer), on this shard or on the shard that made it,
 * then runs next(ctx, call, request) (now, or in a later batch). A wrong, unknown or
 * spent captcha is answered captcha_invalid. */
int acct_captcha_gate(cmn_ctx_t *ctx, cmn_call_t *call, acct_details_t *d, const char *id,
                      const char *answer, cmn_handler_fn *next);

/* Handlers: CaptchaCheck (from a sibling shard), ShardStats, ShardPrune (dvcctl). */
int acct_shard_captcha_check(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_shard_stats(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_shard_prune(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

#endif
