/* sms_dlrd: the receipt listener for HTTP gateways (Kannel's dlr-url). The http
 * provider puts {dlr_url} = http://<sms.dlr_listen>/dlr?id=<message_id>&type=%d
 * in its request; Kannel calls it with %d replaced by its report type (1
 * delivered, 2 undeliverable, 4 queued at the SMSC, 8 at the SMSC, 16 refused by
 * the SMSC). libmicrohttpd runs it on its own thread; each report becomes an
 * SMS_RES_RECEIPT in the results channel, handled by the loop like any outcome. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_worker_int.h"

struct sms_dlrd {
    struct MHD_Daemon *daemon;
    int prov;
    sms_chan_t *results;
};

static sms_dlr_t s_dlr_kannel(long type) {
    if (type & 1)
        return SMS_DLR_DELIVERED;
    if (type & (2 | 16))
        return SMS_DLR_FAILED;
    return SMS_DLR_ACCEPTED;
}

static enum MHD_Result s_answer(struct MHD_Connection *conn, unsigned status, const char *text) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **req_cls) {
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    sms_dlrd_t *self = cls;
    if (strcmp(method, "GET") != 0 || strcmp(url, "/dlr") != 0)
        return s_answer(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "id");
    const char *type = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "type");
    char *end = NULL;
    long t = type ? strtol(type, &end, 10) : -1;
    if (!id || !id[0] || strlen(id) > SMS_ID_MAX || !end || *end || t < 0)
        return s_answer(conn, MHD_HTTP_BAD_REQUEST, "expected id and type\n");
    sms_res_t *res = calloc(1, sizeof(*res));
    if (!res)
        return s_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy\n");
    res->kind = SMS_RES_RECEIPT;
    res->prov = self->prov;
    res->dlr = s_dlr_kannel(t);
    res->at_ms = cmn_time_now_ms();
    snprintf(res->message_id, sizeof(res->message_id), "%s", id);
    if (sms_chan_push(self->results, res) != 0) {
        free(res);
        return s_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy\n");
    }
    return s_answer(conn, MHD_HTTP_OK, "OK\n");
}

sms_dlrd_t *sms_dlrd_new(const char *listen, int prov, sms_chan_t *results) {
    char host[64];
    const char *colon = strrchr(listen, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) || port < 1 || port > 65535) {
        CMN_ERROR(NULL, "sms.dlr_listen \"%s\": expected host:port", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        CMN_ERROR(NULL, "sms.dlr_listen \"%s\": expected an IPv4 address", listen);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    sms_dlrd_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->prov = prov;
    self->results = results;
    self->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
                         NULL, s_on_request, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!self->daemon) {
        CMN_ERROR(NULL, "sms: cannot listen for receipts on %s", listen);
        free(self);
        return NULL;
    }
    CMN_INFO(NULL, "sms: receipts (dlr-url) on http://%s/dlr", listen);
    return self;
}

void sms_dlrd_destroy(sms_dlrd_t **self_p) {
    if (!self_p || !*self_p)
        return;
    MHD_stop_daemon((*self_p)->daemon);
    free(*self_p);
    *self_p = NULL;
}
