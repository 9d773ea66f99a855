/* cmn_client: a blocking round trip over a fresh DEALER. */
#include "cmn_client.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmn_time.h"

int cmn_client_call(const char *endpoint, Dvcid__Request *req, int timeout_ms, Dvcid__Reply **reply,
                    char *err, size_t errlen) {
    *reply = NULL;
    zsys_handler_set(NULL);
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s) {
        snprintf(err, errlen, "cannot create a socket");
        return -1;
    }
    zsock_set_linger(s, 0);
    zsock_set_rcvtimeo(s, timeout_ms);
    zsock_set_sndtimeo(s, timeout_ms);
    int rc = -1;
    if (zsock_connect(s, "%s", endpoint) < 0) {
        snprintf(err, errlen, "cannot connect to %s", endpoint);
        goto done;
    }
    req->request_id = 1;
    req->deadline_ms = cmn_time_now_ms() + (uint64_t)timeout_ms;
    size_t len = dvcid__request__get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        goto done;
    dvcid__request__pack(req, buf);
    zframe_t *f = zframe_new(buf, len);
    free(buf);
    if (!f || zframe_send(&f, s, 0) != 0) {
        zframe_destroy(&f);
        snprintf(err, errlen, "%s: cannot send", endpoint);
        goto done;
    }
    zframe_t *in = zframe_recv(s);
    if (!in) {
        snprintf(err, errlen, "%s: no answer within %d ms (is the service running?)", endpoint,
                 timeout_ms);
        goto done;
    }
    *reply = dvcid__reply__unpack(NULL, zframe_size(in), zframe_data(in));
    zframe_destroy(&in);
    if (!*reply)
        snprintf(err, errlen, "%s: the answer is not a dvcid Reply", endpoint);
    else
        rc = 0;
done:
    zsock_destroy(&s);
    return rc;
}
