/* acct_captcha_gate: checking and spending the captcha of a flow's start, on this
 * shard or on the sibling shard that made it (acct_captcha holds the records). With
 * one shard every captcha is this shard's. Private to account-svc. */
#ifndef ACCT_CAPTCHA_GATE_H
#define ACCT_CAPTCHA_GATE_H

#include "acct_step.h"
#include "cmn_service.h"

/* The end of every start's validation: adds "required" for a missing captcha id or
 * answer to d and answers validation_failed when d holds anything. Otherwise checks
 * and spends the captcha (id, answer), on this shard or on the shard that made it,
 * then runs next(ctx, call, request) (now, or in a later batch). A wrong, unknown or
 * spent captcha is answered captcha_invalid. */
int acct_captcha_gate(cmn_ctx_t *ctx, cmn_call_t *call, acct_details_t *d, const char *id,
                      const char *answer, cmn_handler_fn *next);

/* Handler: CaptchaCheck, a sibling shard spending a captcha this shard made. */
int acct_captcha_check(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req);

#endif
