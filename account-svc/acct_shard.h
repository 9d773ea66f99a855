/* acct_shard: account-svc as one shard among several (cmn_shard). A shard refuses
 * a request whose key it does not own (a gateway with a stale shard map), and reports
 * and prunes the records it holds but no longer owns after a split (docs/SHARDING.md);
 * captchas that cross shards are acct_captcha_gate's. With one shard all of it is a
 * no-op. Private to account-svc. */
#ifndef ACCT_SHARD_H
#define ACCT_SHARD_H

#include "acct_step.h"
#include "cmn_service.h"

/* The admit check (cmn_service_opts_t.admit). */
int acct_shard_admit(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Request *req);

/* Handlers: ShardStats, ShardPrune (dvcctl). */
int acct_shard_stats(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);
int acct_shard_prune(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

#endif
