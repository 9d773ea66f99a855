/* gw_fanout: one request asked of every account shard (metrics: of every instance of
 * every shard), the answers merged into one reply: readiness (ready when every shard
 * is), metrics (every text, and who answered) and
 * the signing keys (the union of every shard's JWKS, by kid). A shard's error makes
 * the merged reply that error, except for readiness (not ready) and metrics (that
 * shard's part is missing). Lives on the bridge's loop thread only. */
#ifndef GW_FANOUT_H
#define GW_FANOUT_H

#include "cmn_service.h"

typedef struct gw_fanout gw_fanout_t;

/* A fan-out of n answers to a request of body case body; done(ctx, merged, arg) runs
 * once, with the last answer, and the fan-out frees itself. NULL on out-of-memory. */
gw_fanout_t *gw_fanout_start(Dvcid__Request__BodyCase body, int n, cmn_reply_fn *done, void *arg);

/* The continuation to give every ask (arg: the fan-out). */
int gw_fanout_on_reply(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg);

#endif
