/* sms_provider: what sms-worker hands messages to, one interface for every kind.
 *
 * The worker submit()s requests (sms_req_t) and gets exactly one outcome (sms_res_t) for
 * each, pushed to the `results` channel it gave the provider; delivery receipts come the
 * same way. LMDB stays on the loop thread: a message is marked sent only when its
 * SMS_RES_ACCEPTED outcome is handled in a batch, so a crash can repeat a message but
 * never lose one (at-least-once; the message_id is the idempotency key the far side may
 * use).
 *
 * - `http`, `smpp` run a thread each that owns their sockets (curl multi, the SMPP link)
 *   and many messages in flight; their requests wait in a queue (a channel whose eventfd
 *   the thread polls). The thread, the queue, submit, room and the stop with its grace
 *   are here, once; a kind gives its loop (ops.run) and what it owns.
 * - `file` (the sink of api.md section 4) has no thread: it takes each request into the
 *   delivery batch (ops.take) and at the batch's end (sms_provider_flush) writes and syncs
 *   the batch, then posts every outcome, before the transaction that marks them sent
 *   commits: the worker records outcomes posted by a flush in that same transaction. */
#ifndef SMS_PROVIDER_H
#define SMS_PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmn_chan.h"
#include "cmn_config.h"
#include "sms_queue.h"
#include "sms_settings.h"

#define SMS_REF_MAX 72   /* a provider's own id of a message (SMPP: up to 65) */
#define SMS_WHY_MAX 128  /* a reason for the log */
#define SMS_BODY_MAX 640 /* the longest text handed to a provider, UTF-8 bytes */

/* A request to a provider (malloc'd; sms_req_free wipes the text). */
typedef struct {
    char message_id[SMS_ID_MAX + 1];
    char to[20];
    char text[SMS_BODY_MAX];
    const char *purpose;   /* api.md name ("register", ..., "notice"): a static string */
    int prov;              /* the provider's index in the worker */
    uint64_t submitted_ms; /* unix ms */
} sms_req_t;

typedef enum {
    SMS_RES_ACCEPTED,  /* the provider took it: sent */
    SMS_RES_FAILED,    /* not taken, and it never left us (link down, refused at once) */
    SMS_RES_UNKNOWN,   /* it may have been taken (timeout, link lost before the answer) */
    SMS_RES_THROTTLED, /* the provider asked us to slow down: try again soon */
    SMS_RES_REJECTED,  /* refused for good (bad destination): dead letter */
    SMS_RES_RECEIPT    /* a delivery receipt, not an answer to a request */
} sms_res_kind_t;

typedef enum {
    SMS_DLR_NONE = 0,
    SMS_DLR_DELIVERED,
    SMS_DLR_FAILED, /* undeliverable, rejected, deleted */
    SMS_DLR_EXPIRED,
    SMS_DLR_ACCEPTED /* an intermediate report (queued, at the SMSC): no final state */
} sms_dlr_t;

typedef struct {
    sms_res_kind_t kind;
    int prov;
    char message_id[SMS_ID_MAX + 1]; /* ours; empty for an SMPP receipt (ref says) */
    char to[20];                     /* the request's number ("" for a receipt) */
    char ref[SMS_REF_MAX];           /* the provider's id, when it gave one */
    sms_dlr_t dlr;                   /* receipts */
    char why[SMS_WHY_MAX];           /* failures: for the log; never holds the text */
    uint64_t at_ms;
} sms_res_t;

typedef struct sms_provider sms_provider_t;

/* What a kind of provider does itself; every member may be NULL but free. */
typedef struct {
    /* The thread's loop: takes requests (sms_provider_next) until sms_provider_over says
     * it is done. Without it the provider has no thread (and no queue). */
    void (*run)(sms_provider_t *self);
    /* Breaks run's wait at a stop (NULL: a poke of the queue's fd does: run polls it). */
    void (*wake)(sms_provider_t *self);
    /* Takes req at once instead of queueing it (always; an outcome follows). */
    void (*take)(sms_provider_t *self, sms_req_t *req);
    /* Ends a delivery batch: outcomes of everything taken since the last one posted. */
    void (*flush)(sms_provider_t *self);
    /* Frees the kind's struct (the thread joined, the queue gone). */
    void (*free)(sms_provider_t *self);
} sms_provider_ops_t;

/* The part every kind shares: the first member of its struct. */
struct sms_provider {
    const sms_provider_ops_t *ops;
    const char *name;    /* the kind's copy ([sms.NAME], "http", "file", ...) */
    int prov;            /* its index in the worker, in every outcome */
    cmn_chan_t *in;      /* requests waiting for the thread (NULL without one) */
    cmn_chan_t *results; /* borrowed: outlives the provider */
    bool failing;        /* the last flush failed (the sink): the worker is not ready */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    uint64_t grace_until_ms; /* at a stop: when run gives up on what is out (monotonic) */
};

