/* sms_chan: mutex-guarded linked FIFO plus an eventfd (see sms_chan.h). The fd is
 * written by a push to an empty list and drained, under the same lock, when a pop
 * leaves the list empty: so it can never be clear while items wait (no lost
 * wake-up), and a busy channel costs no system call per item. */
#include "sms_chan.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct s_node {
    void *item;
    struct s_node *next;
} s_node_t;

struct sms_chan {
    pthread_mutex_t lock;
    s_node_t *head, *tail;
    size_t len, cap;
    int fd;
};

sms_chan_t *sms_chan_new(size_t cap) {
    sms_chan_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->cap = cap;
    self->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd < 0 || pthread_mutex_init(&self->lock, NULL) != 0) {
        if (self->fd >= 0)
            close(self->fd);
        free(self);
        return NULL;
    }
    return self;
}

void sms_chan_destroy(sms_chan_t **self_p, void (*free_item)(void *)) {
    if (!self_p || !*self_p)
        return;
    sms_chan_t *self = *self_p;
    while (self->head) {
        s_node_t *n = self->head;
        self->head = n->next;
        if (free_item)
            free_item(n->item);
        free(n);
    }
    pthread_mutex_destroy(&self->lock);
    close(self->fd);
    free(self);
    *self_p = NULL;
}

static void s_signal(sms_chan_t *self) {
    uint64_t one = 1;
    ssize_t rc = write(self->fd, &one, sizeof(one));
    (void)rc; /* EAGAIN only when the counter is huge: it is readable anyway */
}

int sms_chan_push(sms_chan_t *self, void *item) {
    s_node_t *n = malloc(sizeof(*n));
    if (!n)
        return -1;
    n->item = item;
    n->next = NULL;
    pthread_mutex_lock(&self->lock);
    if (self->cap && self->len >= self->cap) {
        pthread_mutex_unlock(&self->lock);
        free(n);
        return -1;
    }
    if (self->tail)
        self->tail->next = n;
    else
        self->head = n;
    self->tail = n;
    /* Not empty before: the fd is readable already (only a pop that empties drains it). */
    if (self->len++ == 0)
        s_signal(self);
    pthread_mutex_unlock(&self->lock);
    return 0;
}

void sms_chan_unpop(sms_chan_t *self, void *item) {
    s_node_t *n = malloc(sizeof(*n));
    if (!n)
        abort(); /* losing a message silently is worse than stopping */
    n->item = item;
    pthread_mutex_lock(&self->lock);
    n->next = self->head;
    self->head = n;
    if (!self->tail)
        self->tail = n;
    self->len++;
    s_signal(self);
    pthread_mutex_unlock(&self->lock);
}

void *sms_chan_pop(sms_chan_t *self) {
    void *item = NULL;
    pthread_mutex_lock(&self->lock);
    s_node_t *n = self->head;
    if (n) {
        self->head = n->next;
        if (!self->head)
            self->tail = NULL;
        self->len--;
        item = n->item;
    }
    if (!self->head) {
        uint64_t v;
        ssize_t rc = read(self->fd, &v, sizeof(v));
        (void)rc; /* EAGAIN: already clear */
    }
    pthread_mutex_unlock(&self->lock);
    free(n);
    return item;
}

size_t sms_chan_room(sms_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    size_t n = !self->cap ? SIZE_MAX : self->len >= self->cap ? 0 : self->cap - self->len;
    pthread_mutex_unlock(&self->lock);
    return n;
}

size_t sms_chan_len(sms_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    size_t n = self->len;
    pthread_mutex_unlock(&self->lock);
    return n;
}

int sms_chan_fd(const sms_chan_t *self) { return self->fd; }

void sms_chan_poke(sms_chan_t *self) {
    pthread_mutex_lock(&self->lock);
    s_signal(self);
    pthread_mutex_unlock(&self->lock);
}
