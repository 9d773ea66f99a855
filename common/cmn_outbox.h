/* cmn_outbox: a durable outbox in LMDB, for messages a service owes a peer. An entry
 * is written in the same transaction as the change it reports (so both commit or
 * neither does), asked of the peer once that transaction commits (cmn_service_ask
 * stages it: an item or batch that is undone sends nothing), and deleted when the
 * peer acknowledges it; an entry not acknowledged is asked again by
 * cmn_outbox_retry (a timer), so a crash or a peer's restart never loses one. The
 * peer drops repeats by the message's own id. Used by account-svc's notices
 * (acct_notice) and otp-svc's SMS jobs (otp_outbox).
 *
 * Keys are strings (at most CMN_OUTBOX_KEY_MAX - 1 bytes); which keys are in flight
 * lives in memory only, so after a restart every stored entry is simply asked again.
 * What an entry's value holds and which request carries it are the owner's: the
 * outbox stores bytes and sends requests.
 *
 * A peer that answers UNAVAILABLE or INTERNAL (it cannot store: a full map) is not
 * asked every entry every retry: entries wait on disk, and a retry sends one of them
 * (a probe) after 1 s, then 2, 4 and 8 s while probes are refused; the first entry the
 * peer acknowledges ends it, and the next retry sends the rest. */
#ifndef CMN_OUTBOX_H
#define CMN_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "cmn_service.h"

typedef struct cmn_outbox cmn_outbox_t;

#define CMN_OUTBOX_KEY_MAX 64

/* What an answer means for the entry it acknowledges: delete it, or keep it for the
 * next retry. */
enum { CMN_OUTBOX_KEEP = 0, CMN_OUTBOX_DONE = 1 };

/* Sends the stored entry key (value val, in ctx->txn) again, with cmn_outbox_send or
 * cmn_outbox_send_packed, or leaves it for a later retry (too young, say). now is the
 * time of this retry. Returns 0, or -1 for an error that ends the retry. */
typedef int(cmn_outbox_again_fn)(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *key,
                                 const MDB_val *val, uint64_t now, void *arg);

/* Whether the peer's answer acknowledges entry key (at_ms as given to the send):
 * CMN_OUTBOX_DONE or CMN_OUTBOX_KEEP. An answer STATUS_INVALID_REQUEST is never asked
 * about: the peer will never take that entry, so it is dropped (logged). */
typedef int(cmn_outbox_acked_fn)(cmn_outbox_t *self, cmn_ctx_t *ctx, const Dvcid__Reply *reply,
                                 const char *key, uint64_t at_ms, void *arg);

typedef struct {
    const char *name;      /* what an entry is, for logs: "notice", "sms job" */
    const char *peer_name; /* who takes them, for logs: "otp-svc" */
    MDB_dbi dbi;           /* the outbox's own database: every key in it is an entry */
    int peer;              /* cmn_service peer index */
    uint64_t ack_ms;       /* how long an ask waits for its answer */
    int retry_max;         /* entries a retry sends at most */
    cmn_outbox_again_fn *again;
    cmn_outbox_acked_fn *acked; /* NULL: any answer without an error acknowledges */
    void *arg;                  /* given to again and acked; the caller's */
} cmn_outbox_opts_t;

/* Copies opts (its strings and arg stay the caller's and must outlive the outbox).
 * NULL when out of memory. */
cmn_outbox_t *cmn_outbox_new(const cmn_outbox_opts_t *opts);
/* Frees; nullifies *self_p. Tolerates NULL. Asks still in flight must not outlive it. */
void cmn_outbox_destroy(cmn_outbox_t **self_p);

/* Writes entry key = val (vlen bytes) in ctx->txn; noover is 0 (an existing key is
 * overwritten) or CMN_DB_NOOVER (an existing key is kept as it is). The caller then sends
 * it (below): the ask leaves only if this transaction commits. Returns 0; 1 when noover
 * kept an entry already there (nothing written); -1 when the write failed (logged and
 * counted by cmn_db: the caller sends nothing and fails its item). */
int cmn_outbox_put(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *key, const void *val,
                   size_t vlen, int noover);
/* The same for a protobuf-c message, packed straight into the page. */
int cmn_outbox_put_msg(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *key,
                       const void *msg /* ProtobufCMessage */, int noover);

/* Stages req for the stored entry key and marks key in flight until the answer (or
 * ack_ms) comes; at_ms is the owner's, given back to acked. req stays the caller's
 * (packed here). Out of memory leaves the entry for the next retry (logged). */
void cmn_outbox_send(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                     Dvcid__Request *req, uint64_t at_ms);

/* As cmn_outbox_send, for a request whose body (the oneof case body) is already packed:
 * the len bytes of packed go out as they are, never unpacked and packed again. packed
 * stays the caller's (wipe it after, if it is secret). */
void cmn_outbox_send_packed(cmn_outbox_t *self, cmn_ctx_t *ctx, const char *trace, const char *key,
                            Dvcid__Request__BodyCase body, const uint8_t *packed, size_t len,
                            uint64_t at_ms);

/* Calls again for every stored entry not in flight, in key order, retry_max at the most.
 * Returns 0, or -1 on a storage error or an error of again. */
int cmn_outbox_retry(cmn_outbox_t *self, cmn_ctx_t *ctx);

/* 1 while the peer refuses entries (above), else 0. */
int cmn_outbox_refused(const cmn_outbox_t *self);

/* Entries asked and not yet answered (status, metrics). */
size_t cmn_outbox_in_flight(const cmn_outbox_t *self);

/* The peer index it asks, and the owner's arg of its opts. */
int cmn_outbox_peer(const cmn_outbox_t *self);
void *cmn_outbox_arg(const cmn_outbox_t *self);

#endif
