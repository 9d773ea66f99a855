/* cmn_chan: FIFO across the ring's wrap and growth, a bounded channel refusing when full,
 * the eventfd readable exactly while items wait (one write per burst), poke, close, and
 * producers and consumers on several threads losing and duplicating nothing. */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cmn_chan.h"
#include "tap.h"

#define S_PRODUCERS 4
#define S_PER_PRODUCER 20000
#define S_WAITERS 2

static int s_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Item i of producer p, never NULL. */
static void *s_item(int p, int i) { return (void *)(uintptr_t)(1 + p * S_PER_PRODUCER + i); }

static cmn_chan_t *s_ch;
static atomic_int s_seen[S_PRODUCERS * S_PER_PRODUCER];
static atomic_int s_out_of_order;
static atomic_bool s_stop;

static void *s_produce(void *arg) {
    int p = (int)(intptr_t)arg;
    for (int i = 0; i < S_PER_PRODUCER; i++)
        while (cmn_chan_push(s_ch, s_item(p, i)) != 0)
            sched_yield(); /* full: a consumer makes room */
    return NULL;
}

/* Counts an item; last[p] is the last item this consumer saw of producer p (each
 * producer's items come out in its order). */
static void s_record(void *item, int last[S_PRODUCERS]) {
    int k = (int)(uintptr_t)item - 1;
    int p = k / S_PER_PRODUCER, i = k % S_PER_PRODUCER;
    atomic_fetch_add(&s_seen[k], 1);
    if (i <= last[p])
        atomic_fetch_add(&s_out_of_order, 1);
    last[p] = i;
}

static void *s_wait_consumer(void *arg) {
    (void)arg;
    int last[S_PRODUCERS] = {-1, -1, -1, -1};
    void *item;
    while ((item = cmn_chan_pop_wait(s_ch)))
        s_record(item, last);
    return NULL;
}

/* As a loop would: poll the fd, take what is there. */
static void *s_poll_consumer(void *arg) {
    (void)arg;
    int last[S_PRODUCERS] = {-1, -1, -1, -1};
    while (!atomic_load(&s_stop)) {
        struct pollfd p = {.fd = cmn_chan_fd(s_ch), .events = POLLIN};
        poll(&p, 1, 10);
        void *item;
        while ((item = cmn_chan_pop(s_ch)))
            s_record(item, last);
    }
    return NULL;
}

static void s_threads(void) {
    s_ch = cmn_chan_new(64);
    CHECK(s_ch != NULL, "chan");
    if (!s_ch)
        return;
    pthread_t prod[S_PRODUCERS], wait[S_WAITERS], poller;
    for (int i = 0; i < S_WAITERS; i++)
        pthread_create(&wait[i], NULL, s_wait_consumer, NULL);
    pthread_create(&poller, NULL, s_poll_consumer, NULL);
    for (int p = 0; p < S_PRODUCERS; p++)
        pthread_create(&prod[p], NULL, s_produce, (void *)(intptr_t)p);
    for (int p = 0; p < S_PRODUCERS; p++)
        pthread_join(prod[p], NULL);
    cmn_chan_close(s_ch); /* the waiters return; the poller and we take the rest */
    for (int i = 0; i < S_WAITERS; i++)
        pthread_join(wait[i], NULL);
    atomic_store(&s_stop, true);
    pthread_join(poller, NULL);
    int last[S_PRODUCERS] = {-1, -1, -1, -1};
    void *item;
    while ((item = cmn_chan_pop(s_ch)))
        s_record(item, last);
    int lost = 0, twice = 0;
    for (int k = 0; k < S_PRODUCERS * S_PER_PRODUCER; k++) {
        lost += atomic_load(&s_seen[k]) == 0;
        twice += atomic_load(&s_seen[k]) > 1;
    }
    CHECK(lost == 0 && twice == 0, "%d lost, %d taken twice", lost, twice);
    CHECK(atomic_load(&s_out_of_order) == 0, "%d out of their producer's order",
          atomic_load(&s_out_of_order));
    CHECK(!s_readable(cmn_chan_fd(s_ch)), "readable once drained");
    CHECK(cmn_chan_push(s_ch, s_item(0, 0)) == -1, "push after close");
    cmn_chan_destroy(&s_ch, NULL);
}

