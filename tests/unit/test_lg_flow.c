/* lg_flow and lg_ident: each flow's steps, requests and expected answers; ids carried from
 * answer to request; failures named by status and error code; the wrong-code loop; the mix
 * parser; identities valid for the server's own validators and unique within a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_validate.h"
#include "lg_flow.h"
#include "lg_ident.h"
#include "lg_opts.h"
#include "tap.h"

static lg_flow_opts_t s_opts = {
    .base_path = "",
    .get_path = "/ping",
    .test_code = "123456",
    .captcha_answer = "TEST",
    .password = "Tr0ng!\"Dong\"",
    .full_name = "Nguyễn Văn An",
    .captcha_step = true,
    .wrong = 2,
};

/* Writes the current request; returns the step. */
static lg_step_t s_req(lg_flow_t *f, const char **method, char *path, char *body) {
    size_t len = 0;
    CHECK(lg_flow_request(f, &s_opts, method, path, 256, body, 1024, &len) == 0, "request");
    body[len] = '\0';
    return lg_flow_step(f);
}

static lg_flow_result_t s_ans(lg_flow_t *f, int status, const char *body, char *err) {
    return lg_flow_answer(f, status, body, strlen(body), err, 64);
}

static void s_register(void) {
    lg_flow_t f;
    const char *m;
    char path[256], body[1024], err[64];
    lg_flow_begin(&f, &s_opts, LG_FLOW_REGISTER, "001099012345", "1999-05-12", "0900001234", 1);
    CHECK(s_req(&f, &m, path, body) == LG_STEP_CAPTCHA, "captcha first");
    CHECK_STR(m, "POST");
    CHECK_STR(path, "/v1/captcha");
    CHECK_STR(body, "");
    CHECK(s_ans(&f, 201, "{\"captcha_id\":\"c1\",\"image\":\"data:\"}", err) == LG_FLOW_NEXT,
          "captcha ok");
    CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_START, "then start");
    CHECK_STR(path, "/v1/registrations");
    CHECK_STR(body, "{\"id_number\":\"001099012345\",\"full_name\":\"Nguyễn Văn An\","
                    "\"date_of_birth\":\"1999-05-12\",\"phone\":\"0900001234\","
                    "\"captcha_id\":\"c1\",\"captcha_answer\":\"TEST\"}");
    CHECK(s_ans(&f, 201, "{\"registration_id\":\"r-9\",\"otp\":{}}", err) == LG_FLOW_NEXT, "st");
    CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_VERIFY, "then verify");
    CHECK_STR(path, "/v1/registrations/r-9/otp/verify");
    CHECK_STR(body, "{\"code\":\"123456\"}");
    CHECK(s_ans(&f, 200, "{\"state\":\"otp_verified\"}", err) == LG_FLOW_NEXT, "verified");
    CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_PASSWORD, "then password");
    CHECK_STR(path, "/v1/registrations/r-9/password");
    CHECK_STR(body,
              "{\"password\":\"Tr0ng!\\\"Dong\\\"\",\"password_confirm\":\"Tr0ng!\\\"Dong\\\"\"}");
    CHECK(s_ans(&f, 201, "{\"account\":{}}", err) == LG_FLOW_DONE, "done");
    CHECK(lg_flow_step(&f) == LG_NSTEPS, "no step after the end");

    /* Failures: the status and the API's error code, or what was missing. */
    lg_flow_begin(&f, &s_opts, LG_FLOW_REGISTER, "001099012345", "1999-05-12", "0900001234", 1);
    CHECK(s_ans(&f, 201, "{\"image\":\"x\"}", err) == LG_FLOW_FAILED, "no captcha id");
    CHECK_STR(err, "201 without captcha_id");
    lg_flow_begin(&f, &s_opts, LG_FLOW_REGISTER, "001099012345", "1999-05-12", "0900001234", 1);
    CHECK(s_ans(&f, 201, "{\"captcha_id\":\"../x\"}", err) == LG_FLOW_FAILED, "unsafe id");
    lg_flow_begin(&f, &s_opts, LG_FLOW_REGISTER, "001099012345", "1999-05-12", "0900001234", 1);
    CHECK(s_ans(&f, 429, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"x\"}}", err) ==
              LG_FLOW_FAILED,
          "429");
    CHECK_STR(err, "429 rate_limited");
    lg_flow_begin(&f, &s_opts, LG_FLOW_REGISTER, "001099012345", "1999-05-12", "0900001234", 1);
    CHECK(s_ans(&f, 502, "<html>bad gateway</html>", err) == LG_FLOW_FAILED, "502");
    CHECK_STR(err, "502");
}

