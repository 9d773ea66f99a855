/* sms_provider: what every provider shares (see sms_provider.h): its queue and thread,
 * submit, room and the stop; and the requests and outcomes that cross between the loop
 * and a provider. */
#include "sms_provider.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"

/* At a stop, requests out with a provider get this long to be answered. */
#define S_STOP_GRACE_MS 2000

int sms_provider_init(sms_provider_t *self, const sms_provider_ops_t *ops, const char *name,
                      int prov, cmn_chan_t *results, size_t queue) {
    self->ops = ops;
    self->name = name;
    self->prov = prov;
    self->results = results;
    atomic_init(&self->stop, false);
    if (ops->run && !(self->in = cmn_chan_new(queue)))
        return -1;
    return 0;
}

void *sms_provider_alloc(const sms_settings_t *s,
                         int (*check)(const sms_settings_t *s, char *err, size_t errlen),
                         size_t size, size_t set_offset, const char *kind) {
    char err[512];
    if (check(s, err, sizeof(err)) != 0) {
        CMN_ERROR(NULL, "%s", err);
        return NULL;
    }
    char *self = calloc(1, size);
    if (!self) {
        CMN_ERROR(NULL, "sms %s: out of memory", s->name[0] ? s->name : kind);
        return NULL;
    }
    sms_settings_t *set = (sms_settings_t *)(self + set_offset);
    *set = *s;
    if (!set->name[0])
        sms_copy(set->name, sizeof(set->name), kind);
    return self;
}

static void *s_main(void *arg) {
    sms_provider_t *self = arg;
    self->ops->run(self);
    /* What never left: failed, so the router may try another provider. */
    sms_provider_fail_waiting(self, "stopping");
    return NULL;
}

int sms_provider_start(sms_provider_t *self) {
    if (pthread_create(&self->thread, NULL, s_main, self) != 0) {
        CMN_ERROR(NULL, "sms %s: cannot start its thread", self->name);
        return -1;
    }
    self->started = true;
    return 0;
}

int sms_provider_submit(sms_provider_t *self, sms_req_t *req) {
    if (self->ops->take) {
        self->ops->take(self, req);
        return 0;
    }
    if (cmn_chan_push(self->in, req) != 0) {
        sms_req_free(req);
        return -1;
    }
    return 0;
}

size_t sms_provider_room(sms_provider_t *self) {
    return self->in ? cmn_chan_room(self->in) : SIZE_MAX;
}

bool sms_provider_in_batch(const sms_provider_t *self) { return self->ops->flush != NULL; }

int sms_provider_flush(sms_provider_t *self) {
    if (!self->ops->flush)
        return 0;
    self->ops->flush(self);
    return 1;
}

void sms_provider_destroy(sms_provider_t **self_p) {
    if (!self_p || !*self_p)
        return;
    sms_provider_t *self = *self_p;
    if (self->started) {
        atomic_store(&self->stop, true);
        if (self->ops->wake)
            self->ops->wake(self);
        else
            cmn_chan_poke(self->in);
        pthread_join(self->thread, NULL);
    }
    cmn_chan_destroy(&self->in, (void (*)(void *))sms_req_free);
    self->ops->free(self);
    *self_p = NULL;
}

sms_req_t *sms_provider_next(sms_provider_t *self) { return cmn_chan_pop(self->in); }

int sms_provider_fd(const sms_provider_t *self) { return cmn_chan_fd(self->in); }

bool sms_provider_stopping(sms_provider_t *self) { return atomic_load(&self->stop); }

bool sms_provider_over(sms_provider_t *self, bool idle) {
    if (!atomic_load(&self->stop))
        return false;
    uint64_t now = cmn_time_mono_ms();
    if (!self->grace_until_ms)
        self->grace_until_ms = now + S_STOP_GRACE_MS;
    return idle || now >= self->grace_until_ms;
}

void sms_provider_post(sms_provider_t *self, sms_res_kind_t kind, const sms_req_t *req,
                       const char *ref, const char *why) {
    sms_res_post(self->results, kind, self->prov, req, ref, why);
}

void sms_provider_fail_waiting(sms_provider_t *self, const char *why) {
    sms_req_t *req;
    while (self->in && (req = cmn_chan_pop(self->in))) {
        sms_provider_post(self, SMS_RES_FAILED, req, NULL, why);
        sms_req_free(req);
    }
}

void sms_req_free(sms_req_t *req) {
    if (!req)
        return;
    cmn_wipe(req->text, sizeof(req->text));
    free(req);
}

void sms_copy(char *dst, size_t size, const char *src) {
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void sms_res_post(cmn_chan_t *results, sms_res_kind_t kind, int prov, const sms_req_t *req,
                  const char *ref, const char *why) {
    sms_res_t *res = calloc(1, sizeof(*res));
    if (!res)
        abort(); /* see the header: an outcome may not be dropped */
    res->kind = kind;
    res->prov = prov;
    res->at_ms = cmn_time_now_ms();
    if (req) {
        sms_copy(res->message_id, sizeof(res->message_id), req->message_id);
        sms_copy(res->to, sizeof(res->to), req->to);
    }
    if (ref)
        sms_copy(res->ref, sizeof(res->ref), ref);
    if (why)
        sms_copy(res->why, sizeof(res->why), why);
    if (cmn_chan_push(results, res) != 0) /* unbounded: only out of memory */
        abort();
}
