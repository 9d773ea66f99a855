/* sms_provider: what sms-worker hands messages to. Two kinds:
 *
 * - synchronous (the `file` sink): per delivery batch, send() is called for each
 *   due message, then flush() once, before the transaction that marks the batch
 *   sent commits. A message counts as sent only when its send() and the batch's
 *   flush() both returned 0.
 *
 * - asynchronous (`http`, `smpp`): each runs its own thread that owns its sockets
 *   (curl multi, the SMPP link) and many messages in flight. The service loop
 *   submit()s requests to it; the thread answers each with exactly one outcome
 *   (sms_res_t) pushed to the `results` channel the worker gave it, and pushes
 *   delivery receipts there too. LMDB stays on the loop thread: a message is
 *   marked sent only when its SMS_RES_ACCEPTED outcome is handled in a batch.
 *
 * Either way a crash can repeat a message but never lose one (at-least-once; the
 * message_id is the idempotency key the far side may use). */
#ifndef SMS_PROVIDER_H
#define SMS_PROVIDER_H

#include <stdint.h>

#include "cmn_config.h"
#include "sms_chan.h"
#include "sms_queue.h"
#include "sms_settings.h"

#define SMS_REF_MAX 72   /* a provider's own id of a message (SMPP: up to 65) */
#define SMS_WHY_MAX 128  /* a reason for the log */
#define SMS_BODY_MAX 640 /* the longest text handed to a provider, UTF-8 bytes */

/* One message as a synchronous provider sees it. Every string is borrowed for
 * the call only; text holds the code, so a provider copies it nowhere it keeps. */
typedef struct {
    const char *message_id; /* idempotency key */
    const char *to;         /* E.164 with '+' */
    const char *purpose;    /* api.md name: "register", ..., "notice" */
    const char *text;       /* UTF-8 (sms_text) */
    uint64_t at_ms;         /* unix ms it is handed over */
} sms_msg_t;

/* A request to an asynchronous provider (malloc'd; sms_req_free wipes the text). */
typedef struct {
    char message_id[SMS_ID_MAX + 1];
    char to[20];
    char text[SMS_BODY_MAX];
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

/* Implementations put this first in their own struct. */
struct sms_provider {
    const char *name;
    /* synchronous providers */
    int (*send)(sms_provider_t *self, const sms_msg_t *msg);
    int (*flush)(sms_provider_t *self);
    /* asynchronous providers: takes req (always) and returns 0, or -1 when its
     * queue is full (req freed: the message waits in the queue and is built again). */
    int (*submit)(sms_provider_t *self, sms_req_t *req);
    /* asynchronous providers: how many more submit() would take now. */
    size_t (*room)(sms_provider_t *self);
    /* Frees the provider and nullifies *self_p (threads joined first). */
    void (*destroy)(sms_provider_t **self_p);
};

/* Hands req to an asynchronous provider (its submit): 0, or -1 when it is full.
 * Takes req either way. */
int sms_provider_submit(sms_provider_t *self, sms_req_t *req);

/* The room of an asynchronous provider (its room; SIZE_MAX when it has none to say). */
size_t sms_provider_room(sms_provider_t *self);

/* Destroys through the vtable; tolerates NULL and nullifies *self_p. */
void sms_provider_destroy(sms_provider_t **self_p);

void sms_req_free(sms_req_t *req);

/* Copies src into dst of size bytes (size > 0), cut to fit, always terminated: what
 * snprintf(dst, size, "%s", src) does, without the formatter, for the copies made per
 * message. */
void sms_copy(char *dst, size_t size, const char *src);

/* Pushes one outcome for req (or a receipt, req NULL) to results. Never fails:
 * an outcome lost would leave a message in flight until its lease ends. */
void sms_res_post(sms_chan_t *results, sms_res_kind_t kind, int prov, const sms_req_t *req,
                  const char *ref, const char *why);

/* The `file` provider (sms_file.c): one JSON line per message appended to path,
 * api.md section 4. The file (0600) and its parent directories are created when
 * missing. Returns NULL on failure (logged). */
sms_provider_t *sms_file_new(const char *path);

/* The `http` provider (sms_http.c) as s says; outcomes to results (borrowed; it
 * outlives the provider). Returns NULL on a bad setting (logged). */
sms_provider_t *sms_http_new(const sms_settings_t *s, int prov, sms_chan_t *results);
/* The settings sms_http_new refuses (URL, placeholders, success rule, headers), without
 * starting anything (--check-config). Returns 0, or -1 with why in err. */
int sms_http_check(const sms_settings_t *s, char *err, size_t errlen);

/* The `smpp` provider (sms_smpp.c): an ESME bound as transceiver to
 * s->smpp_host:s->smpp_port; outcomes and receipts to results. */
sms_provider_t *sms_smpp_new(const sms_settings_t *s, int prov, sms_chan_t *results);
/* The settings sms_smpp_new refuses (host, system id, lengths). 0, or -1 with why. */
int sms_smpp_check(const sms_settings_t *s, char *err, size_t errlen);

#endif
