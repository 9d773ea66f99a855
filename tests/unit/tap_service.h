/* tap_service.h: what the unit tests of the service loop share (test_service.c,
 * test_service_full.c): requests sent on a DEALER to a loop run in a thread. A route's
 * handler reads what to do from the request's client IP. */
#ifndef DVCID_TAP_SERVICE_H
#define DVCID_TAP_SERVICE_H

#include <czmq.h>

#include "cmn_service.h"
#include "tap.h"

/* A CaptchaNew from origin 77 with client IP how, or with lookup a JwksGet (a route the
 * tests mark read-only). */
static inline void tap_service_send(zsock_t *c, uint64_t rid, const char *how, int lookup) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__CaptchaNew body = DVCID__CAPTCHA_NEW__INIT;
    Dvcid__JwksGet jwks = DVCID__JWKS_GET__INIT;
    req.origin = 77;
    req.request_id = rid;
    req.client_ip = (char *)how;
    req.body_case = lookup ? DVCID__REQUEST__BODY_JWKS_GET : DVCID__REQUEST__BODY_CAPTCHA_NEW;
    if (lookup)
        req.jwks_get = &jwks;
    else
        req.captcha_new = &body;
    uint8_t buf[256];
    size_t n = dvcid__request__pack(&req, buf);
    CHECK(zsock_send(c, "b", buf, n) == 0, "send %llu", (unsigned long long)rid);
}

/* The next reply; NULL once the socket's receive timeout passes. Caller frees. */
static inline Dvcid__Reply *tap_service_recv(zsock_t *c) {
    zframe_t *f = zframe_recv(c);
    if (!f)
        return NULL;
    Dvcid__Reply *r = dvcid__reply__unpack(NULL, zframe_size(f), zframe_data(f));
    zframe_destroy(&f);
    return r;
}

static inline int tap_service_status(const Dvcid__Reply *r) {
    return r && r->error ? (int)r->error->status : 0;
}

/* The loop's thread: runs the service until SIGTERM. */
static inline void *tap_service_loop(void *arg) {
    cmn_service_run(arg);
    return NULL;
}

#endif
