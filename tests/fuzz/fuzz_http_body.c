/* fuzz_http_body: what the gateway makes of an HTTP request line and JSON body,
 * before anything leaves the process: the route lookup (gw_routes_match) and the
 * route's builder from JSON text to a dvcid Request (gw_routes_build). Input: a
 * first line "METHOD /path", then the body. Every input ends as either a Request
 * whose strings are valid UTF-8 within the length caps and that round-trips on the
 * wire, or a 400/422 answer with a JSON error body. Routes added to the table are
 * fuzzed without a change here. */
#include <stdlib.h>
#include <string.h>

#include "cmn_validate.h"
#include "fuzz.h"
#include "gw_routes.h"
#include "proto/dvcid.pb-c.h"

#define S_LINE_MAX 512

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* Each string field of the request's body message is valid UTF-8 within the caps. */
static void s_check_body(const Dvcid__Request *req) {
    const ProtobufCFieldDescriptor *bf =
        protobuf_c_message_descriptor_get_field(&dvcid__request__descriptor, req->body_case);
    FUZZ_CHECK(bf != NULL && bf->type == PROTOBUF_C_TYPE_MESSAGE);
    const void *member;
    memcpy(&member, (const char *)req + bf->offset, sizeof(member));
    const ProtobufCMessage *body = member;
    FUZZ_CHECK(body != NULL);
    const ProtobufCMessageDescriptor *d = body->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (d->fields[i].type != PROTOBUF_C_TYPE_STRING ||
            d->fields[i].label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const char *s;
        memcpy(&s, (const char *)body + d->fields[i].offset, sizeof(s));
        FUZZ_CHECK(s != NULL);
        size_t len = strlen(s);
        FUZZ_CHECK(len <= GW_BODY_STR_MAX);
        FUZZ_CHECK(cmn_utf8_valid(s, len));
    }
}

static void s_check_built(const gw_request_t *req) {
    FUZZ_CHECK(req->msg.body_case != DVCID__REQUEST__BODY__NOT_SET);
    size_t len = dvcid__request__get_packed_size(&req->msg);
    uint8_t *buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(dvcid__request__pack(&req->msg, buf) == len);
    ProtobufCMessage *back = fuzz_proto_roundtrip(&dvcid__request__descriptor, buf, len);
    FUZZ_CHECK(back != NULL);
    const Dvcid__Request *r = (const Dvcid__Request *)back;
    FUZZ_CHECK(r->body_case == req->msg.body_case);
    s_check_body(r);
    protobuf_c_message_free_unpacked(back, NULL);
    free(buf);
}

static void s_check_refused(const gw_answer_t *err) {
    FUZZ_CHECK(err->status == 400 || err->status == 422 || err->status == 500);
    if (!err->body) {
        FUZZ_CHECK(err->status == 500); /* out of memory: a bare 500 */
        return;
    }
    json_error_t jerr;
    json_t *obj = json_loadb(err->body, err->len, 0, &jerr);
    FUZZ_CHECK(obj != NULL && json_is_object(json_object_get(obj, "error")));
    json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line_len = nl ? (size_t)(nl - data) : size;
    if (line_len > S_LINE_MAX)
        return 0;
    char line[S_LINE_MAX + 1];
    memcpy(line, data, line_len);
    line[line_len] = '\0';
    char *path = strchr(line, ' ');
    if (!path)
        return 0;
    *path++ = '\0';
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t body_len = nl ? size - line_len - 1 : 0;

    const gw_route_t *route = NULL;
    char id[GW_ID_MAX + 1];
    char allow[64];
    gw_match_t match = gw_routes_match(line, path, &route, id, allow, sizeof(allow));
    if (match == GW_MATCH_BAD_METHOD)
        FUZZ_CHECK(allow[0] != '\0');
    if (match != GW_MATCH_OK)
        return 0;
    FUZZ_CHECK(route != NULL && strlen(id) <= GW_ID_MAX);
    if (!route->build)
        return 0;

    gw_request_t *req = gw_request_new("0123456789abcdef", "203.0.113.7", id, UINT64_MAX);
    FUZZ_CHECK(req != NULL);
    if (route->flags & GW_ROUTE_SESSION) /* the HTTP layer found one (gw_session) */
        FUZZ_CHECK(gw_request_set_token(req, "0123456789abcdef-._~+/=") == 0);
    gw_answer_t err;
    memset(&err, 0, sizeof(err));
    if (gw_routes_build(route, req, body, body_len, &err) == 0)
        s_check_built(req);
    else
        s_check_refused(&err);
    gw_answer_clear(&err);
    gw_request_destroy(&req);
    return 0;
}
