/* cmn_asks: the requests a service has sent to its peers and still waits on, found
 * by request id when the reply comes (a hash) and by deadline when it does not (a
 * min-heap with lazy deletion), so thousands in flight cost O(log n) each. Asks that
 * failed before they were sent wait in a list for the next turn. Private to common/. */
#ifndef CMN_ASKS_H
#define CMN_ASKS_H

#include <stddef.h>
#include <stdint.h>

#include "cmn_service.h"

typedef struct cmn_ask {
    uint64_t request_id;
    uint64_t deadline_ms;
    Dvcid__Status fail; /* set: failed before it was sent, answer with this */
    cmn_reply_fn *fn;
    void *arg;
    struct cmn_ask *next; /* in the failed list */
    int peer;             /* peer group it went to */
    int inst;             /* instance of the group it was last sent to, -1: none */
    int pin;              /* 0: any instance; n: only instance n - 1 (no failover) */
    uint8_t *data;        /* the packed request, kept to re-send it to another instance */
    size_t len;
} cmn_ask_t;

typedef struct cmn_asks cmn_asks_t;

cmn_asks_t *cmn_asks_new(void);
/* Frees every ask still held and its data (args are not touched). Nullifies *self_p. */
void cmn_asks_destroy(cmn_asks_t **self_p);

/* Takes ownership of a (malloc'd). Returns 0 or -1 (a is then freed by the caller). */
int cmn_asks_add(cmn_asks_t *self, cmn_ask_t *a);

/* Removes and returns the ask with this id, or NULL (unknown or already timed out). */
cmn_ask_t *cmn_asks_take(cmn_asks_t *self, uint64_t request_id);

/* Removes and returns one ask to fail now: a failed one, else one whose deadline is
 * <= now (its fail set to STATUS_TIMEOUT). NULL when none is due. */
cmn_ask_t *cmn_asks_due(cmn_asks_t *self, uint64_t now_ms);

/* Milliseconds until the next ask is due (0: now), or -1 when none waits. */
int64_t cmn_asks_next_ms(const cmn_asks_t *self, uint64_t now_ms);

/* Makes every waiting ask fail with status at the next cmn_asks_due (shutdown). */
void cmn_asks_fail_all(cmn_asks_t *self, Dvcid__Status status);

size_t cmn_asks_count(const cmn_asks_t *self);

/* Calls fn for every ask waiting for its reply (not the failed ones); fn must not add
 * or take asks. */
void cmn_asks_each(cmn_asks_t *self, void (*fn)(cmn_ask_t *a, void *arg), void *arg);

/* Frees an ask and its data. Tolerates NULL. */
void cmn_ask_free(cmn_ask_t *a);

#endif
