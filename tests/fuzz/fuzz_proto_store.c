/* fuzz_proto_store: the records at rest (proto/store.proto) that account-svc,
 * otp-svc and sms-worker decode from their LMDB, and the SmsSend that sms-worker
 * decodes from a job's sealed body. The first byte picks the message type, the rest
 * is the record; each decodes or fails cleanly and round-trips (fuzz.h). */
#include "fuzz.h"
#include "proto/dvcid.pb-c.h"
#include "proto/store.pb-c.h"

static const ProtobufCMessageDescriptor *const s_types[] = {
    &dvcid__store__registration__descriptor, &dvcid__store__phone__descriptor,
    &dvcid__store__account__descriptor,      &dvcid__store__flow__descriptor,
    &dvcid__store__session__descriptor,      &dvcid__store__failures__descriptor,
    &dvcid__store__notice__descriptor,       &dvcid__store__captcha__descriptor,
    &dvcid__store__challenge__descriptor,    &dvcid__store__window__descriptor,
    &dvcid__store__sms_job__descriptor,      &dvcid__sms_send__descriptor,
};
#define S_NTYPES (sizeof(s_types) / sizeof(s_types[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    const ProtobufCMessageDescriptor *desc = s_types[data[0] % S_NTYPES];
    ProtobufCMessage *m = fuzz_proto_roundtrip(desc, data + 1, size - 1);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
