/* cmn_client: a blocking round trip over a fresh DEALER, CURVE as configured. */
#include "cmn_client.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmn_curve.h"
#include "cmn_endpoints.h"
#include "cmn_time.h"

/* One try against one endpoint. */
static int s_call(cmn_curve_t *curve, const char *key, const char *endpoint, const char *server_key,
                  Dvcid__Request *req, int timeout_ms, Dvcid__Reply **reply, char *err,
                  size_t errlen) {
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s) {
        snprintf(err, errlen, "cannot create a socket");
        return -1;
    }
    zsock_set_linger(s, 0);
    zsock_set_rcvtimeo(s, timeout_ms);
    zsock_set_sndtimeo(s, timeout_ms);
    int rc = -1;
    if (cmn_curve_client(curve, s, key, endpoint, server_key, err, errlen) != 0)
        goto done;
    if (zsock_connect(s, "%s", endpoint) < 0) {
        snprintf(err, errlen, "cannot connect to %s", endpoint);
        goto done;
    }
    req->origin = 0; /* a tool's request: not kept in the reply cache */
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
        snprintf(err, errlen, "%s: no answer within %d ms (is the service running?%s)", endpoint,
                 timeout_ms,
                 cmn_curve_enabled(curve) ? " does it accept this host's CURVE key?" : "");
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

int cmn_client_call(const cmn_config_t *cfg, const char *endpoints, Dvcid__Request *req,
                    int timeout_ms, Dvcid__Reply **reply, char *err, size_t errlen) {
    *reply = NULL;
    zsys_handler_set(NULL);
    cmn_curve_t *curve = cmn_curve_new(cfg, err, errlen);
    if (!curve)
        return -1;
    cmn_endpoints_t *eps = cmn_endpoints_new("endpoint", endpoints, err, errlen);
    int rc = -1;
    /* The instances of shard 0 in turn, until one answers. */
    for (int i = 0; eps && rc != 0 && i < cmn_endpoints_instances(eps, 0); i++)
        rc = s_call(curve, cmn_endpoints_name(eps), cmn_endpoints_get(eps, 0, i),
                    cmn_endpoints_server_key(eps, 0, i), req, timeout_ms, reply, err, errlen);
    cmn_endpoints_destroy(&eps);
    cmn_curve_destroy(&curve);
    return rc;
}
