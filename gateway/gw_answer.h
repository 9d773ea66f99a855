/* gw_answer: one HTTP answer being prepared: status, body, content type and the
 * few headers that depend on it (Retry-After, Allow, Set-Cookie, Cache-Control).
 * Plain data owned by whoever holds it; built on one thread and handed to another
 * whole. */
#ifndef GW_ANSWER_H
#define GW_ANSWER_H

#include <jansson.h>
#include <stddef.h>

#define GW_CT_JSON "application/json; charset=utf-8"
#define GW_CT_HTML "text/html; charset=utf-8"
#define GW_COOKIE_MAX 256 /* bytes of a Set-Cookie value, attributes included */

typedef struct {
    unsigned status; /* HTTP status; 0 while nothing is set */
    char *body;      /* malloc'd, owned; NULL for an empty body */
    size_t len;
    const char *content_type;       /* static string */
    unsigned retry_after;           /* seconds for a Retry-After header; 0 for none */
    char allow[64];                 /* Allow header of a 405; "" for none */
    char set_cookie[GW_COOKIE_MAX]; /* Set-Cookie header; "" for none */
    const char *cache_control;      /* static string; NULL means "no-store" */
} gw_answer_t;

/* Sets status and the compact JSON of obj; takes obj (decref'd here, even on error).
 * Every header field is reset, so an error answer never keeps a success's cookie.
 * Returns 0, or -1 when out of memory (ans is then a bare 500). */
int gw_answer_json(gw_answer_t *ans, unsigned status, json_t *obj);

/* Sets status and a copy of text. Returns 0 or -1 as gw_answer_json. */
int gw_answer_text(gw_answer_t *ans, unsigned status, const char *content_type, const char *text);

/* Sets status with no body (204). */
void gw_answer_empty(gw_answer_t *ans, unsigned status);

/* Frees the body and clears everything. */
void gw_answer_clear(gw_answer_t *ans);

/* Moves src into dst (dst cleared first); src is left empty. */
void gw_answer_move(gw_answer_t *dst, gw_answer_t *src);

#endif
