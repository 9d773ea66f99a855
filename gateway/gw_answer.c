/* gw_answer: building and moving HTTP answers. */
#include "gw_answer.h"

#include <stdlib.h>
#include <string.h>

static void s_bare_500(gw_answer_t *ans) {
    gw_answer_clear(ans);
    ans->status = 500;
    ans->content_type = GW_CT_JSON;
}

int gw_answer_json(gw_answer_t *ans, unsigned status, json_t *obj) {
    gw_answer_clear(ans);
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    if (!text) {
        s_bare_500(ans);
        return -1;
    }
    ans->status = status;
    ans->body = text;
    ans->len = strlen(text);
    ans->content_type = GW_CT_JSON;
    return 0;
}

int gw_answer_text(gw_answer_t *ans, unsigned status, const char *content_type, const char *text) {
    gw_answer_clear(ans);
    char *copy = strdup(text);
    if (!copy) {
        s_bare_500(ans);
        return -1;
    }
    ans->status = status;
    ans->body = copy;
    ans->len = strlen(copy);
    ans->content_type = content_type;
    return 0;
}

void gw_answer_empty(gw_answer_t *ans, unsigned status) {
    gw_answer_clear(ans);
    ans->status = status;
}

void gw_answer_clear(gw_answer_t *ans) {
    free(ans->body);
    memset(ans, 0, sizeof(*ans));
}

void gw_answer_move(gw_answer_t *dst, gw_answer_t *src) {
    if (dst == src)
        return;
    gw_answer_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
}
