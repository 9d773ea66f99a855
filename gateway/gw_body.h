/* gw_body: reads the fields of a JSON request body for a builder. Shape problems
 * (a required field missing, a field of the wrong type) collect into 400
 * invalid_request details; a string over the cheap length cap into 422
 * validation_failed "too_long". Content rules are account-svc's, not checked here. */
#ifndef GW_BODY_H
#define GW_BODY_H

#include <jansson.h>
#include <stdbool.h>

#include "gw_answer.h"
#include "gw_flat.h"

#define GW_BODY_STR_MAX 1024 /* bytes in one string field */

typedef struct {
    const json_t *obj;     /* borrowed; NULL reads as {} (unless flat is set) */
    const gw_flat_t *flat; /* borrowed: the fields of a flat body, read instead of obj */
    json_t *shape;         /* 400 details, made on first need */
    json_t *content;       /* 422 details, made on first need */
    bool oom;
} gw_body_t;

void gw_body_init(gw_body_t *self, const json_t *obj);

/* The same over the fields gw_flat read (all strings). */
void gw_body_init_flat(gw_body_t *self, const gw_flat_t *flat);

/* The string field name. Missing or null: "" (and a "required" detail when
 * required); not a string: "" and a "type" detail; too long: "" and "too_long".
 * Never NULL; the string lives as long as obj (or flat's buffer). */
char *gw_body_str(gw_body_t *self, const char *name, bool required);

/* Refuses the field name's value as malformed: a 400 detail {name, "invalid"}. */
void gw_body_invalid(gw_body_t *self, const char *name);

/* Turns what was collected into ans: 400 with shape details before 422 with content
 * details. Returns 0 when every field was fine, -1 when ans holds the error. Frees
 * the collected details either way. */
int gw_body_finish(gw_body_t *self, gw_answer_t *ans);

#endif
