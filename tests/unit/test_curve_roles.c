/* cmn_curve roles: the comma lists of `dvcctl keygen NAME DIR ROLES` to bits, unknown
 * names refused; what a peer may call without CURVE; keygen writes the roles and refuses
 * an unknown one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmn_curve.h"
#include "tap.h"

static void s_parse(void) {
    CHECK(cmn_curve_roles_parse("gateway") == CMN_ROLE_GATEWAY, "one role");
    CHECK(cmn_curve_roles_parse("otp-svc, admin") == (CMN_ROLE_OTP | CMN_ROLE_ADMIN),
          "a list, blanks around names");
    CHECK(cmn_curve_roles_parse("host") == CMN_ROLE_ALL, "host is every role");
    CHECK(cmn_curve_roles_parse("account-svc,sms-worker,account-svc") ==
              (CMN_ROLE_ACCOUNT | CMN_ROLE_SMS),
          "repeats are harmless");
    CHECK(cmn_curve_roles_parse("") == -1, "empty");
    CHECK(cmn_curve_roles_parse("root") == -1, "not a role");
    CHECK(cmn_curve_roles_parse("gateway,") == CMN_ROLE_GATEWAY, "a trailing comma");
    CHECK(cmn_curve_roles_parse("gateway,adminx") == -1, "one bad name spoils the list");
    CHECK(cmn_curve_roles_parse("gate") == -1, "a prefix is not a role");
}

static void s_plain(void) {
    char err[256] = "";
    cmn_curve_t *c = cmn_curve_new(NULL, err, sizeof(err));
    CHECK(c != NULL, "no CURVE: %s", err);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK(cmn_curve_peer_roles(c, &m) == CMN_ROLE_ALL, "without CURVE, every role (local only)");
    zmq_msg_close(&m);
    cmn_curve_destroy(&c);
    CHECK(c == NULL, "destroy nullifies");
}

static void s_keygen(void) {
    char dir[] = "/tmp/dvcid-roles-XXXXXX", err[256] = "", path[128];
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    CHECK(cmn_curve_keygen("ops", dir, "admin", err, sizeof(err)) == 0, "keygen: %s", err);
    snprintf(path, sizeof(path), "%s/ops.cert", dir);
    zcert_t *cert = zcert_load(path);
    CHECK(cert != NULL, "the public cert reads back");
    if (cert)
        CHECK_STR(zcert_meta(cert, "roles"), "admin");
    zcert_destroy(&cert);
    CHECK(cmn_curve_keygen("bad", dir, "root", err, sizeof(err)) == -1, "unknown role refused");
    CHECK(strstr(err, "roles") != NULL, "says why: %s", err);
    snprintf(path, sizeof(path), "%s/bad.cert", dir);
    CHECK(access(path, F_OK) != 0, "nothing written for a refused role");
    CHECK(cmn_curve_keygen("plain", dir, NULL, err, sizeof(err)) == 0, "no roles: %s", err);
    snprintf(path, sizeof(path), "%s/plain.cert", dir);
    cert = zcert_load(path);
    CHECK(cert && zcert_meta(cert, "roles") == NULL, "a cert without roles");
    zcert_destroy(&cert);
    const char *files[] = {"ops.cert", "ops.cert_secret", "plain.cert", "plain.cert_secret"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        CHECK(unlink(path) == 0, "remove %s", files[i]);
    }
    CHECK(rmdir(dir) == 0, "cleanup");
}

int main(void) {
    s_parse();
    s_plain();
    s_keygen();
    return TEST_DONE();
}