static void s_others(void) {
    lg_flow_t f;
    const char *m;
    char path[256], body[1024], err[64];

    /* No captcha step: start right away with a made-up captcha id. */
    lg_flow_opts_t o = s_opts;
    o.captcha_step = false;
    o.base_path = "/dvcid";
    lg_flow_begin(&f, &o, LG_FLOW_START, "001099012345", "1999-05-12", "0900001234", 42);
    CHECK(lg_flow_step(&f) == LG_STEP_REG_START, "starts at start");
    CHECK(strlen(f.captcha_id) == 32, "captcha id %s", f.captcha_id);
    size_t len = 0;
    CHECK(lg_flow_request(&f, &o, &m, path, sizeof(path), body, sizeof(body), &len) == 0, "req");
    CHECK_STR(path, "/dvcid/v1/registrations");
    CHECK(s_ans(&f, 201, "{\"registration_id\":\"r1\"}", err) == LG_FLOW_DONE, "start only");

    /* Wrong code: N wrong tries each answered 400 otp_invalid, then the right one. */
    lg_flow_begin(&f, &s_opts, LG_FLOW_WRONG, "001099012345", "1999-05-12", "0900001234", 1);
    s_ans(&f, 201, "{\"captcha_id\":\"c\"}", err);
    s_ans(&f, 201, "{\"registration_id\":\"r2\"}", err);
    const char *inv = "{\"error\":{\"code\":\"otp_invalid\",\"attempts_left\":4}}";
    for (int i = 0; i < 2; i++) {
        CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_WRONG, "wrong %d", i);
        CHECK_STR(body, "{\"code\":\"123457\"}");
        CHECK(s_ans(&f, 400, inv, err) == LG_FLOW_NEXT, "wrong %d accepted", i);
    }
    CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_VERIFY, "then the right code");
    CHECK_STR(body, "{\"code\":\"123456\"}");
    CHECK(s_ans(&f, 200, "{}", err) == LG_FLOW_DONE, "done");
    lg_flow_begin(&f, &s_opts, LG_FLOW_WRONG, "001099012345", "1999-05-12", "0900001234", 1);
    s_ans(&f, 201, "{\"captcha_id\":\"c\"}", err);
    s_ans(&f, 201, "{\"registration_id\":\"r2\"}", err);
    CHECK(s_ans(&f, 400, "{\"error\":{\"code\":\"invalid_request\"}}", err) == LG_FLOW_FAILED,
          "another 400 is a failure");
    CHECK(s_ans(&f, 200, "{}", err) == LG_FLOW_FAILED || 1, "(any answer after)");

    /* Sign-in and resend paths. */
    lg_flow_begin(&f, &s_opts, LG_FLOW_LOGIN, "001099012345", NULL, NULL, 1);
    s_ans(&f, 201, "{\"captcha_id\":\"c\"}", err);
    CHECK(s_req(&f, &m, path, body) == LG_STEP_LOGIN_START, "login start");
    CHECK_STR(body, "{\"id_number\":\"001099012345\",\"password\":\"Tr0ng!\\\"Dong\\\"\","
                    "\"captcha_id\":\"c\",\"captcha_answer\":\"TEST\"}");
    CHECK(s_ans(&f, 201, "{\"login_id\":\"L1\"}", err) == LG_FLOW_NEXT, "login started");
    CHECK(s_req(&f, &m, path, body) == LG_STEP_LOGIN_VERIFY, "login verify");
    CHECK_STR(path, "/v1/logins/L1/otp/verify");
    CHECK(s_ans(&f, 200, "{\"session\":{}}", err) == LG_FLOW_DONE, "signed in");

    lg_flow_begin(&f, &s_opts, LG_FLOW_RESEND, "001099012345", "1999-05-12", "0900001234", 1);
    s_ans(&f, 201, "{\"captcha_id\":\"c\"}", err);
    s_ans(&f, 201, "{\"registration_id\":\"r3\"}", err);
    CHECK(s_req(&f, &m, path, body) == LG_STEP_REG_RESEND, "resend");
    CHECK_STR(path, "/v1/registrations/r3/otp/resend");
    CHECK_STR(body, "");

    lg_flow_begin(&f, &s_opts, LG_FLOW_GET, NULL, NULL, NULL, 1);
    CHECK(s_req(&f, &m, path, body) == LG_STEP_GET, "get");
    CHECK_STR(m, "GET");
    CHECK_STR(path, "/ping");
    CHECK(s_ans(&f, 204, "", err) == LG_FLOW_DONE, "any 2xx");
    lg_flow_begin(&f, &s_opts, LG_FLOW_GET, NULL, NULL, NULL, 1);
    CHECK(s_ans(&f, 404, "", err) == LG_FLOW_FAILED, "404 fails");

    CHECK(lg_flow_kind("wrong-code") == LG_FLOW_WRONG && lg_flow_kind("nope") == -1, "kinds");
    CHECK_STR(lg_step_name(LG_STEP_REG_VERIFY), "reg_verify");
}

