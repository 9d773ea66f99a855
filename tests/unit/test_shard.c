/* cmn_shard: keys from ID numbers, ids and tokens; routes by oneof (every case of
 * Request states its shard, proto/dvcid_shard.h); splits. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_shard.h"
#include "proto/dvcid_shard.h"
#include "tap.h"

static void test_id_number_key(void) {
    uint16_t a = cmn_shard_key_of_id_number("001090000001");
    CHECK(a == cmn_shard_key_of_id_number("001090000001"), "stable");
    /* Spread: 4,000 ID numbers over 4 shards, each within 20 % of a quarter. */
    int count[4] = {0};
    for (int i = 0; i < 4000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "0010900%05d", i);
        count[cmn_shard_of(cmn_shard_key_of_id_number(id), 4)]++;
    }
    for (int s = 0; s < 4; s++)
        CHECK(count[s] > 800 && count[s] < 1200, "shard %d holds %d of 4000", s, count[s]);
}

static void test_split(void) {
    /* From N to 2N shards a record of shard k stays on k or moves to k + N. */
    for (uint32_t key = 0; key < 65536; key += 7) {
        int n = 3, k = cmn_shard_of((uint16_t)key, n), k2 = cmn_shard_of((uint16_t)key, 2 * n);
        if (k2 != k && k2 != k + n) {
            CHECK(0, "key %u: shard %d of %d became %d of %d", key, k, n, k2, 2 * n);
            return;
        }
    }
}

static void test_ids(void) {
    uint8_t id[CMN_ID_BYTES];
    char hex[CMN_ID_HEX];
    uint16_t key = 0;
    cmn_shard_id_make(id, 0xbeef);
    CHECK(cmn_shard_id_key(id) == 0xbeef, "id carries its key");
    cmn_id_to_hex(id, hex);
    CHECK(cmn_shard_hex_key(hex, &key) && key == 0xbeef, "hex id carries its key (%04x)", key);
    CHECK(!cmn_shard_hex_key("0123", &key), "short hex refused");
    CHECK(!cmn_shard_hex_key("0123456789abcdeX", &key), "non-hex refused");
    for (int s = 0; s < 5; s++)
        for (int i = 0; i < 100; i++)
            if (cmn_shard_of(cmn_shard_key_random(s, 5), 5) != s) {
                CHECK(0, "random key for shard %d landed elsewhere", s);
                return;
            }
}

static void test_token(void) {
    uint8_t raw[32];
    char token[64];
    randombytes_buf(raw, sizeof(raw));
    raw[0] = 0x12;
    raw[1] = 0x34;
    sodium_bin2base64(token, sizeof(token), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    uint16_t key = 0;
    CHECK(cmn_shard_token_key(token, &key) && key == 0x1234, "token key %04x", key);
    CHECK(!cmn_shard_token_key("ab", &key), "short token refused");
    CHECK(!cmn_shard_token_key("a+/=", &key), "non-base64url token refused");
}

static void test_route(void) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__RegStart rs = DVCID__REG_START__INIT;
    Dvcid__LoginVerify lv = DVCID__LOGIN_VERIFY__INIT;
    Dvcid__JwksGet jw = DVCID__JWKS_GET__INIT;
    Dvcid__CaptchaNew cn = DVCID__CAPTCHA_NEW__INIT;
    uint16_t key;
    rs.id_number = "001090000001";
    req.body_case = DVCID__REQUEST__BODY_REG_START;
    req.reg_start = &rs;
    CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_KEYED &&
              key == cmn_shard_key_of_id_number("001090000001"),
          "registration by ID number");
    uint8_t id[CMN_ID_BYTES];
    char hex[CMN_ID_HEX];
    cmn_shard_id_make(id, 0x0102);
    cmn_id_to_hex(id, hex);
    lv.login_id = hex;
    req.body_case = DVCID__REQUEST__BODY_LOGIN_VERIFY;
    req.login_verify = &lv;
    CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_KEYED && key == 0x0102, "step by flow id");
    lv.login_id = "nope";
    CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_ANY, "bad flow id: any shard");
    req.body_case = DVCID__REQUEST__BODY_JWKS_GET;
    req.jwks_get = &jw;
    CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_ALL, "signing keys from every shard");
    req.body_case = DVCID__REQUEST__BODY_CAPTCHA_NEW;
    req.captcha_new = &cn;
    CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_ANY, "a new captcha anywhere");
}

/* Each oneof case of Request with a fresh body of its type (its strings ""), or -1 past
 * the last: the cases dvcid.proto has, read from protobuf-c's descriptor. */
