/* cmn_chan: a mutex-guarded ring of pointers, a condvar and an eventfd (see cmn_chan.h).
 * The fd is written by a push to an empty channel and drained, under the same lock, by
 * the pop that leaves it empty: it can never be clear while items wait (no lost
 * wake-up), and a burst costs one write and one read, not a system call per item. The
 * ring grows by doubling (up to the cap), so a busy channel allocates nothing. */
#include "cmn_chan.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define S_FIRST_SIZE 16

struct cmn_chan {
    pthread_mutex_t lock;
    pthread_cond_t ready; /* an item came, or the channel closed */
    void **ring;
    size_t head, len, size, cap;
    bool signalled; /* the eventfd holds a count: readable */
    bool closed;
    int fd;
};

cmn_chan_t *cmn_chan_new(size_t cap) {
    cmn_chan_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->cap = cap;
    self->size = cap && cap < S_FIRST_SIZE ? cap : S_FIRST_SIZE;
    self->ring = calloc(self->size, sizeof(*self->ring));
    self->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!self->ring || self->fd < 0 || pthread_mutex_init(&self->lock, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&self->ready, NULL) != 0) {
        pthread_mutex_destroy(&self->lock);
        goto fail;
    }
    return self;
fail:
    if (self->fd >= 0)
        close(self->fd);
    free(self->ring);
    free(self);
    return NULL;
}

void cmn_chan_destroy(cmn_chan_t **self_p, void (*free_item)(void *)) {
    if (!self_p || !*self_p)
        return;
    cmn_chan_t *self = *self_p;
    for (size_t i = 0; free_item && i < self->len; i++)
        free_item(self->ring[(self->head + i) % self->size]);
    pthread_cond_destroy(&self->ready);
    pthread_mutex_destroy(&self->lock);
    close(self->fd);
    free(self->ring);
    free(self);
    *self_p = NULL;
}

/* Under the lock. */
static void s_signal(cmn_chan_t *self) {
    if (self->signalled)
        return;
    uint64_t one = 1;
    ssize_t rc = write(self->fd, &one, sizeof(one));
    (void)rc; /* EAGAIN only when the counter is huge: it is readable anyway */
    self->signalled = true;
}

/* Under the lock. */
static void s_drain(cmn_chan_t *self) {
    if (!self->signalled)
        return;
    uint64_t v;
    ssize_t rc = read(self->fd, &v, sizeof(v));
    (void)rc; /* EAGAIN: already clear */
    self->signalled = false;
}

/* Under the lock: room for one more item. Returns 0 or -1 when full or out of memory. */
static int s_reserve(cmn_chan_t *self) {
    if (self->cap && self->len >= self->cap)
        return -1;
    if (self->len < self->size)
        return 0;
    size_t size = self->size * 2;
    if (self->cap && size > self->cap)
        size = self->cap;
    void **ring = malloc(size * sizeof(*ring));
    if (!ring)
        return -1;
    /* Unwrapped into the new ring: oldest first, at 0. */
    size_t first = self->size - self->head;
    memcpy(ring, self->ring + self->head, first * sizeof(*ring));
    memcpy(ring + first, self->ring, self->head * sizeof(*ring));
    free(self->ring);
    self->ring = ring;
    self->size = size;
    self->head = 0;
    return 0;
}

int cmn_chan_push(cmn_chan_t *self, void *item) {
    pthread_mutex_lock(&self->lock);
    if (self->closed || s_reserve(self) != 0) {
        pthread_mutex_unlock(&self->lock);
        return -1;
    }
    self->ring[(self->head + self->len++) % self->size] = item;
    s_signal(self);
    pthread_cond_signal(&self->ready);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

/* Under the lock: the oldest item, or NULL; drains the fd once the channel is empty. */
static void *s_take(cmn_chan_t *self) {
    void *item = NULL;
    if (self->len) {
        item = self->ring[self->head];
        self->head = (self->head + 1) % self->size;
        self->len--;
    }
    if (!self->len)
        s_drain(self);
    return item;
}

void *cmn_chan_pop(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    void *item = s_take(self);
    pthread_mutex_unlock(&self->lock);
    return item;
}

void *cmn_chan_pop_wait(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    while (!self->len && !self->closed)
        pthread_cond_wait(&self->ready, &self->lock);
    void *item = self->closed ? NULL : s_take(self);
    pthread_mutex_unlock(&self->lock);
    return item;
}

void cmn_chan_close(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    self->closed = true;
    pthread_cond_broadcast(&self->ready);
    pthread_mutex_unlock(&self->lock);
}

size_t cmn_chan_len(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    size_t n = self->len;
    pthread_mutex_unlock(&self->lock);
    return n;
}

size_t cmn_chan_room(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    size_t n = !self->cap ? SIZE_MAX : self->len >= self->cap ? 0 : self->cap - self->len;
    pthread_mutex_unlock(&self->lock);
    return n;
}

int cmn_chan_fd(const cmn_chan_t *self) { return self->fd; }

void cmn_chan_poke(cmn_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    s_signal(self);
    pthread_mutex_unlock(&self->lock);
}
