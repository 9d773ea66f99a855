/* sms_chan: a FIFO of pointers between threads, with an eventfd that is readable
 * exactly while items wait, so the consumer can poll it with its sockets (the
 * service loop through cmn_service_watch, a provider thread through poll or
 * curl_multi_poll). Any number of producers, one consumer. */
#ifndef SMS_CHAN_H
#define SMS_CHAN_H

#include <stddef.h>

typedef struct sms_chan sms_chan_t;

/* A channel holding at most cap items (0: no limit). NULL on failure. */
sms_chan_t *sms_chan_new(size_t cap);

/* Frees the channel and every item still in it with free_item (NULL: leave them);
 * nullifies *self_p. */
void sms_chan_destroy(sms_chan_t **self_p, void (*free_item)(void *));

/* Appends item (ownership passes to the channel). Returns 0, or -1 when full. */
int sms_chan_push(sms_chan_t *self, void *item);

/* Puts item back at the head (a consumer that cannot handle it yet). Never fails. */
void sms_chan_unpop(sms_chan_t *self, void *item);

/* Takes the oldest item, or NULL when empty. */
void *sms_chan_pop(sms_chan_t *self);

size_t sms_chan_len(sms_chan_t *self);

/* How many more pushes would succeed now (SIZE_MAX without a cap). */
size_t sms_chan_room(sms_chan_t *self);

/* Readable while the channel holds items. */
int sms_chan_fd(const sms_chan_t *self);

/* Wakes the consumer without an item (a stop request); cleared by the next pop
 * that finds the channel empty. */
void sms_chan_poke(sms_chan_t *self);

#endif
