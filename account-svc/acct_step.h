/* acct_step: what a handler keeps while it waits for otp-svc or the hashing pool:
 * the call to answer, the flow it is about, and the job or session it needs next.
 * Plus the reply helpers every flow uses. Private to account-svc. */
#ifndef ACCT_STEP_H
#define ACCT_STEP_H

#include <lmdb.h>

#include "acct_flow.h"
#include "acct_password.h"
#include "cmn_crypto.h"
#include "cmn_id.h"
#include "cmn_service.h"

typedef struct {
    cmn_call_t *call;
    uint8_t id[CMN_ID_BYTES]; /* the flow */
    char hex[CMN_ID_HEX];
    acct_password_job_t *job;
    char id_number[16];
    char phone[16];                  /* E.164 */
    uint8_t session[CMN_HASH_BYTES]; /* the session's key, for /v1/me steps */
    int has_account;
    char lang[4];           /* the flow's language (Flow.lang): what an ask naming none carries */
    acct_flow_kind_t kind;  /* the flow's kind, when it was loaded (acct_step_for_flow) */
    cmn_reply_fn *verified; /* acct_step_verify's continuation, after the wrong-code count */
} acct_step_t;

/* Takes call; id may be NULL: a new flow id is made, carrying the shard key of
 * id_number (cmn_shard) so later steps route to this shard, and the step is about
 * id_number. NULL on out-of-memory, and then call is still the caller's. */
acct_step_t *acct_step_new(cmn_call_t *call, const uint8_t *id, const char *id_number);

/* Frees the step, its call (unanswered) and its job. Nullifies *self_p. */
void acct_step_destroy(acct_step_t **self_p);

/* The bit of a flow state in a set of acceptable states. */
#define ACCT_STATE_BIT(state) (1u << (state))

/* Loads the flow of this kind that hex names; its state must be in states (a set of
 * ACCT_STATE_BIT). Otherwise answers the call itself (404 unknown or expired, 409
 * another state, 500) and returns NULL, with *rc -1 after a storage error, else 0.
 * On success returns a step that owns call, with lang set, id_number set (but for a
 * registration: no account yet) and has_account = !decoy; *flow (when flow is not NULL) receives
 * the flow, owned by the caller. */
acct_step_t *acct_step_for_flow(cmn_ctx_t *ctx, cmn_call_t *call, const char *hex,
                                acct_flow_kind_t kind, unsigned states, Dvcid__Store__Flow **flow,
                                int *rc);

/* Loads the step's flow again for a continuation (its kind s->kind), in one of states:
 * 0 with *flow (the caller's), else the call is answered (404: gone, expired or moved on
 * by a twin request; 500) and s destroyed, and then 1, or -1 after a storage error. */
int acct_step_reload(cmn_ctx_t *ctx, acct_step_t **s, unsigned states, Dvcid__Store__Flow **flow);

/* The continuation of a verified code (cmn_reply_fn, arg a step of acct_step_for_flow)
 * where a password comes next (registration, reset): the flow, still waiting for its code
 * or verified by a twin request, is ACCT_FLOW_OTP_VERIFIED and the answer {state:
 * "otp_verified"}. */
int acct_step_verified(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg);

/* Saves the step's new flow of this kind for s->id_number, waiting for its first code
 * (ACCT_FLOW_OTP_PENDING), in the call's language, expiring after account.flow_ttl;
 * phone and new_phone may be NULL. Returns 0 or -1. */
int acct_step_flow_begin(cmn_ctx_t *ctx, const acct_step_t *s, acct_flow_kind_t kind,
                         const char *phone, const char *new_phone, int decoy);

/* The user's language a request carries (the gateway's Request.lang): "vi", "en", or
 * "" when it carries none (anything else reads as none). */
const char *acct_step_lang(const cmn_call_t *call);

/* Fills what an ask to otp-svc carries of call: the client address (send limits per IP
 * live in otp-svc) and the language of the SMS, the call's or else fallback (NULL:
 * none, Vietnamese). */
void acct_step_envelope(Dvcid__Request *ask, const cmn_call_t *call, const char *fallback_lang);

/* Asks otp-svc about the step's flow (s->id); fn(s) runs with the reply, in a later
 * batch, with the call's trace, client IP and deadline carried along. */
void acct_step_issue(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                     const char *phone, int silent, cmn_reply_fn *fn);
void acct_step_resend(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                      const char *phone, cmn_reply_fn *fn);

/* Asks otp-svc to check a code of the step's flow, unless the account of s->id_number is
 * over its wrong-code limit (acct_limits: then 429, s destroyed). A wrong code is counted
 * against the account and answered here, and so is every other refusal; fn runs only
 * with a verified code (Reply.otp_verified). A step with no id_number (a registration:
 * no account yet) counts nothing. Returns 0, or -1 after a storage error (answered). */
