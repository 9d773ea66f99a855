/* acct_phone_change: the lost-phone change of the OTP phone (flows.md section 3) treated
 * as a new authenticator (issue 17 part 3). Someone who knows only the password can
 * name a new phone and prove it; so before the change takes effect every phone of the
 * account gets a notice, and with account.phone_change_cooling_off > 0 the change waits
 * that long: a sign-in with a code to one of the account's phones in the meantime (the
 * owner, who still has the phone) cancels it. When it takes effect the new phone
 * becomes the primary one, the old primary leaves the account and every session ends.
 * A pending change is kept in the account (pending_phone, pending_due_ms) and in the
 * table phone_changes under its due time (8 bytes big-endian) and ID number, which a
 * timer walks in order. Private to account-svc. */
#ifndef ACCT_PHONE_CHANGE_H
#define ACCT_PHONE_CHANGE_H

#include <stdint.h>

#include "cmn_service.h"
#include "proto/store.pb-c.h"

/* The change of id_number's OTP phone to phone (E.164), whose code was verified: the
 * notices go out, then the change is made now (*effective_in = 0) or waits its
 * cooling-off (*effective_in seconds; a pending change before it is replaced).
 * Returns 0, 1 when the account is gone, -1 on a storage error. */
int acct_phone_change_start(cmn_ctx_t *ctx, const char *trace, const char *id_number,
                            const char *phone, uint32_t *effective_in);

/* A sign-in of acc verified by a code to phone: if phone is one of the account's and a
 * change is pending, it is cancelled (acc is saved without it). 0 or -1. */
int acct_phone_change_cancel(cmn_ctx_t *ctx, const char *trace, const char *id_number,
                             Dvcid__Store__Account *acc, const char *phone);

/* Makes the pending changes whose cooling-off is over, a slice per call (a timer).
 * Returns how many, or -1. */
int acct_phone_change_due(cmn_ctx_t *ctx);

/* The ID number's part of a phone_changes key (for shard placement): its length, and
 * where it starts in *at; 0 when the key is malformed. */
size_t acct_phone_change_key_id(const void *key, size_t klen, const char **at);

#endif
