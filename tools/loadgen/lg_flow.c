/* lg_flow: the flow state machines of lg_flow.h. Each flow is a fixed program of steps;
 * only the wrong-code step repeats (wrong_left times). Answers are parsed with jansson only
 * where a value is needed (an id to carry on, an error code to count). */
#include "lg_flow.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const s_step_names[LG_NSTEPS] = {
    "get",        "captcha",      "reg_start",   "reg_resend",   "reg_wrong_code",
    "reg_verify", "reg_password", "login_start", "login_verify",
};

static const char *const s_flow_names[LG_NFLOWS] = {
    "get", "register", "otp", "start", "login", "resend", "wrong-code",
};

static const lg_step_t s_get[] = {LG_STEP_GET};
static const lg_step_t s_register[] = {LG_STEP_CAPTCHA, LG_STEP_REG_START, LG_STEP_REG_VERIFY,
                                       LG_STEP_REG_PASSWORD};
static const lg_step_t s_otp[] = {LG_STEP_CAPTCHA, LG_STEP_REG_START, LG_STEP_REG_VERIFY};
static const lg_step_t s_start[] = {LG_STEP_CAPTCHA, LG_STEP_REG_START};
static const lg_step_t s_login[] = {LG_STEP_CAPTCHA, LG_STEP_LOGIN_START, LG_STEP_LOGIN_VERIFY};
static const lg_step_t s_resend[] = {LG_STEP_CAPTCHA, LG_STEP_REG_START, LG_STEP_REG_RESEND,
                                     LG_STEP_REG_VERIFY};
static const lg_step_t s_wrong[] = {LG_STEP_CAPTCHA, LG_STEP_REG_START, LG_STEP_REG_WRONG,
                                    LG_STEP_REG_VERIFY};

#define S_PROG(a)                                                                                  \
    { (a), (int)(sizeof(a) / sizeof((a)[0])) }
static const struct {
    const lg_step_t *steps;
    int len;
} s_progs[LG_NFLOWS] = {
    S_PROG(s_get),   S_PROG(s_register), S_PROG(s_otp),   S_PROG(s_start),
    S_PROG(s_login), S_PROG(s_resend),   S_PROG(s_wrong),
};

const char *lg_step_name(lg_step_t step) {
    return (unsigned)step < LG_NSTEPS ? s_step_names[step] : "?";
}

const char *lg_flow_name(lg_flow_kind_t kind) {
    return (unsigned)kind < LG_NFLOWS ? s_flow_names[kind] : "?";
}

int lg_flow_kind(const char *name) {
    for (int i = 0; i < LG_NFLOWS; i++)
        if (strcmp(name, s_flow_names[i]) == 0)
            return i;
    return -1;
}

void lg_flow_begin(lg_flow_t *self, const lg_flow_opts_t *opts, lg_flow_kind_t kind,
                   const char *id_number, const char *dob, const char *phone, uint64_t nonce) {
    memset(self, 0, sizeof(*self));
    self->kind = kind;
    self->prog = s_progs[kind].steps;
    self->len = s_progs[kind].len;
    self->wrong_left = opts->wrong > 0 ? opts->wrong : 1;
    if (self->prog[0] == LG_STEP_CAPTCHA && !opts->captcha_step) {
        self->pos = 1;
        /* Any id passes with captcha.test_answer; this one is shaped like the server's. */
        snprintf(self->captcha_id, sizeof(self->captcha_id), "%016llx%016llx",
                 (unsigned long long)nonce, (unsigned long long)(nonce * 0x9e3779b97f4a7c15ull));
    }
    snprintf(self->id_number, sizeof(self->id_number), "%s", id_number ? id_number : "");
    snprintf(self->dob, sizeof(self->dob), "%s", dob ? dob : "");
    snprintf(self->phone, sizeof(self->phone), "%s", phone ? phone : "");
}

lg_step_t lg_flow_step(const lg_flow_t *self) {
    return self->pos < self->len ? self->prog[self->pos] : LG_NSTEPS;
}