static int s_case(size_t i, Dvcid__Request *req, void **body) {
    const ProtobufCMessageDescriptor *d = &dvcid__request__descriptor;
    for (size_t f = 0, n = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || n++ != i)
            continue;
        const ProtobufCMessageDescriptor *md = fd->descriptor;
        dvcid__request__init(req);
        *body = calloc(1, md->sizeof_message);
        if (!*body)
            return -1;
        protobuf_c_message_init(md, *body);
        req->body_case = (Dvcid__Request__BodyCase)fd->id;
        memcpy((char *)req + fd->offset, body, sizeof(*body));
        return (int)fd->id;
    }
    return -1;
}

/* Every case states its shard (a case without one stops the build, proto/shard.cmake);
 * a keyed one names a string of its body, which is where the key comes from. */
static void test_every_case_stated(void) {
    Dvcid__Request req;
    void *body = NULL;
    size_t n = 0;
    for (int id; (id = s_case(n, &req, &body)) >= 0; n++) {
        const char *field;
        dvcid_shard_by_t by = dvcid_shard_field(&req, &field);
        CHECK(by != DVCID_SHARD_BY_NOT_SET, "case %d states its shard", id);
        bool keyed =
            by == DVCID_SHARD_BY_ID_NUMBER || by == DVCID_SHARD_BY_ID || by == DVCID_SHARD_BY_TOKEN;
        CHECK(keyed == (field != NULL), "case %d: a key field exactly when keyed", id);
        uint16_t key;
        if (by == DVCID_SHARD_BY_ID_NUMBER)
            CHECK(cmn_shard_route(&req, &key) == CMN_SHARD_KEYED, "case %d by ID number", id);
        free(body);
        body = NULL;
    }
    free(body);
    CHECK(n >= 40, "the cases of Request (%zu)", n);
    dvcid__request__init(&req);
    const char *field;
    CHECK(dvcid_shard_field(&req, &field) == DVCID_SHARD_BY_NOT_SET && !field, "no body");
}

/* What the switch of cmn_shard_route said before the statements moved to dvcid.proto. */
static void test_as_before(void) {
    static const struct {
        Dvcid__Request__BodyCase body;
        dvcid_shard_by_t by;
    } rows[] = {
        {DVCID__REQUEST__BODY_PING, DVCID_SHARD_BY_ALL},
        {DVCID__REQUEST__BODY_METRICS_GET, DVCID_SHARD_BY_ALL},
        {DVCID__REQUEST__BODY_JWKS_GET, DVCID_SHARD_BY_ALL},
        {DVCID__REQUEST__BODY_REG_START, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_LOGIN_START, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_RESET_START, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_UNLOCK_START, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_ADMIN_UNLOCK, DVCID_SHARD_BY_ID_NUMBER},
        {DVCID__REQUEST__BODY_CAPTCHA_CHECK, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_REG_RESEND, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_REG_VERIFY, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_REG_PASSWORD, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_LOGIN_RESEND, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_LOGIN_METHOD, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_LOGIN_VERIFY, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_LOGIN_PHONE, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_LOGIN_PHONE_VERIFY, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_RESET_RESEND, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_RESET_VERIFY, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_RESET_PASSWORD, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_UNLOCK_RESEND, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_UNLOCK_VERIFY, DVCID_SHARD_BY_ID},
        {DVCID__REQUEST__BODY_ME_GET, DVCID_SHARD_BY_TOKEN},
        {DVCID__REQUEST__BODY_ME_ADD_PHONE, DVCID_SHARD_BY_TOKEN},
        {DVCID__REQUEST__BODY_ME_ADD_PHONE_VERIFY, DVCID_SHARD_BY_TOKEN},
        {DVCID__REQUEST__BODY_LOGOUT, DVCID_SHARD_BY_TOKEN},
    };
    Dvcid__Request req;
    void *body = NULL;
    size_t keyed = 0;
    for (int id, i = 0; (id = s_case((size_t)i, &req, &body)) >= 0; i++) {
        const char *field;
        dvcid_shard_by_t by = dvcid_shard_field(&req, &field), want = DVCID_SHARD_BY_ANY;
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
            if ((int)rows[r].body == id)
                want = rows[r].by;
        /* every other case went to any shard: any, or none for otp-svc's and sms-worker's */
        CHECK(by == want || (want == DVCID_SHARD_BY_ANY && by == DVCID_SHARD_BY_NONE),
              "case %d: %d, was %d", id, (int)by, (int)want);
        keyed +=
            by == DVCID_SHARD_BY_ID_NUMBER || by == DVCID_SHARD_BY_ID || by == DVCID_SHARD_BY_TOKEN;
        free(body);
        body = NULL;
    }
    free(body);
    CHECK(keyed == 24, "the 24 keyed cases (%zu)", keyed);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    test_id_number_key();
    test_split();
    test_ids();
    test_token();
    test_route();
    test_every_case_stated();
    test_as_before();
    return TEST_DONE();
}
