/* cmn_pool: a mutex/condvar job queue, a done list and an eventfd. */
#include "cmn_pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

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
    struct s_job *next;
} s_job_t;

struct cmn_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    s_job_t *head, *tail; /* waiting */
    s_job_t *done;        /* finished, newest first */
    size_t waiting, running, cap;
    int stop;
    int efd;
    int nthreads;
    pthread_t *threads;
};

static void *s_worker(void *p) {
    cmn_pool_t *self = p;
    /* Linux: the nice value is per thread (a tid is a process id here). Raising it
     * needs no privilege; a failure only costs the priority. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), S_WORKER_NICE);
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!self->head && !self->stop)
            pthread_cond_wait(&self->cv, &self->mu);
        if (self->stop)
            break;
        s_job_t *job = self->head;
        self->head = job->next;
        if (!self->head)
            self->tail = NULL;
        self->waiting--;
        self->running++;
        pthread_mutex_unlock(&self->mu);
        job->work(job->arg);
        pthread_mutex_lock(&self->mu);
        self->running--;
        job->next = self->done;
        self->done = job;
        uint64_t one = 1;
        ssize_t w = write(self->efd, &one, sizeof(one));
        (void)w; /* an eventfd counter cannot overflow at these rates */
    }
    pthread_mutex_unlock(&self->mu);
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
    self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->threads = calloc((size_t)threads, sizeof(pthread_t));
    if (self->efd < 0 || !self->threads) {
        if (self->efd >= 0)
            close(self->efd);
        free(self->threads);
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
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

void cmn_pool_destroy(cmn_pool_t **self_p, void (*drop)(void *tag, void *arg)) {
    if (!self_p || !*self_p)
        return;
    cmn_pool_t *self = *self_p;
    pthread_mutex_lock(&self->mu);
    self->stop = 1;
    pthread_cond_broadcast(&self->cv);
    pthread_mutex_unlock(&self->mu);
    for (int i = 0; i < self->nthreads; i++)
        pthread_join(self->threads[i], NULL);
    s_job_t *lists[2] = {self->head, self->done};
    for (int l = 0; l < 2; l++) {
        while (lists[l]) {
            s_job_t *j = lists[l];
            lists[l] = j->next;
            if (drop)
                drop(j->tag, j->arg);
            free(j);
        }
    }
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cv);
    close(self->efd);
    free(self->threads);
    free(self);
    *self_p = NULL;
}

int cmn_pool_submit(cmn_pool_t *self, cmn_pool_work_fn *work, void *arg, void *tag) {
    s_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return -1;
    job->work = work;
    job->arg = arg;
    job->tag = tag;
    pthread_mutex_lock(&self->mu);
    if (self->waiting >= self->cap) {
        pthread_mutex_unlock(&self->mu);
        free(job);
        return -1;
    }
    if (self->tail)
        self->tail->next = job;
    else
        self->head = job;
    self->tail = job;
    self->waiting++;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
    return 0;
}

int cmn_pool_fd(cmn_pool_t *self) { return self->efd; }

int cmn_pool_take(cmn_pool_t *self, void **arg, void **tag) {
    uint64_t n;
    ssize_t r = read(self->efd, &n, sizeof(n));
    (void)r; /* EAGAIN just means the counter was already drained */
    pthread_mutex_lock(&self->mu);
    s_job_t *job = self->done;
    if (job)
        self->done = job->next;
    pthread_mutex_unlock(&self->mu);
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

size_t cmn_pool_depth(cmn_pool_t *self) {
    pthread_mutex_lock(&self->mu);
    size_t n = self->waiting + self->running;
    pthread_mutex_unlock(&self->mu);
    return n;
}
