/* cmn_pool: two channels, the jobs waiting and the jobs finished (cmn_chan). */
#include "cmn_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmn_chan.h"

/* The workers' nice value. Their jobs (argon2id: tens of ms of CPU and memory bandwidth
 * each) share the cores with the service loops, whose requests take microseconds: below
 * them, a loop thread that wakes up takes the core at once instead of waiting for a hash
 * to yield, and the hashes still get every cycle nobody else wants. Not 19: on a machine
 * loaded by other work (ASan test runs at a load of 10 on 2 cores), weight 15 against
 * 1024 starved the hashes past the gateway's 2 s deadline (504); 10 (weight 110) did not. */
#define S_WORKER_NICE 10

typedef struct s_job {
    cmn_pool_work_fn *work;
    void *arg;
    void *tag;
} s_job_t;

struct cmn_pool {
    cmn_chan_t *jobs;   /* waiting, at most cap */
    cmn_chan_t *done;   /* finished: its fd wakes the loop */
    atomic_size_t busy; /* waiting or running, counted from submit to done */
    size_t cap;
    int nthreads;
    pthread_t *threads;
};

static void *s_worker(void *p) {
    cmn_pool_t *self = p;
    /* Linux: the nice value is per thread (a tid is a process id here). Raising it
     * needs no privilege; a failure only costs the priority. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), S_WORKER_NICE);
    s_job_t *job;
    while ((job = cmn_chan_pop_wait(self->jobs))) {
        job->work(job->arg);
        /* An unbounded channel refuses only without memory; a job that never came back
         * would leave its request unanswered for good. */
        if (cmn_chan_push(self->done, job) != 0)
            abort();
        /* After the push: cmn_pool_depth 0 means every job can be taken. */
        atomic_fetch_sub(&self->busy, 1);
    }
    return NULL;
}

cmn_pool_t *cmn_pool_new(int threads, int queue) {
    cmn_pool_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    self->cap = queue > 0 ? (size_t)queue : 1;
    atomic_init(&self->busy, 0);
    self->jobs = cmn_chan_new(self->cap);
    self->done = cmn_chan_new(0);
    self->threads = calloc((size_t)threads, sizeof(pthread_t));
    if (!self->jobs || !self->done || !self->threads) {
        cmn_pool_destroy(&self, NULL);
        return NULL;
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&self->threads[i], NULL, s_worker, self) != 0)
            break;
        self->nthreads++;
    }
    if (self->nthreads == 0) {
        cmn_pool_destroy(&self, NULL);
        return NULL;
    }
    return self;
}

static void s_drop_all(cmn_chan_t **chan_p, void (*drop)(void *tag, void *arg)) {
    s_job_t *job;
    while (*chan_p && (job = cmn_chan_pop(*chan_p))) {
        if (drop)
            drop(job->tag, job->arg);
        free(job);
    }
    cmn_chan_destroy(chan_p, NULL);
}

void cmn_pool_destroy(cmn_pool_t **self_p, void (*drop)(void *tag, void *arg)) {
    if (!self_p || !*self_p)
        return;
    cmn_pool_t *self = *self_p;
    if (self->jobs)
        cmn_chan_close(self->jobs); /* the workers stop after their running jobs */
    for (int i = 0; self->threads && i < self->nthreads; i++)
        pthread_join(self->threads[i], NULL);
    s_drop_all(&self->jobs, drop);
    s_drop_all(&self->done, drop);
    free(self->threads);
    free(self);
    *self_p = NULL;
}

int cmn_pool_submit(cmn_pool_t *self, cmn_pool_work_fn *work, void *arg, void *tag) {
    s_job_t *job = malloc(sizeof(*job));
    if (!job)
        return -1;
    job->work = work;
    job->arg = arg;
    job->tag = tag;
    /* Counted before a worker can see it, so the count never goes below what is real. */
    atomic_fetch_add(&self->busy, 1);
    if (cmn_chan_push(self->jobs, job) != 0) {
        atomic_fetch_sub(&self->busy, 1);
        free(job);
        return -1;
    }
    return 0;
}

int cmn_pool_fd(cmn_pool_t *self) { return cmn_chan_fd(self->done); }

int cmn_pool_take(cmn_pool_t *self, void **arg, void **tag) {
    s_job_t *job = cmn_chan_pop(self->done);
    if (!job)
        return 0;
    *arg = job->arg;
    *tag = job->tag;
    free(job);
    return 1;
}

size_t cmn_pool_capacity(const cmn_pool_t *self) {
    /* Both fixed after cmn_pool_new: no lock needed. */
    return self->cap + (size_t)self->nthreads;
}

size_t cmn_pool_depth(cmn_pool_t *self) { return atomic_load(&self->busy); }
