/* sms_dlrd: the receipt listener for HTTP gateways (Kannel's dlr-url). The http
 * provider puts {dlr_url} = http://<sms.dlr_listen>/dlr?id=<message_id>&type=%d
 * in its request; Kannel calls it with %d replaced by its report type (1
 * delivered, 2 undeliverable, 4 queued at the SMSC, 8 at the SMSC, 16 refused by
 * the SMSC). libmicrohttpd runs it on its own thread; each report becomes an
 * SMS_RES_RECEIPT in the results channel, handled by the loop like any outcome.
 *
 * Anyone who can reach the port could otherwise mark any message delivered (or
 * fill the status table with made-up ids): a connection from outside
 * sms.dlr_allow is refused before a byte is read, a request without the secret
 * token of the dlr-url gets 403 (compared in constant time), and the loop drops a
 * receipt for a message id the queue does not know (sms_outcome.c). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_cidr.h"
#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_worker_int.h"

struct sms_dlrd {
    struct MHD_Daemon *daemon;
    int prov;
    cmn_chan_t *results;
    cmn_cidr_t *allow;
    uint8_t token_hash[crypto_generichash_BYTES]; /* of sms.dlr_token: compared by hash */
    atomic_uint_fast64_t refused_token, refused_source;
};

/* Hashing both sides first makes the comparison constant in time whatever the
 * lengths (sodium_memcmp needs two buffers of one length). */
static void s_token_hash(const char *token, uint8_t out[crypto_generichash_BYTES]) {
    crypto_generichash(out, crypto_generichash_BYTES, (const unsigned char *)token, strlen(token),
                       NULL, 0);
}

void sms_dlrd_token_derive(const uint8_t key[CMN_KEY_BYTES], char *out, size_t outlen) {
    static const char label[] = "dvcid sms dlr-url token";
    const void *parts[] = {label};
    size_t lens[] = {sizeof(label) - 1};
    uint8_t h[CMN_HASH_BYTES];
    cmn_hash_keyed(key, parts, lens, 1, h);
    char hex[2 * 16 + 1];
    sodium_bin2hex(hex, sizeof(hex), h, 16);
    snprintf(out, outlen, "%s", hex);
    cmn_wipe(h, sizeof(h));
}

void sms_dlrd_refused(const sms_dlrd_t *self, uint64_t *token, uint64_t *source) {
    *token = self ? atomic_load(&self->refused_token) : 0;
    *source = self ? atomic_load(&self->refused_source) : 0;
}

/* The accept policy: called with the peer before the connection is set up. */
static enum MHD_Result s_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
    (void)addrlen;
    sms_dlrd_t *self = cls;
    char text[INET6_ADDRSTRLEN] = "";
    if (addr && addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, text, sizeof(text));
    else if (addr && addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, text, sizeof(text));
    if (cmn_cidr_has(self->allow, text))
        return MHD_YES;
    atomic_fetch_add(&self->refused_source, 1);
    CMN_WARN(NULL, "sms: receipt listener refused a connection from %s (not in sms.dlr_allow)",
             text[0] ? text : "?");
    return MHD_NO;
}

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
    const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    uint8_t h[crypto_generichash_BYTES];
    s_token_hash(token ? token : "", h);
    if (!token || sodium_memcmp(h, self->token_hash, sizeof(h)) != 0) {
        atomic_fetch_add(&self->refused_token, 1);
        return s_answer(conn, MHD_HTTP_FORBIDDEN, "forbidden\n");
    }
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
    if (cmn_chan_push(self->results, res) != 0) {
        free(res);
        return s_answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy\n");
    }
    return s_answer(conn, MHD_HTTP_OK, "OK\n");
}

sms_dlrd_t *sms_dlrd_new(const sms_settings_t *set, int prov, cmn_chan_t *results) {
    const char *listen = set->dlr_listen;
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
    self->allow = cmn_cidr_new(set->dlr_allow, "sms.dlr_allow");
    size_t tlen = strlen(set->dlr_token);
    if (!self->allow || tlen < 16 ||
        strspn(set->dlr_token,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != tlen) {
        if (self->allow) /* it stands in a URL as it is */
            CMN_ERROR(NULL, "sms.dlr_token: expected 16 or more of A-Z a-z 0-9 - . _ ~");
        sms_dlrd_destroy(&self);
        return NULL;
    }
    s_token_hash(set->dlr_token, self->token_hash);
    self->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                    (uint16_t)port, s_accept, self, s_on_request, self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!self->daemon) {
        CMN_ERROR(NULL, "sms: cannot listen for receipts on %s", listen);
        sms_dlrd_destroy(&self);
        return NULL;
    }
    CMN_INFO(NULL, "sms: receipts (dlr-url) on http://%s/dlr", listen);
    return self;
}

void sms_dlrd_destroy(sms_dlrd_t **self_p) {
    if (!self_p || !*self_p)
        return;
    if ((*self_p)->daemon)
        MHD_stop_daemon((*self_p)->daemon);
    cmn_cidr_destroy(&(*self_p)->allow);
    free(*self_p);
    *self_p = NULL;
}
