/* gw_request: the Request with its own storage. */
#include "gw_request.h"

#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "gw_str.h"

gw_request_t *gw_request_new(const char *trace, const char *client_ip, const char *id,
                             uint64_t deadline_ms) {
    gw_request_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    dvcid__request__init(&self->msg);
    gw_str_copy(self->trace, sizeof(self->trace), trace);
    gw_str_copy(self->client_ip, sizeof(self->client_ip), client_ip);
    gw_str_copy(self->id, sizeof(self->id), id);
    self->deadline_ms = deadline_ms;
    self->msg.client_ip = self->client_ip;
    self->msg.trace_id = self->trace;
    self->msg.lang = self->lang;
    return self;
}

void gw_request_set_accept_language(gw_request_t *self, const char *header) {
    gw_lang_accept(header, self->lang);
    self->msg.lang = self->lang;
}

int gw_request_set_token(gw_request_t *self, const char *token) {
    size_t len = strlen(token);
    if (len >= sizeof(self->token)) {
        self->token[0] = '\0';
        return -1;
    }
    memcpy(self->token, token, len + 1);
    return 0;
}

void gw_request_destroy(gw_request_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_wipe((*self_p)->token, sizeof((*self_p)->token));
    json_decref((*self_p)->json);
    if ((*self_p)->raw) /* may hold a password: wiped like the token */
        cmn_wipe((*self_p)->raw, (*self_p)->raw_len);
    free((*self_p)->raw);
    free(*self_p);
    *self_p = NULL;
}
