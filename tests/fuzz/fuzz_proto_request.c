/* fuzz_proto_request: the dvcid Request that every service decodes from its ROUTER
 * socket (cmn_service.c). Any bytes either fail to decode, or decode into a message
 * that keeps the invariants the handlers rely on (fuzz_proto_roundtrip) and packs,
 * decodes and packs again to the same bytes. */
#include "fuzz.h"
#include "proto/dvcid.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ProtobufCMessage *m = fuzz_proto_roundtrip(&dvcid__request__descriptor, data, size);
    if (!m)
        return 0;
    const Dvcid__Request *req = (const Dvcid__Request *)m;
    /* The service loop logs with these before any handler looks at the body. */
    FUZZ_CHECK(req->trace_id != NULL && req->client_ip != NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
