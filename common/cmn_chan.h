/* cmn_chan: a FIFO of pointers between threads, the one every hand-over uses (the worker
 * pool's jobs and finished jobs, the gateway's requests for its loop, sms-worker's
 * requests and outcomes). Its eventfd is readable exactly while items wait, so a
 * consumer polls it with its sockets (the service loop through cmn_service_watch or
 * zmq_poll, a provider thread through poll or curl_multi_poll) and may leave items for
 * its next turn; a consumer with nothing else to wait for blocks in cmn_chan_pop_wait.
 * Any number of producers and consumers. */
#ifndef CMN_CHAN_H
#define CMN_CHAN_H

#include <stddef.h>

typedef struct cmn_chan cmn_chan_t;

/* A channel holding at most cap items (0: no limit). NULL on failure. */
cmn_chan_t *cmn_chan_new(size_t cap);

/* Frees the channel and every item still in it with free_item (NULL: leave them);
 * nullifies *self_p. No thread may be using it. Tolerates NULL. */
void cmn_chan_destroy(cmn_chan_t **self_p, void (*free_item)(void *));

/* Appends item (ownership passes to the channel). Returns 0, or -1 when full, closed or
 * out of memory (the item stays the caller's). */
int cmn_chan_push(cmn_chan_t *self, void *item);

/* Takes the oldest item, or NULL when empty. */
void *cmn_chan_pop(cmn_chan_t *self);

/* Takes the oldest item, waiting for one; NULL once the channel is closed, even with
 * items left (cmn_chan_pop still takes those). */
void *cmn_chan_pop_wait(cmn_chan_t *self);

/* Refuses pushes from now on and releases every cmn_chan_pop_wait. */
void cmn_chan_close(cmn_chan_t *self);

size_t cmn_chan_len(cmn_chan_t *self);

/* How many more pushes would succeed now (SIZE_MAX without a cap). */
size_t cmn_chan_room(cmn_chan_t *self);

/* Readable while the channel holds items (or after cmn_chan_poke). */
int cmn_chan_fd(const cmn_chan_t *self);

/* Wakes the fd's poller without an item (a stop request); cleared by the next pop
 * that leaves the channel empty. */
void cmn_chan_poke(cmn_chan_t *self);

#endif
