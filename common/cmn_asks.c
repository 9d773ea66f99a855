/* cmn_asks: zhashx keyed by the request id itself, a binary heap of (deadline, id). */
#include "cmn_asks.h"

#include <czmq.h>
#include <stdlib.h>

typedef struct {
    uint64_t deadline_ms;
    uint64_t request_id;
} s_slot_t;

struct cmn_asks {
    zhashx_t *by_id;
    s_slot_t *heap;
    size_t nheap, capheap;
    cmn_ask_t *failed, *failed_tail;
    size_t nfailed;
};

/* Request ids are the keys themselves (never 0: see cmn_service_ask). */
static size_t s_hash(const void *key) {
    uint64_t x = (uint64_t)(uintptr_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static int s_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y ? -1 : x > y;
}

cmn_asks_t *cmn_asks_new(void) {
    cmn_asks_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->by_id = zhashx_new();
    if (!self->by_id) {
        free(self);
        return NULL;
    }
    zhashx_set_key_hasher(self->by_id, s_hash);
    zhashx_set_key_comparator(self->by_id, s_cmp);
    zhashx_set_key_duplicator(self->by_id, NULL);
    zhashx_set_key_destructor(self->by_id, NULL);
    return self;
}

void cmn_asks_destroy(cmn_asks_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_asks_t *self = *self_p;
    for (cmn_ask_t *a = zhashx_first(self->by_id); a; a = zhashx_next(self->by_id))
        cmn_ask_free(a);
    zhashx_destroy(&self->by_id);
    while (self->failed) {
        cmn_ask_t *a = self->failed;
        self->failed = a->next;
        cmn_ask_free(a);
    }
    free(self->heap);
    free(self);
    *self_p = NULL;
}

static void s_fail_push(cmn_asks_t *self, cmn_ask_t *a) {
    a->next = NULL;
    if (self->failed_tail)
        self->failed_tail->next = a;
    else
        self->failed = a;
    self->failed_tail = a;
    self->nfailed++;
}

static void s_swap(s_slot_t *a, s_slot_t *b) {
    s_slot_t t = *a;
    *a = *b;
    *b = t;
}

static int s_heap_push(cmn_asks_t *self, uint64_t deadline, uint64_t id) {
    if (self->nheap == self->capheap) {
        size_t cap = self->capheap ? self->capheap * 2 : 256;
        s_slot_t *h = realloc(self->heap, cap * sizeof(*h));
        if (!h)
            return -1;
        self->heap = h;
        self->capheap = cap;
    }
    size_t i = self->nheap++;
    self->heap[i] = (s_slot_t){deadline, id};
    while (i > 0 && self->heap[(i - 1) / 2].deadline_ms > self->heap[i].deadline_ms) {
        s_swap(&self->heap[(i - 1) / 2], &self->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

static void s_heap_pop(cmn_asks_t *self) {
    self->heap[0] = self->heap[--self->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < self->nheap && self->heap[l].deadline_ms < self->heap[m].deadline_ms)
            m = l;
        if (r < self->nheap && self->heap[r].deadline_ms < self->heap[m].deadline_ms)
            m = r;
        if (m == i)
            break;
        s_swap(&self->heap[i], &self->heap[m]);
        i = m;
    }
}

/* Drops heap slots whose ask was already answered (lazy deletion). */
static void s_heap_clean(cmn_asks_t *self) {
    while (self->nheap && !zhashx_lookup(self->by_id, (void *)(uintptr_t)self->heap[0].request_id))
        s_heap_pop(self);
}

int cmn_asks_add(cmn_asks_t *self, cmn_ask_t *a) {
    if (a->fail != DVCID__STATUS__STATUS_OK) {
        s_fail_push(self, a);
        return 0;
    }
    void *key = (void *)(uintptr_t)a->request_id;
    if (zhashx_insert(self->by_id, key, a) != 0)
        return -1;
    if (s_heap_push(self, a->deadline_ms, a->request_id) != 0) {
        zhashx_delete(self->by_id, key);
        return -1;
    }
    return 0;
}

cmn_ask_t *cmn_asks_take(cmn_asks_t *self, uint64_t request_id) {
    void *key = (void *)(uintptr_t)request_id;
    cmn_ask_t *a = zhashx_lookup(self->by_id, key);
    if (a)
        zhashx_delete(self->by_id, key);
    return a;
}

cmn_ask_t *cmn_asks_due(cmn_asks_t *self, uint64_t now_ms) {
    if (self->failed) {
        cmn_ask_t *a = self->failed;
        self->failed = a->next;
        if (!self->failed)
            self->failed_tail = NULL;
        self->nfailed--;
        a->next = NULL;
        return a;
    }
    s_heap_clean(self);
    if (!self->nheap || self->heap[0].deadline_ms > now_ms)
        return NULL;
    cmn_ask_t *a = cmn_asks_take(self, self->heap[0].request_id);
    s_heap_pop(self);
    if (a)
        a->fail = DVCID__STATUS__STATUS_TIMEOUT;
    return a;
}

int64_t cmn_asks_next_ms(const cmn_asks_t *self, uint64_t now_ms) {
    if (self->failed)
        return 0;
    /* A stale top only makes the loop wake early, never late. */
    if (!self->nheap)
        return -1;
    uint64_t d = self->heap[0].deadline_ms;
    return d <= now_ms ? 0 : (int64_t)(d - now_ms);
}

void cmn_asks_fail_all(cmn_asks_t *self, Dvcid__Status status) {
    for (cmn_ask_t *a = zhashx_first(self->by_id); a; a = zhashx_next(self->by_id)) {
        a->fail = status;
        s_fail_push(self, a);
    }
    zhashx_purge(self->by_id);
    self->nheap = 0;
}

size_t cmn_asks_count(const cmn_asks_t *self) { return zhashx_size(self->by_id) + self->nfailed; }

void cmn_asks_each(cmn_asks_t *self, void (*fn)(cmn_ask_t *a, void *arg), void *arg) {
    for (cmn_ask_t *a = zhashx_first(self->by_id); a; a = zhashx_next(self->by_id))
        fn(a, arg);
}

void cmn_ask_free(cmn_ask_t *a) {
    if (!a)
        return;
    free(a->data);
    free(a);
}
