/* fuzz_proto_reply: the dvcid Reply that each service decodes from the peers it asks
 * (cmn_service.c), and what the gateway then makes of it: every route's renderer and
 * the error table get the decoded reply, as a backend that misbehaves could send it.
 * A reply decodes or fails cleanly, round-trips (fuzz.h), and renders into an HTTP
 * answer with a status and a JSON body, never a crash. */
#include <string.h>

#include "fuzz.h"
#include "gw_errors.h"
#include "gw_routes.h"
#include "proto/dvcid.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* ans holds a status and a JSON body that parses (only a 204 and a bare 500 have
 * none). */
static void s_check_answer(const gw_answer_t *ans) {
    FUZZ_CHECK(ans->status >= 200 && ans->status <= 599);
    FUZZ_CHECK(ans->body != NULL || ans->status == 204 || ans->status == 500);
    if (ans->body && ans->content_type && strcmp(ans->content_type, GW_CT_JSON) == 0) {
        json_error_t jerr;
        json_t *back = json_loadb(ans->body, ans->len, 0, &jerr);
        FUZZ_CHECK(back != NULL);
        json_decref(back);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ProtobufCMessage *m = fuzz_proto_roundtrip(&dvcid__reply__descriptor, data, size);
    if (!m)
        return 0;
    const Dvcid__Reply *reply = (const Dvcid__Reply *)m;
    size_t n;
    const gw_route_t *routes = gw_routes_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (!routes[i].build)
            continue; /* a local route: no reply to render */
        gw_answer_t ans;
        memset(&ans, 0, sizeof(ans));
        int rc = gw_routes_render(&routes[i], reply, &ans);
        FUZZ_CHECK(rc == 0 || ans.status == 500);
        s_check_answer(&ans);
        gw_answer_clear(&ans);
    }
    if (reply->error) {
        gw_answer_t ans;
        memset(&ans, 0, sizeof(ans));
        FUZZ_CHECK(gw_errors_answer_reply(&ans, reply->error) == 0 || ans.status == 500);
        s_check_answer(&ans);
        gw_answer_clear(&ans);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