/* Appends s to out as a JSON string (quotes included); false when it does not fit. */
static bool s_json_str(char **out, char *end, const char *s) {
    char *o = *out;
    if (o >= end)
        return false;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (end - o < 8)
            return false;
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += snprintf(o, (size_t)(end - o), "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    if (end - o < 2)
        return false;
    *o++ = '"';
    *o = '\0';
    *out = o;
    return true;
}

/* Appends literal text; false when it does not fit. */
static bool s_lit(char **out, char *end, const char *s) {
    size_t n = strlen(s);
    if ((size_t)(end - *out) <= n)
        return false;
    memcpy(*out, s, n + 1);
    *out += n;
    return true;
}

/* Writes a JSON object of nkv key/value string pairs into body. */
static int s_object(char *body, size_t cap, size_t *len, int nkv, const char *const kv[]) {
    char *o = body, *end = body + cap;
    bool ok = s_lit(&o, end, "{");
    for (int i = 0; ok && i < nkv; i++) {
        ok = (i == 0 || s_lit(&o, end, ",")) && s_json_str(&o, end, kv[2 * i]) &&
             s_lit(&o, end, ":") && s_json_str(&o, end, kv[2 * i + 1]);
    }
    ok = ok && s_lit(&o, end, "}");
    if (!ok)
        return -1;
    *len = (size_t)(o - body);
    return 0;
}

int lg_flow_request(const lg_flow_t *self, const lg_flow_opts_t *opts, const char **method,
                    char *path, size_t path_cap, char *body, size_t body_cap, size_t *body_len) {
    const char *base = opts->base_path ? opts->base_path : "";
    char wrong[16];
    int n = 0, rc = 0;
    *method = "POST";
    *body_len = 0;
    switch (lg_flow_step(self)) {
    case LG_STEP_GET:
        *method = "GET";
        n = snprintf(path, path_cap, "%s%s", base, opts->get_path);
        break;
    case LG_STEP_CAPTCHA:
        n = snprintf(path, path_cap, "%s/v1/captcha", base);
        break;
    case LG_STEP_REG_START: {
        n = snprintf(path, path_cap, "%s/v1/registrations", base);
        const char *kv[] = {"id_number",      self->id_number,  "full_name",
                            opts->full_name,  "date_of_birth",  self->dob,
                            "phone",          self->phone,      "captcha_id",
                            self->captcha_id, "captcha_answer", opts->captcha_answer};
        rc = s_object(body, body_cap, body_len, 6, kv);
        break;
    }
    case LG_STEP_REG_RESEND:
        n = snprintf(path, path_cap, "%s/v1/registrations/%s/otp/resend", base, self->flow_id);
        break;
    case LG_STEP_REG_WRONG: {
        /* The test code with its last digit changed: wrong, and of the right shape. */
        snprintf(wrong, sizeof(wrong), "%s", opts->test_code);
        size_t wl = strlen(wrong);
        if (wl)
            wrong[wl - 1] = (char)(wrong[wl - 1] == '9' ? '0' : wrong[wl - 1] + 1);
        n = snprintf(path, path_cap, "%s/v1/registrations/%s/otp/verify", base, self->flow_id);
        const char *kv[] = {"code", wrong};
        rc = s_object(body, body_cap, body_len, 1, kv);
        break;
    }
    case LG_STEP_REG_VERIFY: {
        n = snprintf(path, path_cap, "%s/v1/registrations/%s/otp/verify", base, self->flow_id);
        const char *kv[] = {"code", opts->test_code};
        rc = s_object(body, body_cap, body_len, 1, kv);
        break;
    }
    case LG_STEP_REG_PASSWORD: {
        n = snprintf(path, path_cap, "%s/v1/registrations/%s/password", base, self->flow_id);
        const char *kv[] = {"password", opts->password, "password_confirm", opts->password};
        rc = s_object(body, body_cap, body_len, 2, kv);
        break;
    }
    case LG_STEP_LOGIN_START: {
        n = snprintf(path, path_cap, "%s/v1/logins", base);
        const char *kv[] = {"id_number",  self->id_number,  "password",       opts->password,
                            "captcha_id", self->captcha_id, "captcha_answer", opts->captcha_answer};
        rc = s_object(body, body_cap, body_len, 4, kv);
        break;
    }
    case LG_STEP_LOGIN_VERIFY: {
        n = snprintf(path, path_cap, "%s/v1/logins/%s/otp/verify", base, self->flow_id);
        const char *kv[] = {"code", opts->test_code};
        rc = s_object(body, body_cap, body_len, 1, kv);
        break;
    }
    default:
        return -1;
    }
    if (n < 0 || (size_t)n >= path_cap)
        return -1;
    return rc;
}

/* Copies the string member key of the JSON object in body into out, if it is a plain id
 * (letters, digits, '-', '_'; it goes into a path). */
static bool s_take_id(const char *body, size_t len, const char *key, char *out, size_t cap) {
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *v = json_string_value(json_object_get(root, key));
    bool ok = v && *v && strlen(v) < cap &&
              strspn(v, "abcdefghijklmnopqrstuvwxyz"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(v);
    if (ok)
        memcpy(out, v, strlen(v) + 1);
    json_decref(root);
    return ok;
}

/* Writes "STATUS code" (the error code of an API error body) or "STATUS" into err. */
static void s_error_key(int status, const char *body, size_t len, char *err, size_t cap) {
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(json_object_get(root, "error"), "code"));
    if (code)
        snprintf(err, cap, "%d %.40s", status, code);
    else
        snprintf(err, cap, "%d", status);
    json_decref(root);
}

lg_flow_result_t lg_flow_answer(lg_flow_t *self, int status, const char *body, size_t len,
                                char *err, size_t err_cap) {
    lg_step_t step = lg_flow_step(self);
    int want = 200;
    char *keep = NULL;
    const char *key = NULL;
    switch (step) {
    case LG_STEP_GET:
        want = status >= 200 && status < 300 ? status : 200;
        break;
    case LG_STEP_CAPTCHA:
        want = 201, keep = self->captcha_id, key = "captcha_id";
        break;
    case LG_STEP_REG_START:
        want = 201, keep = self->flow_id, key = "registration_id";
        break;
    case LG_STEP_LOGIN_START:
        want = 201, keep = self->flow_id, key = "login_id";
        break;
    case LG_STEP_REG_PASSWORD:
        want = 201;
        break;
    case LG_STEP_REG_WRONG:
        want = 400;
        break;
    case LG_STEP_REG_RESEND:
    case LG_STEP_REG_VERIFY:
    case LG_STEP_LOGIN_VERIFY:
        break;
    default:
        snprintf(err, err_cap, "answer after the end of the flow");
        return LG_FLOW_FAILED;
    }
    if (status != want) {
        s_error_key(status, body, len, err, err_cap);
        return LG_FLOW_FAILED;
    }
    if (step == LG_STEP_REG_WRONG) {
        s_error_key(status, body, len, err, err_cap);
        if (strcmp(err, "400 otp_invalid") != 0)
            return LG_FLOW_FAILED;
        err[0] = '\0';
        if (--self->wrong_left > 0)
            return LG_FLOW_NEXT; /* the same step again */
    }
    if (keep && !s_take_id(body, len, key, keep, LG_FLOW_ID_MAX + 1)) {
        snprintf(err, err_cap, "%d without %s", status, key);
        return LG_FLOW_FAILED;
    }
    self->pos++;
    return self->pos < self->len ? LG_FLOW_NEXT : LG_FLOW_DONE;
}
