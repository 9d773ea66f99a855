/* gw_body: the field reader. */
#include "gw_body.h"

#include "gw_errors.h"
#include "proto/dvcid.pb-c.h"

void gw_body_init(gw_body_t *self, const json_t *obj) {
    self->obj = obj;
    self->flat = NULL;
    self->shape = NULL;
    self->content = NULL;
    self->oom = false;
}

static void s_detail(gw_body_t *self, json_t **list, const char *name, const char *code) {
    if (!*list)
        *list = json_array();
    if (!gw_errors_detail(*list, name, code))
        self->oom = true;
}

void gw_body_init_flat(gw_body_t *self, const gw_flat_t *flat) {
    gw_body_init(self, NULL);
    self->flat = flat;
}

/* gw_body_str over a flat body: every value is a string, never null. */
static char *s_flat_str(gw_body_t *self, const char *name, bool required) {
    const gw_flat_field_t *f = gw_flat_get(self->flat, name);
    if (!f) {
        if (required)
            s_detail(self, &self->shape, name, "required");
        return "";
    }
    if (f->vlen > GW_BODY_STR_MAX) {
        s_detail(self, &self->content, name, "too_long");
        return "";
    }
    return (char *)f->val; /* only read (packed), as below */
}

char *gw_body_str(gw_body_t *self, const char *name, bool required) {
    if (self->flat)
        return s_flat_str(self, name, required);
    json_t *v = self->obj ? json_object_get(self->obj, name) : NULL;
    if (!v || json_is_null(v)) {
        if (required)
            s_detail(self, &self->shape, name, "required");
        return "";
    }
    if (!json_is_string(v)) {
        s_detail(self, &self->shape, name, "type");
        return "";
    }
    if (json_string_length(v) > GW_BODY_STR_MAX) {
        s_detail(self, &self->content, name, "too_long");
        return "";
    }
    /* protobuf-c wants char *; the string is only read (packed), never written. */
    return (char *)json_string_value(v);
}

void gw_body_invalid(gw_body_t *self, const char *name) {
    s_detail(self, &self->shape, name, "invalid");
}

int gw_body_finish(gw_body_t *self, gw_answer_t *ans) {
    int rc = -1;
    if (self->oom) {
        json_decref(self->shape);
        json_decref(self->content);
        gw_answer_json(ans, 500, NULL);
    } else if (self->shape) {
        json_decref(self->content);
        gw_errors_answer(ans, gw_errors_status(DVCID__STATUS__STATUS_INVALID_REQUEST), self->shape,
                         -1, -1);
    } else if (self->content) {
        gw_errors_answer(ans, gw_errors_status(DVCID__STATUS__STATUS_VALIDATION_FAILED),
                         self->content, -1, -1);
    } else {
        rc = 0;
    }
    self->shape = self->content = NULL;
    return rc;
}
