/* sms_provider: what every provider shares: destroy through the vtable, and the
 * requests and outcomes that cross between the loop and a provider thread. */
#include "sms_provider.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"

void sms_provider_destroy(sms_provider_t **self_p) {
    if (self_p && *self_p)
        (*self_p)->destroy(self_p);
}

int sms_provider_submit(sms_provider_t *self, sms_req_t *req) { return self->submit(self, req); }

size_t sms_provider_room(sms_provider_t *self) { return self->room ? self->room(self) : SIZE_MAX; }

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

void sms_res_post(sms_chan_t *results, sms_res_kind_t kind, int prov, const sms_req_t *req,
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
    if (sms_chan_push(results, res) != 0) /* unbounded: only out of memory */
        abort();
}
