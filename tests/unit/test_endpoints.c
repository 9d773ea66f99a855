/* cmn_endpoints: shards and instances from one config value; server keys; every
 * malformed value refused with the config key's name; loopback detection. */
#include <stdio.h>
#include <string.h>

#include "cmn_endpoints.h"
#include "tap.h"

#define KEY40 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

static void s_good(void) {
    char err[256] = "";
    cmn_endpoints_t *e =
        cmn_endpoints_new("[account] endpoint", "tcp://127.0.0.1:7101", err, sizeof(err));
    CHECK(e != NULL, "single: %s", err);
    if (e) {
        CHECK(cmn_endpoints_shards(e) == 1, "1 shard");
        CHECK(cmn_endpoints_instances(e, 0) == 1, "1 instance");
        CHECK_STR(cmn_endpoints_get(e, 0, 0), "tcp://127.0.0.1:7101");
        CHECK_STR(cmn_endpoints_server_key(e, 0, 0), "");
        CHECK(cmn_endpoints_get(e, 0, 1) == NULL, "instance out of range");
        CHECK(cmn_endpoints_get(e, 1, 0) == NULL, "shard out of range");
        CHECK(cmn_endpoints_instances(e, 1) == 0, "no shard 1");
        CHECK_STR(cmn_endpoints_name(e), "[account] endpoint");
        cmn_endpoints_destroy(&e);
        CHECK(e == NULL, "destroy nullifies");
    }
    e = cmn_endpoints_new("k",
                          "tcp://10.0.0.2:7101, tcp://10.0.0.2:7102 | tcp://10.0.0.3:7101@hostc\n"
                          "\t| ipc:///run/dvcid/a.ipc,ipc:///run/dvcid/b.ipc tcp://[::1]:9@" KEY40,
                          err, sizeof(err));
    CHECK(e != NULL, "three shards: %s", err);
    if (e) {
        CHECK(cmn_endpoints_shards(e) == 3, "3 shards");
        CHECK(cmn_endpoints_instances(e, 0) == 2, "shard 0: 2");
        CHECK(cmn_endpoints_instances(e, 1) == 1, "shard 1: 1");
        CHECK(cmn_endpoints_instances(e, 2) == 3, "shard 2: 3");
        CHECK(cmn_endpoints_count(e) == 6, "6 in all");
        CHECK_STR(cmn_endpoints_get(e, 0, 1), "tcp://10.0.0.2:7102");
        CHECK_STR(cmn_endpoints_get(e, 1, 0), "tcp://10.0.0.3:7101");
        CHECK_STR(cmn_endpoints_server_key(e, 1, 0), "hostc");
        CHECK_STR(cmn_endpoints_get(e, 2, 1), "ipc:///run/dvcid/b.ipc");
        CHECK_STR(cmn_endpoints_get(e, 2, 2), "tcp://[::1]:9");
        CHECK_STR(cmn_endpoints_server_key(e, 2, 2), KEY40);
        cmn_endpoints_destroy(&e);
    }
    cmn_endpoints_destroy(&e); /* tolerates NULL */
}

static void s_bad(void) {
    static const struct {
        const char *value;
        const char *want; /* a part of the message */
    } rows[] = {
        {"", "shard 0 has no endpoint"},
        {"   ", "shard 0 has no endpoint"},
        {"tcp://a:1 |", "shard 1 has no endpoint"},
        {"| tcp://a:1", "shard 0 has no endpoint"},
        {"tcp://a:1 || tcp://b:1", "shard 1 has no endpoint"},
        {"udp://a:1", "is not an endpoint"},
        {"127.0.0.1:7101", "is not an endpoint"},
        {"tcp://", "has no address"},
        {"tcp://a:1, tcp://a:1", "listed twice"},
        {"tcp://a:1@", "is not a server key"},
        {"tcp://a:1@bad/name", "is not a server key"},
        {"tcp://a:1@.hidden", "is not a server key"},
        {"tcp://a:1tcp://b:1", "holds two endpoints"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char err[256] = "";
        cmn_endpoints_t *e = cmn_endpoints_new("[otp] endpoint", rows[i].value, err, sizeof(err));
        CHECK(e == NULL, "row %zu \"%s\" accepted", i, rows[i].value);
        CHECK(strstr(err, rows[i].want) != NULL, "row %zu: \"%s\" lacks \"%s\"", i, err,
              rows[i].want);
        CHECK(strncmp(err, "[otp] endpoint: ", 16) == 0, "row %zu names the key: %s", i, err);
        cmn_endpoints_destroy(&e);
    }
    /* Limits: 17 instances in a shard, 65 shards, an endpoint of 300 bytes. */
    char big[8192] = "";
    for (int i = 0; i < 17; i++)
        snprintf(big + strlen(big), sizeof(big) - strlen(big), "tcp://h:%d ", 1000 + i);
    char err[256] = "";
    cmn_endpoints_t *e = cmn_endpoints_new("k", big, err, sizeof(err));
    CHECK(e == NULL && strstr(err, "more than 16 instances"), "17 instances: %s", err);
    big[0] = '\0';
    for (int i = 0; i < 65; i++)
        snprintf(big + strlen(big), sizeof(big) - strlen(big), "%stcp://h:%d", i ? "|" : "",
                 1000 + i);
    e = cmn_endpoints_new("k", big, err, sizeof(err));
    CHECK(e == NULL && strstr(err, "more than 64 shards"), "65 shards: %s", err);
    memset(big, 'a', 300);
    memcpy(big, "ipc://", 6);
    big[300] = '\0';
    e = cmn_endpoints_new("k", big, err, sizeof(err));
    CHECK(e == NULL && strstr(err, "longer than"), "300 bytes: %s", err);
}

static void s_local(void) {
    static const struct {
        const char *ep;
        int local;
    } rows[] = {
        {"ipc:///tmp/a.ipc", 1},     {"inproc://x", 1},
        {"tcp://127.0.0.1:7101", 1}, {"tcp://127.1.2.3:1", 1},
        {"tcp://[::1]:7101", 1},     {"tcp://localhost:7101", 1},
        {"tcp://10.0.0.2:7101", 0},  {"tcp://*:7101", 0},
        {"tcp://0.0.0.0:7101", 0},   {"tcp://127.0.0.1;10.0.0.2:7101", 0},
        {"tcp://hosta:7101", 0},     {"tcp://1270.0.0.1:1", 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK(cmn_endpoints_is_local(rows[i].ep) == rows[i].local, "%s", rows[i].ep);
}

int main(void) {
    s_good();
    s_bad();
    s_local();
    return TEST_DONE();
}