int main(void) {
    /* Bounded: FIFO, refused when full, the fd set by the first push of a burst and
     * cleared by the pop that empties. */
    cmn_chan_t *ch = cmn_chan_new(2);
    int a = 1, b = 2, c = 3;
    CHECK(ch != NULL, "new");
    if (!ch)
        return TEST_DONE();
    CHECK(!s_readable(cmn_chan_fd(ch)) && cmn_chan_room(ch) == 2, "empty");
    CHECK(cmn_chan_pop(ch) == NULL, "pop of empty");
    CHECK(cmn_chan_push(ch, &a) == 0 && s_readable(cmn_chan_fd(ch)), "readable after push");
    CHECK(cmn_chan_push(ch, &b) == 0, "second push");
    CHECK(cmn_chan_push(ch, &c) == -1 && cmn_chan_room(ch) == 0, "full refuses");
    CHECK(cmn_chan_len(ch) == 2, "len %zu", cmn_chan_len(ch));
    CHECK(cmn_chan_pop(ch) == &a && s_readable(cmn_chan_fd(ch)), "FIFO, still readable");
    CHECK(cmn_chan_push(ch, &c) == 0, "room again");
    CHECK(cmn_chan_pop(ch) == &b && cmn_chan_pop(ch) == &c, "FIFO across the wrap");
    CHECK(!s_readable(cmn_chan_fd(ch)), "drained by the pop that empties");
    CHECK(cmn_chan_push(ch, &a) == 0 && cmn_chan_pop_wait(ch) == &a, "pop_wait takes one");
    CHECK(!s_readable(cmn_chan_fd(ch)), "drained by pop_wait");
    cmn_chan_destroy(&ch, NULL);
    CHECK(ch == NULL, "destroy nulls");
    cmn_chan_destroy(&ch, NULL); /* tolerates NULL */

    /* One burst, one count in the eventfd: pushes after the first write nothing. */
    ch = cmn_chan_new(0);
    CHECK(ch && cmn_chan_room(ch) == SIZE_MAX, "unbounded");
    if (!ch)
        return TEST_DONE();
    for (int i = 0; i < 3; i++)
        cmn_chan_push(ch, &a);
    uint64_t count = 0;
    CHECK(read(cmn_chan_fd(ch), &count, sizeof(count)) == sizeof(count) && count == 1,
          "one write per burst: %llu", (unsigned long long)count);
    cmn_chan_destroy(&ch, NULL);

    /* Unbounded: grows past its first ring, wrapped, and keeps the order. */
    ch = cmn_chan_new(0);
    int vals[3000];
    int in = 0, out = 0, order = 1;
    for (int i = 0; i < 3000; i++)
        vals[i] = i;
    for (; in < 10; in++)
        cmn_chan_push(ch, &vals[in]);
    for (; out < 7; out++)
        order &= cmn_chan_pop(ch) == &vals[out];
    for (; in < 3000; in++)
        order &= cmn_chan_push(ch, &vals[in]) == 0;
    CHECK(cmn_chan_len(ch) == 2993, "len %zu", cmn_chan_len(ch));
    for (; out < 3000; out++)
        order &= cmn_chan_pop(ch) == &vals[out];
    CHECK(order && cmn_chan_pop(ch) == NULL, "FIFO through growth");

    /* Poke: readable without an item, until a pop finds it empty. */
    cmn_chan_poke(ch);
    CHECK(s_readable(cmn_chan_fd(ch)) && cmn_chan_pop(ch) == NULL, "poke");
    CHECK(!s_readable(cmn_chan_fd(ch)), "poke cleared");

    /* Close: pop_wait returns at once, even with items left, which pop still takes. */
    CHECK(cmn_chan_push(ch, &a) == 0, "push");
    cmn_chan_close(ch);
    CHECK(cmn_chan_pop_wait(ch) == NULL, "pop_wait when closed");
    CHECK(cmn_chan_push(ch, &b) == -1, "closed refuses");
    CHECK(cmn_chan_pop(ch) == &a, "pop after close");
    cmn_chan_destroy(&ch, NULL);

    /* Destroy frees what is left (ASan reports a leak otherwise). */
    ch = cmn_chan_new(0);
    for (int i = 0; i < 40; i++) {
        int *heap = malloc(sizeof(int));
        CHECK(heap && cmn_chan_push(ch, heap) == 0, "push heap %d", i);
    }
    for (int i = 0; i < 5; i++)
        free(cmn_chan_pop(ch));
    cmn_chan_destroy(&ch, free);
    CHECK(ch == NULL, "destroy with items nulls");

    s_threads();
    return TEST_DONE();
}