/* Sets up self (the kind's struct zeroed, ops static) as provider prov called name
 * (borrowed: the kind's copy), posting to results, with a queue of queue requests when
 * ops->run is set. Returns 0 or -1 (the caller frees its struct). */
int sms_provider_init(sms_provider_t *self, const sms_provider_ops_t *ops, const char *name,
                      int prov, cmn_chan_t *results, size_t queue);
/* For a kind's _new: s checked by check (its refusal logged), then the kind's struct of
 * size bytes zeroed, with a copy of s at set_offset (offsetof its sms_settings_t) named
 * kind when s has no name. NULL on either failure (logged). */
void *sms_provider_alloc(const sms_settings_t *s,
                         int (*check)(const sms_settings_t *s, char *err, size_t errlen),
                         size_t size, size_t set_offset, const char *kind);
/* Starts ops->run on a thread of its own. Returns 0 or -1 (logged). */
int sms_provider_start(sms_provider_t *self);

/* Hands req to the provider: 0, or -1 when its queue is full (req freed: the message
 * waits in the queue and is built again). Takes req either way. */
int sms_provider_submit(sms_provider_t *self, sms_req_t *req);

/* How many more submit() would take now (SIZE_MAX without a queue). */
size_t sms_provider_room(sms_provider_t *self);

/* Does it answer at sms_provider_flush, within the batch (the sink)? Its messages need
 * no lease: their outcomes are recorded in the batch that submitted them. */
bool sms_provider_in_batch(const sms_provider_t *self);

/* Ends a delivery batch (ops->flush). Returns 1 when the provider posted its outcomes
 * there (sms_provider_in_batch: the caller records them in the batch), else 0. */
int sms_provider_flush(sms_provider_t *self);

/* Stops the thread (what is out gets a grace, what still waits in the queue fails),
 * frees the provider and nullifies *self_p. Tolerates NULL. */
void sms_provider_destroy(sms_provider_t **self_p);

/* For run: the next request waiting (caller owns it), or NULL. */
sms_req_t *sms_provider_next(sms_provider_t *self);
/* For run: the queue's fd, readable while requests wait (or at a stop). */
int sms_provider_fd(const sms_provider_t *self);
/* For run: is the provider stopping? */
bool sms_provider_stopping(sms_provider_t *self);
/* For run: may it end now? Only at a stop, once idle (nothing out) or after the grace. */
bool sms_provider_over(sms_provider_t *self, bool idle);
/* Posts one outcome of self for req (or a receipt, req NULL): sms_res_post. */
void sms_provider_post(sms_provider_t *self, sms_res_kind_t kind, const sms_req_t *req,
                       const char *ref, const char *why);
/* Fails every request still waiting in the queue with why (never sent). */
void sms_provider_fail_waiting(sms_provider_t *self, const char *why);

void sms_req_free(sms_req_t *req);

/* Copies src into dst of size bytes (size > 0), cut to fit, always terminated: what
 * snprintf(dst, size, "%s", src) does, without the formatter, for the copies made per
 * message. */
void sms_copy(char *dst, size_t size, const char *src);

/* Pushes one outcome for req (or a receipt, req NULL) to results. Never fails:
 * an outcome lost would leave a message in flight until its lease ends. */
void sms_res_post(cmn_chan_t *results, sms_res_kind_t kind, int prov, const sms_req_t *req,
                  const char *ref, const char *why);

/* The `file` provider (sms_file.c): one JSON line per message appended to path,
 * api.md section 4, outcomes to results. The file (0600) and its parent directories
 * are created when missing. Returns NULL on failure (logged). */
sms_provider_t *sms_file_new(const char *path, int prov, cmn_chan_t *results);

/* The `http` provider (sms_http.c) as s says; outcomes to results (borrowed; it
 * outlives the provider). Returns NULL on a bad setting (logged). */
sms_provider_t *sms_http_new(const sms_settings_t *s, int prov, cmn_chan_t *results);
/* The settings sms_http_new refuses (URL, placeholders, success rule, headers), without
 * starting anything (--check-config). Returns 0, or -1 with why in err. */
int sms_http_check(const sms_settings_t *s, char *err, size_t errlen);

/* The `smpp` provider (sms_smpp.c): an ESME bound as transceiver to
 * s->smpp_host:s->smpp_port; outcomes and receipts to results. */
sms_provider_t *sms_smpp_new(const sms_settings_t *s, int prov, cmn_chan_t *results);
/* The settings sms_smpp_new refuses (host, system id, lengths). 0, or -1 with why. */
int sms_smpp_check(const sms_settings_t *s, char *err, size_t errlen);

#endif