int acct_step_verify(cmn_ctx_t *ctx, int peer, acct_step_t *s, Dvcid__Purpose purpose,
                     const char *code, cmn_reply_fn *fn);

/* Finishes a step with this answer (the step is destroyed); returns 0. */
int acct_step_reply(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Reply *reply);

/* Finishes a step with {state}; returns 0. */
int acct_step_state(cmn_ctx_t *ctx, acct_step_t **s, const char *state);

/* Finishes a step with {otp} from otp-svc's reply; returns 0. */
int acct_step_otp(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *from);

/* Finishes a step with an error status (the step is destroyed); returns rc. */
int acct_step_fail(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Status status, int rc);

/* Finishes a step with an error status and its retry_after (seconds); returns 0. */
int acct_step_retry(cmn_ctx_t *ctx, acct_step_t **s, Dvcid__Status status, uint32_t retry);

/* Finishes a step whose record did not load (rc of a loader: 1 gone, 404; -1 a storage
 * error, 500). Returns 0 for a gone record, else -1. */
int acct_step_fail_load(cmn_ctx_t *ctx, acct_step_t **s, int rc);

/* The continuation of a resend (cmn_reply_fn, arg a step): otp-svc's answer, {otp} or its
 * refusal, goes back as it is; nothing is written, so it leaves before the commit. */
int acct_step_sent(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg);

/* Finishes a step with the error of a peer's reply. Returns 0. */
int acct_step_forward(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply);

/* The same when nothing else was done in this item (a wrong code): the answer need not
 * wait for the batch's commit. */
int acct_step_forward_early(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply);

/* A first code that did not go out (otp-svc's error in reply): the step's flow goes from
 * flows and the error is the answer. Returns 0, or -1 after a storage error. */
int acct_step_unissued(cmn_ctx_t *ctx, acct_step_t **s, const Dvcid__Reply *reply);

/* Runs the step's password job (s->job) on the hashing pool; done(ctx, s) runs with it
 * in a later batch. Returns 0, or -1 when there is no job or the pool refuses it (the
 * queue is full): the step is then still the caller's. */
int acct_step_offload(cmn_ctx_t *ctx, acct_step_t *s, cmn_done_fn *done);

/* Checks a password against hash for the step on the pool with today's argon2id
 * parameters (a hash of older ones is rehashed); done(ctx, s) runs with the verdict in a
 * later batch. When the hashing queue is full the call is answered 503 at once and s
 * destroyed. Returns 0. */
int acct_step_check(cmn_ctx_t *ctx, acct_step_t *s, const char *password, const char *hash,
                    cmn_done_fn *done);

/* Hashes a new password for the step on the pool with today's argon2id parameters;
 * done(ctx, s) runs with the hash in a later batch. When the hashing queue is full the
 * call is answered 503 at once (rather than late) and s destroyed. Returns 0. */
int acct_step_hash(cmn_ctx_t *ctx, acct_step_t *s, const char *password, cmn_done_fn *done);

/* Records the argon2id time of the step's finished password job. */
void acct_step_count_hash(cmn_ctx_t *ctx, const acct_step_t *s);

/* Up to 12 field errors for one validation_failed answer. */
#define ACCT_MAX_DETAILS 12
typedef struct {
    Dvcid__FieldError items[ACCT_MAX_DETAILS];
    Dvcid__FieldError *ptrs[ACCT_MAX_DETAILS];
    size_t n;
} acct_details_t;

/* Adds {field, code} unless code is NULL (a validator's "valid"). */
void acct_details_add(acct_details_t *d, const char *field, const char *code);

/* Adds the password rule's failures (field "password", or "password_confirm" for a
 * mismatch). Returns how many. */
int acct_details_password(acct_details_t *d, const char *password, const char *confirm);

/* Answers validation_failed with the details. */
void acct_reply_details(cmn_ctx_t *ctx, cmn_call_t **call, acct_details_t *d);

/* Answers an error status with a retry_after. */
void acct_reply_retry(cmn_ctx_t *ctx, cmn_call_t **call, Dvcid__Status status, uint32_t retry);

/* Answers {otp} from otp-svc's reply. */
void acct_reply_otp(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__Reply *from);

/* Answers {otp} with this otp object. */
void acct_reply_otp_info(cmn_ctx_t *ctx, cmn_call_t **call, const Dvcid__OtpInfo *otp);

/* Answers {state}. */
void acct_reply_state(cmn_ctx_t *ctx, cmn_call_t **call, const char *state);

/* Is from an otp-svc reply carrying an otp object? */
int acct_reply_is_otp(const Dvcid__Reply *from);

#endif