static void s_mix(void) {
    int w[LG_NFLOWS];
    char err[128];
    CHECK(lg_opts_flows("mixed", w, err, sizeof(err)) == 0, "mixed");
    CHECK(w[LG_FLOW_LOGIN] == 6 && w[LG_FLOW_REGISTER] == 2 && w[LG_FLOW_RESEND] == 1 &&
              w[LG_FLOW_WRONG] == 1,
          "mixed weights");
    CHECK(lg_opts_flows("login:3,otp", w, err, sizeof(err)) == 0 && w[LG_FLOW_LOGIN] == 3 &&
              w[LG_FLOW_OTP] == 1,
          "weights");
    CHECK(lg_opts_flows("login,bogus", w, err, sizeof(err)) == -1, "unknown: %s", err);
    CHECK(lg_opts_flows("get,login", w, err, sizeof(err)) == -1, "get alone");
    CHECK(lg_opts_flows("login:0", w, err, sizeof(err)) == -1, "all zero");
}

static void s_ident(void) {
    lg_ident_t id;
    char err[128];
    /* The default test prefix is in 030, a mobile range no operator was given (README
     * "Load testing"): valid to the server, no real subscriber's. */
    lg_opts_t opts;
    char *argv[] = {"dvcid-load", NULL};
    CHECK(lg_opts_parse(&opts, 1, argv, err, sizeof(err)) == 0, "default options: %s", err);
    CHECK_STR(opts.phone_prefix, "+8430000");
    CHECK(lg_ident_init(&id, opts.phone_prefix, 1, err, sizeof(err)) == 0, "default: %s", err);
    for (uint64_t k = 0; k < 100; k++) {
        char phone[LG_PHONE_LEN + 1], e164[CMN_PHONE_E164_MAX];
        lg_ident_phone(&id, k, phone);
        CHECK(cmn_valid_phone(phone, e164) == NULL && strncmp(phone, "030", 3) == 0,
              "default prefix phone %s", phone);
    }
    CHECK(lg_ident_init(&id, "+8490000", 12345, err, sizeof(err)) == 0, "init: %s", err);
    CHECK(lg_ident_init(&id, "+8420", 1, err, sizeof(err)) == -1, "landline prefix refused");
    CHECK(lg_ident_init(&id, "+84900001234", 1, err, sizeof(err)) == -1, "no digit left");
    CHECK(lg_ident_init(&id, "+1555", 1, err, sizeof(err)) == -1, "foreign refused");
    CHECK(lg_ident_init(&id, "090", 1, err, sizeof(err)) == 0, "national form");
    CHECK_STR(id.nsn_prefix, "90");

    /* +849: the 99x numbers outside the mobile ranges are skipped. */
    CHECK(lg_ident_init(&id, "+849", 99, err, sizeof(err)) == 0, "short prefix");
    int bad = 0;
    for (uint64_t k = 0; k < 2000; k++) {
        char phone[LG_PHONE_LEN + 1], e164[CMN_PHONE_E164_MAX];
        lg_ident_phone(&id, k, phone);
        bad += cmn_valid_phone(phone, e164) != NULL || strncmp(phone, "09", 2) != 0;
    }
    CHECK(bad == 0, "%d invalid phones", bad);

    CHECK(lg_ident_init(&id, "+8490000", 777, err, sizeof(err)) == 0, "init");
    enum { N = 20000 };
    char(*ids)[LG_ID_LEN + 1] = malloc(sizeof(*ids) * N);
    CHECK(ids != NULL, "malloc");
    if (!ids)
        return;
    int invalid = 0, dup = 0;
    for (uint64_t k = 0; k < N; k++) {
        char dob[11], phone[LG_PHONE_LEN + 1], e164[CMN_PHONE_E164_MAX];
        lg_ident_person(&id, k, ids[k], dob);
        lg_ident_phone(&id, k, phone);
        if (cmn_valid_date(dob, NULL, NULL, NULL) || cmn_valid_id_number(ids[k], dob) ||
            cmn_valid_phone(phone, e164) || strncmp(e164, "+8490000", 8) != 0) {
            if (invalid++ < 3)
                fprintf(stderr, "invalid: %s %s %s\n", ids[k], dob, phone);
        }
    }
    qsort(ids, N, sizeof(*ids), (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < N; i++)
        dup += strcmp(ids[i], ids[i - 1]) == 0;
    CHECK(invalid == 0, "%d identities the server would refuse", invalid);
    CHECK(dup == 0, "%d duplicate IDs", dup);
    /* Another seed, another run: different people. */
    lg_ident_t other;
    CHECK(lg_ident_init(&other, "+8490000", 778, err, sizeof(err)) == 0, "init other");
    char a[LG_ID_LEN + 1], b[LG_ID_LEN + 1], d[11];
    lg_ident_person(&id, 0, a, d);
    lg_ident_person(&other, 0, b, d);
    CHECK(strcmp(a, b) != 0, "seeds differ: %s %s", a, b);
    free(ids);
}

int main(void) {
    s_register();
    s_others();
    s_mix();
    s_ident();
    return TEST_DONE();
}
