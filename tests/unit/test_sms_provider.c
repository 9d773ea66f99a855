/* Unit test of what every threaded SMS provider shares (sms_provider.c), through a fake
 * kind that holds up to two requests and answers them when told: a full queue refuses a
 * request (and frees it), the thread answers each request once with its provider index,
 * and at a stop what is out gets the grace (its own outcome), what still waits in the
 * queue fails with "stopping", and an idle provider stops at once. */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_chan.h"
#include "cmn_time.h"
#include "sms_provider.h"
#include "tap.h"

#define S_WINDOW 2

typedef struct {
    sms_provider_t base;
    atomic_bool answer; /* answer what it holds (else keep it out) */
    sms_req_t *held[S_WINDOW];
    int nheld;
} s_fake_t;

static atomic_int s_freed;

static void s_run(sms_provider_t *base) {
    s_fake_t *self = (s_fake_t *)base;
    while (!sms_provider_over(base, self->nheld == 0)) {
        sms_req_t *req;
        while (!sms_provider_stopping(base) && self->nheld < S_WINDOW &&
               (req = sms_provider_next(base)))
            self->held[self->nheld++] = req;
        if (atomic_load(&self->answer)) {
            for (int i = 0; i < self->nheld; i++) {
                sms_provider_post(base, SMS_RES_ACCEPTED, self->held[i], "ref", NULL);
                sms_req_free(self->held[i]);
            }
            self->nheld = 0;
        }
        struct pollfd p = {.fd = sms_provider_fd(base), .events = POLLIN};
        (void)poll(&p, 1, 10);
    }
    /* Out after the grace: may have been taken. */
    for (int i = 0; i < self->nheld; i++) {
        sms_provider_post(base, SMS_RES_UNKNOWN, self->held[i], NULL, "grace over");
        sms_req_free(self->held[i]);
    }
    self->nheld = 0;
}

static void s_free(sms_provider_t *base) {
    atomic_fetch_add(&s_freed, 1);
    free(base);
}

static const sms_provider_ops_t s_ops = {.run = s_run, .free = s_free};

static sms_provider_t *s_new(cmn_chan_t *results, size_t queue) {
    s_fake_t *self = calloc(1, sizeof(*self));
    if (!self || sms_provider_init(&self->base, &s_ops, "fake", 5, results, queue) != 0) {
        free(self);
        return NULL;
    }
    return &self->base;
}

static int s_submit(sms_provider_t *p, const char *id) {
    sms_req_t *req = calloc(1, sizeof(*req));
    if (!req)
        return -1;
    sms_copy(req->message_id, sizeof(req->message_id), id);
    sms_copy(req->to, sizeof(req->to), "+84912345678");
    req->purpose = "login";
    return sms_provider_submit(p, req);
}

/* Waits up to ms for n outcomes; counts each kind into counts[] and checks the
 * provider index. Returns how many came. */
static int s_collect(cmn_chan_t *ch, int n, int ms, int counts[6], char *first, size_t len) {
    int got = 0;
    uint64_t until = cmn_time_mono_ms() + (uint64_t)ms;
    while (got < n && cmn_time_mono_ms() < until) {
        sms_res_t *res = cmn_chan_pop(ch);
        if (!res) {
            struct pollfd p = {.fd = cmn_chan_fd(ch), .events = POLLIN};
            (void)poll(&p, 1, 10);
            continue;
        }
        CHECK(res->prov == 5, "outcome of provider %d", res->prov);
        if (res->kind <= SMS_RES_RECEIPT)
            counts[res->kind]++;
        if (got == 0 && first)
            CHECK(snprintf(first, len, "%s|%s", res->message_id, res->why) >= 0, "first");
        got++;
        free(res);
    }
    return got;
}

int main(void) {
    cmn_chan_t *results = cmn_chan_new(0);
    sms_provider_t *p = results ? s_new(results, 4) : NULL;
    CHECK(p != NULL, "fake provider");
    if (!p)
        return TEST_DONE();
    CHECK(!sms_provider_in_batch(p) && sms_provider_flush(p) == 0,
          "a threaded provider answers outside the batch");

    /* A full queue refuses (the request is freed: ASan would see a leak). */
    CHECK(sms_provider_room(p) == 4, "room %zu", sms_provider_room(p));
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "q-%d", i);
        CHECK(s_submit(p, id) == 0, "submit %s", id);
    }
    CHECK(sms_provider_room(p) == 0 && s_submit(p, "q-full") == -1, "a full queue took more");

    /* Started and answering: each request answered once, in order, room again. */
    s_fake_t *fake = (s_fake_t *)p;
    atomic_store(&fake->answer, true);
    CHECK(sms_provider_start(p) == 0, "start");
    int counts[6] = {0};
    char first[128] = "";
    CHECK(s_collect(results, 4, 5000, counts, first, sizeof(first)) == 4 &&
              counts[SMS_RES_ACCEPTED] == 4,
          "answered %d", counts[SMS_RES_ACCEPTED]);
    CHECK(strncmp(first, "q-0|", 4) == 0, "first outcome %s", first);
    CHECK(sms_provider_room(p) == 4, "room after the answers");

    /* Holding: two out, one waiting in the queue. At the stop the two out get the
     * grace and their own outcome after it; the one waiting fails as never sent. */
    atomic_store(&fake->answer, false);
    CHECK(s_submit(p, "h-0") == 0 && s_submit(p, "h-1") == 0 && s_submit(p, "h-2") == 0,
          "submit while holding");
    uint64_t wait_until = cmn_time_mono_ms() + 2000;
    while (sms_provider_room(p) != 3 && cmn_time_mono_ms() < wait_until) {
        struct pollfd none = {.fd = -1};
        (void)poll(&none, 0, 5);
    }
    CHECK(sms_provider_room(p) == 3, "the thread holds two, one waits");
    uint64_t t0 = cmn_time_mono_ms();
    sms_provider_destroy(&p);
    uint64_t took = cmn_time_mono_ms() - t0;
    CHECK(p == NULL && atomic_load(&s_freed) == 1, "destroy frees through the kind and nulls");
    CHECK(took >= 1500 && took < 10000, "the stop waited %llu ms for the grace",
          (unsigned long long)took);
    memset(counts, 0, sizeof(counts));
    CHECK(s_collect(results, 3, 1000, counts, first, sizeof(first)) == 3 &&
              counts[SMS_RES_UNKNOWN] == 2 && counts[SMS_RES_FAILED] == 1,
          "at the stop: %d unknown, %d failed", counts[SMS_RES_UNKNOWN], counts[SMS_RES_FAILED]);
    CHECK(strncmp(first, "h-0|grace over", 14) == 0, "the grace's outcomes first: %s", first);
    CHECK(cmn_chan_pop(results) == NULL, "one outcome per request");

    /* Idle at the stop: no grace to wait for. */
    p = s_new(results, 4);
    CHECK(p && sms_provider_start(p) == 0, "second fake");
    t0 = cmn_time_mono_ms();
    sms_provider_destroy(&p);
    CHECK(cmn_time_mono_ms() - t0 < 1000 && atomic_load(&s_freed) == 2, "an idle stop waited");
    sms_provider_destroy(&p);

    cmn_chan_destroy(&results, free);
    return TEST_DONE();
}
