/* sms_provider: what sms-worker hands messages to (the `file` sink today; an HTTP
 * gateway or an SMPP SMSC later). A provider is a small vtable so the delivery
 * loop never knows which one it drives.
 *
 * Contract, per delivery batch: send() is called for each due message, then
 * flush() once, before the transaction that marks the batch sent commits. A
 * message counts as delivered only when its send() and the batch's flush() both
 * returned 0; anything else is retried later. So a crash can repeat a message but
 * never lose one (at-least-once; the message_id lets the far side drop repeats). */
#ifndef SMS_PROVIDER_H
#define SMS_PROVIDER_H

#include <stdint.h>

#include "cmn_config.h"

/* One message as a provider sees it. Every string is borrowed for the call only;
 * text holds the code, so a provider copies it nowhere it keeps. */
typedef struct {
    const char *message_id; /* idempotency key */
    const char *to;         /* E.164 with '+' */
    const char *purpose;    /* api.md name: "register", ..., "notice" */
    const char *text;       /* plain ASCII (sms_text) */
    uint64_t at_ms;         /* unix ms it is handed over */
} sms_msg_t;

typedef struct sms_provider sms_provider_t;

/* Implementations put this first in their own struct. */
struct sms_provider {
    const char *name;
    /* Takes msg (it may only be buffered until flush). Returns 0 or -1. */
    int (*send)(sms_provider_t *self, const sms_msg_t *msg);
    /* Makes everything taken since the last flush durable at the provider.
     * Returns 0, or -1 when none of it may count as delivered. */
    int (*flush)(sms_provider_t *self);
    /* Frees the provider and nullifies *self_p. */
    void (*destroy)(sms_provider_t **self_p);
};

/* The provider cfg->sms_provider names. Returns NULL (logged) for one not built in. */
sms_provider_t *sms_provider_new(const cmn_config_t *cfg);

/* Destroys through the vtable; tolerates NULL and nullifies *self_p. */
void sms_provider_destroy(sms_provider_t **self_p);

/* The `file` provider (sms_file.c): one JSON line per message appended to path,
 * api.md section 4. The file (0600) and its parent directories are created when
 * missing. Returns NULL on failure (logged). */
sms_provider_t *sms_file_new(const char *path);

#endif
