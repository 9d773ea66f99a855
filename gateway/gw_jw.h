/* gw_jw: a JSON writer for the answers sent most (a registration started, an OTP sent, a
 * flow state, every error), straight into the answer's buffer: building a jansson tree and
 * dumping it cost a dozen allocations per answer. The bytes are exactly what
 * json_dumps(JSON_COMPACT) writes for the same object (tests/unit/test_gw_jw.c compares),
 * and a string that is not valid UTF-8 fails the answer, as json_pack does.
 *
 * The caller writes the punctuation of its fixed shape itself:
 *     gw_jw_raw(&w, "{\"state\":"); gw_jw_str(&w, s); gw_jw_raw(&w, "}");
 * Errors (no memory, bad UTF-8) stick: later calls do nothing, gw_jw_answer() fails. */
#ifndef GW_JW_H
#define GW_JW_H

#include <stdbool.h>
#include <stddef.h>

#include "gw_answer.h"

typedef struct {
    char *buf; /* malloc'd */
    size_t len, cap;
    bool failed;
} gw_jw_t;

/* An empty writer (allocates on first write). */
void gw_jw_init(gw_jw_t *self);

/* Appends text as is (the caller's fixed punctuation and keys). */
void gw_jw_raw(gw_jw_t *self, const char *text);

/* Appends s as a JSON string, quotes included; NULL or invalid UTF-8 fails. */
void gw_jw_str(gw_jw_t *self, const char *s);

/* Appends a JSON integer. */
void gw_jw_int(gw_jw_t *self, long long v);

/* Makes ans a JSON answer with status and what was written (the buffer moves into
 * ans). Returns 0, or -1 after a failure (ans then untouched, the buffer freed). */
int gw_jw_answer(gw_jw_t *self, gw_answer_t *ans, unsigned status);

/* Frees what was written (after a write the caller gives up on). */
void gw_jw_clear(gw_jw_t *self);

#endif
