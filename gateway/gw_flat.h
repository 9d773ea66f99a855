/* gw_flat: a fast reader for the request body almost every client sends: one JSON object
 * whose values are all strings without escapes ({"phone":"+8490...","code":"123456"}).
 * Parsing such a body with jansson costs a tree of allocations (about a tenth of the
 * gateway's CPU per request); this reads it in place with none.
 *
 * It only ever says "yes, and these are the fields" or "not mine": anything else (a
 * number, null, a nested value, an escape, bad UTF-8, a duplicate key, trailing bytes,
 * invalid JSON of any kind) is not its to judge, and the caller hands the body to
 * jansson, which keeps the last word on what is valid. So a "yes" must always be a
 * body jansson accepts with exactly these fields (tests/unit/test_gw_flat.c checks it
 * against jansson on generated and mutated bodies). */
#ifndef GW_FLAT_H
#define GW_FLAT_H

#include <stdbool.h>
#include <stddef.h>

#define GW_FLAT_MAX 16 /* fields at most; a bigger body is jansson's */

typedef struct {
    const char *key; /* NUL-terminated, inside the parsed buffer */
    size_t klen;
    const char *val; /* NUL-terminated, inside the parsed buffer */
    size_t vlen;
} gw_flat_field_t;

typedef struct {
    gw_flat_field_t field[GW_FLAT_MAX];
    size_t n;
} gw_flat_t;

/* Parses body[0..len). On true, the fields point into body, whose closing quotes were
 * overwritten with NULs. On false, body is untouched. */
bool gw_flat_parse(gw_flat_t *self, char *body, size_t len);

/* The field called name, or NULL. */
const gw_flat_field_t *gw_flat_get(const gw_flat_t *self, const char *name);

#endif
