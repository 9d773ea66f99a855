/* fuzz: what the libFuzzer targets of tests/fuzz/ share. Each fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); with clang the
 * target links libFuzzer, with any other compiler replay_main.c drives it over the
 * seed corpus (and a few thousand mutations of it) so the ASan+UBSan build of
 * `make test` still runs every input. Invariants are checked with FUZZ_CHECK, which
 * aborts: libFuzzer and the replay driver both report an abort as a crash. */
#ifndef FUZZ_H
#define FUZZ_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points (declared here because libFuzzer ships no header). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with file:line and the failed condition. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

/* Makes logging quiet (errors only) and initializes libsodium; call once from
 * LLVMFuzzerInitialize. */
void fuzz_setup(void);

/* A malloc'd NUL-terminated copy of data[0..size). Caller frees; aborts when out of
 * memory (an input cannot be skipped silently). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* Splits s in place at each '\n' into fields[0..max); the last field takes the rest
 * of s, newlines included, and fields past the end of s are "" (never NULL).
 * Returns how many fields s filled. */
int fuzz_fields(char *s, char **fields, int max);

/* Decodes data as desc. When it decodes: packs it, decodes that again and packs
 * again; both packings must be byte-identical and the size functions must agree
 * with them. Returns the first decoded message (caller frees it with
 * protobuf_c_message_free_unpacked) or NULL when data is not a desc message. */
ProtobufCMessage *fuzz_proto_roundtrip(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                       size_t size);

#endif
