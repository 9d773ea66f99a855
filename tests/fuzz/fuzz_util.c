/* fuzz_util: the helpers every fuzz target shares (fuzz.h). */
#include "fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"

/* The sanitizers' report channel, which stays open when libFuzzer runs with
 * -close_fd_mask=2 (stderr closed to silence the code under test's logging). */
extern void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

void fuzz_fail(const char *what, const char *file, int line) {
    char msg[512];
    snprintf(msg, sizeof(msg), "FUZZ_CHECK failed at %s:%d: %s", file, line, what);
    fprintf(stderr, "%s\n", msg);
    if (__sanitizer_report_error_summary)
        __sanitizer_report_error_summary(msg);
    abort();
}

void fuzz_setup(void) {
    /* Hostile inputs make the code under test log a warning per input; only errors
     * are worth the time it takes to print them. */
    FUZZ_CHECK(cmn_log_init("fuzz", "error") == 0);
    FUZZ_CHECK(cmn_crypto_init() == 0);
}

char *fuzz_cstr(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fuzz_fields(char *s, char **fields, int max) {
    static char empty[1];
    int n = 0;
    while (s && n < max - 1) {
        fields[n++] = s;
        char *nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        s = nl ? nl + 1 : NULL;
    }
    if (s && n < max)
        fields[n++] = s; /* the last field takes the rest, newlines included */
    int found = n;
    while (n < max)
        fields[n++] = empty;
    return found;
}

/* What dvcid's code assumes of any decoded message: every string of it (repeated ones
 * included) is non-NULL, a oneof whose case is set points at its member, and every
 * element of a repeated message field exists. */
static void s_proto_check(const ProtobufCMessage *m) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof(which));
            if (which != f->id)
                continue;
        }
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            void *const *items;
            memcpy(&n, base + f->quantifier_offset, sizeof(n));
            memcpy(&items, base + f->offset, sizeof(items));
            FUZZ_CHECK(n == 0 || items != NULL);
            for (size_t k = 0; k < n; k++) {
                FUZZ_CHECK(items[k] != NULL);
                if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                    s_proto_check(items[k]);
            }
            continue;
        }
        const void *v;
        memcpy(&v, base + f->offset, sizeof(v));
        if (f->type == PROTOBUF_C_TYPE_STRING)
            FUZZ_CHECK(v != NULL);
        else if (v != NULL)
            s_proto_check(v);
        else
            FUZZ_CHECK(!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)); /* a set oneof has it */
    }
}

/* True when m, or a message inside it, kept an unknown field numbered 0. protobuf-c 1.4
 * checks only the first byte of a tag for zero, so a zero tag written in two bytes
 * (80 00) decodes, and re-encodes as the one byte 00 that does not. */
static bool s_has_zero_tag(const ProtobufCMessage *m) {
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return true;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof(which));
            if (which != f->id)
                continue;
        }
        size_t n = 1;
        const ProtobufCMessage *const *items;
        const void *one;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            memcpy(&n, base + f->quantifier_offset, sizeof(n));
            memcpy(&items, base + f->offset, sizeof(items));
        } else {
            memcpy(&one, base + f->offset, sizeof(one));
            items = (const ProtobufCMessage *const *)&one;
            n = one ? 1 : 0;
        }
        for (size_t k = 0; k < n; k++)
            if (s_has_zero_tag(items[k]))
                return true;
    }
    return false;
}

ProtobufCMessage *fuzz_proto_roundtrip(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                       size_t size) {
    ProtobufCMessage *first = protobuf_c_message_unpack(desc, NULL, size, data);
    if (!first)
        return NULL;
    s_proto_check(first);
    size_t len1 = protobuf_c_message_get_packed_size(first);
    uint8_t *buf1 = malloc(len1 ? len1 : 1);
    FUZZ_CHECK(buf1 != NULL);
    FUZZ_CHECK(protobuf_c_message_pack(first, buf1) == len1);

    ProtobufCMessage *second = protobuf_c_message_unpack(desc, NULL, len1, buf1);
    if (!second && s_has_zero_tag(first)) {
        free(buf1); /* the protobuf-c quirk above, not a dvcid bug */
        return first;
    }
    FUZZ_CHECK(second != NULL);
    size_t len2 = protobuf_c_message_get_packed_size(second);
    uint8_t *buf2 = malloc(len2 ? len2 : 1);
    FUZZ_CHECK(buf2 != NULL);
    FUZZ_CHECK(protobuf_c_message_pack(second, buf2) == len2);
    FUZZ_CHECK(len1 == len2 && memcmp(buf1, buf2, len1) == 0);

    protobuf_c_message_free_unpacked(second, NULL);
    free(buf2);
    free(buf1);
    return first;
}
