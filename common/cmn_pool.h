/* cmn_pool: worker threads for CPU-heavy work (argon2id) so the service loop
 * never stalls. Jobs wait in a bounded queue; a full queue refuses the job at
 * once (the caller answers 503) instead of letting latency grow without bound.
 * Finished jobs are collected by the loop thread, woken through an eventfd. The workers
 * run at nice 10, below the loop threads they share the cores with. */
#ifndef CMN_POOL_H
#define CMN_POOL_H

#include <stddef.h>

typedef struct cmn_pool cmn_pool_t;
typedef void(cmn_pool_work_fn)(void *arg);

/* Starts threads workers (0: one per online CPU) with room for queue jobs. NULL on failure. */
cmn_pool_t *cmn_pool_new(int threads, int queue);

/* Stops the threads after the running jobs; unfinished jobs are dropped with their
 * args passed to drop (may be NULL). Nullifies *self_p. */
void cmn_pool_destroy(cmn_pool_t **self_p, void (*drop)(void *tag, void *arg));

/* Queues work(arg); tag travels with it back to the loop. Returns 0 or -1 when full. */
int cmn_pool_submit(cmn_pool_t *self, cmn_pool_work_fn *work, void *arg, void *tag);

/* The eventfd that is readable while finished jobs wait to be taken. */
int cmn_pool_fd(cmn_pool_t *self);

/* Takes the oldest finished job; returns 1 with arg and tag set, 0 when none is left. */
int cmn_pool_take(cmn_pool_t *self, void **arg, void **tag);

/* Jobs waiting or running. */
size_t cmn_pool_depth(cmn_pool_t *self);

/* The most jobs the pool holds, waiting or running (its queue plus its workers): a
 * submit past it is refused. cmn_pool_depth / cmn_pool_capacity is how full it is,
 * whatever account.hash_queue and the core count are. */
size_t cmn_pool_capacity(const cmn_pool_t *self);

#endif
