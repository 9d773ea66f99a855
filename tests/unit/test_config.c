/* cmn_config: defaults, every error reported with file:line, unknown keys, keys given
 * twice, bounds, the provider not built yet, inline comments as api.md writes them, and
 * what a reload keeps (cmn_config_keep_fixed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmn_config.h"
#include "tap.h"

typedef struct {
    const char *text;
    const char *err_has; /* NULL: loads */
} s_case_t;

static const s_case_t s_cases[] = {
    {"[otp]\nttl = 120\n", NULL},
    {"[gateway]\ntrusted_proxies =            ; CIDRs whose X-Forwarded-For is believed\n", NULL},
    {"; comment\n[sms]\nprovider = file\n", NULL},
    {"[otp]\nttl = 301\n", "t.conf:2: [otp] ttl = \"301\": expected an integer from 1 to 300"},
    {"[otp]\n\nlength = six\n", "t.conf:3: [otp] length"},
    {"[otp]\nlenght = 6\n", "t.conf:2: unknown key \"lenght\" in section [otp]"},
    {"[nope]\nx = 1\n", "t.conf:2: unknown key \"x\" in section [nope]"},
    {"[sms]\nprovider = smpp\n", NULL},
    {"[sms]\nhttp_url = http://k/s?a=1\n    &b=2\n", NULL},
    {"[otp]\nttl = 30\n    0\n", "t.conf:3: [otp] ttl: only text values continue"},
    {"[sms]\nprovider = pigeon\n", "expected one of file|http|smpp"},
    {"[log]\nlevel = loud\n", "expected one of debug|info|warn|error"},
    {"[otp]\nttl\n", "t.conf:2: not valid INI"},
    /* Further SMS providers by name, [sms.NAME]. */
    {"[sms.kannel2]\nkind = http\nhttp_url = http://k2/s\n    ?a=1\nhttp_tps = 5\n", NULL},
    {"[sms.vnpt]\nkind = smpp\nsmpp_host = h\nsmpp_port = 2776\n", NULL},
    {"[sms.b]\nhttp_url = http://x\n", "t.conf: section [sms.b] needs kind = http or smpp"},
    {"[sms.b]\nkind = pigeon\n", "t.conf:2: [sms.b] kind = \"pigeon\": expected one of http|smpp"},
    {"[sms.b]\nkind = http\nroutes = *=http\n",
     "t.conf:3: unknown key \"routes\" in section [sms.b]"},
    {"[sms.b]\nkind = smpp\nsmpp_port = 0\n", "t.conf:3: [sms] smpp_port = \"0\": expected an "},
    {"[sms.http]\nkind = http\n", "t.conf:2: [sms.http]: a provider name is"},
    {"[sms.Big]\nkind = http\n", "t.conf:2: [sms.Big]: a provider name is"},
    {"[sms.b]\nkind = http\nkind = smpp\n", "t.conf:3: [sms.b] kind given twice"},
    /* routes: ";" separates groups, and " ;" would start a comment: refused, not cut. */
    {"[sms]\nroutes = +8498=smpp;*=http\n", NULL},
    {"[sms]\nroutes = +8498=smpp; *=http\n", NULL},
    {"[sms]\nroutes = +8498=smpp ; *=http\n", "t.conf:2: routes: a \";\" after a space"},
    {"[sms]\nroutes = +8498=smpp\t;*=http\n", "t.conf:2: routes: a \";\" after a space"},
    {"[sms]\nroutes = +8498=smpp;\n    +8497=http ; *=http\n", "t.conf:3: routes: a \";\""},
    {"[sms]\nroutes = +8498=smpp\n    ;*=http\n", "t.conf:3: an indented \";\" line under"},
    {"[sms]\nroutes = +8498=smpp;*=http\nfile = x ; comment\n", NULL},
    {"[sms]\nroutes =        ; empty, then a comment\n", NULL},
    /* A key given twice is refused with both lines, not settled by the last one. */
    {"[captcha]\ntest_answer = A\nttl = 60\ntest_answer = B\n",
     "t.conf:4: [captcha] test_answer given twice (first at line 2)"},
    {"[otp]\nttl = 60\n[login]\nmax_failures = 3\n[otp]\nttl = 90\n",
     "t.conf:6: [otp] ttl given twice (first at line 2)"},
    {"[otp]\nttl = 60\n[login]\nmax_failures = 3\n[otp]\nlength = 8\n", NULL},
    {"[sms]\nhttp_url = http://k/s?a=1\n    &b=2\nhttp_url = x\n",
     "t.conf:4: [sms] http_url given twice (first at line 2)"},
};

int main(void) {
    cmn_config_t cfg;
    cmn_config_defaults(&cfg);
    CHECK_STR(cfg.gateway_listen, "127.0.0.1:8080");
    CHECK_STR(cfg.storage_dir, "./var");
    CHECK(cfg.otp_length == 6 && cfg.otp_ttl == 300 && cfg.otp_resend_after == 60, "otp");
    CHECK(cfg.otp_max_attempts == 5 && cfg.otp_max_sends_per_flow == 5, "otp limits");
    CHECK(cfg.otp_max_sends_per_phone_hour == 5 && cfg.otp_max_sends_per_ip_hour == 200 &&
              cfg.otp_max_sends_per_prefix_hour == 200,
          "send limits");
    CHECK(cfg.login_max_failures == 5 && cfg.login_lock_seconds == 900, "login");
    CHECK_STR(cfg.sms_provider, "file");
    CHECK_STR(cfg.sms_file, "./var/sms-outbox.jsonl");
    CHECK_STR(cfg.sms_http_method, "GET");
    CHECK_STR(cfg.sms_http_content_type, "application/json");
    CHECK(cfg.sms_smpp_port == 2775, "smpp port");
    CHECK_STR(cfg.sms_smpp_source, "DVCQG");
    for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
        char err[512] = "";
        cmn_config_defaults(&cfg);
        int rc = cmn_config_load_string(&cfg, "t.conf", s_cases[i].text, err, sizeof(err));
        if (!s_cases[i].err_has)
            CHECK(rc == 0, "case %zu: %s", i, err);
        else
            CHECK(rc == -1 && strstr(err, s_cases[i].err_has), "case %zu: rc %d err \"%s\"", i, rc,
                  err);
    }
    cmn_config_defaults(&cfg);
    char err[256];
    CHECK(cmn_config_load_string(&cfg, "t", "[otp]\nttl = 120\n", err, sizeof(err)) == 0, "ttl");
    CHECK(cfg.otp_ttl == 120, "ttl applied");
    CHECK(cmn_config_load(&cfg, "/nonexistent/dvcid.conf", err, sizeof(err)) == -1 &&
              strstr(err, "/nonexistent/dvcid.conf"),
          "missing file: %s", err);
    /* A long value continues on indented lines; a line past inih's buffer is an error. */
    cmn_config_defaults(&cfg);
    CHECK(cmn_config_load_string(&cfg, "t", "[sms]\nhttp_url = http://k/s?a=1\n    &b=2\n", err,
                                 sizeof(err)) == 0 &&
              strcmp(cfg.sms_http_url, "http://k/s?a=1&b=2") == 0,
          "continued: %s", cfg.sms_http_url);
    char longline[600];
    snprintf(longline, sizeof(longline), "[sms]\nhttp_url = http://%0400d\n", 0);
    CHECK(cmn_config_load_string(&cfg, "t", longline, err, sizeof(err)) == -1 &&
              strstr(err, "t:2: line longer than"),
          "long line: %s", err);
    /* Named sections keep their keys as written, continuation lines joined. */
    cmn_config_defaults(&cfg);
    CHECK(cmn_config_load_string(&cfg, "t",
                                 "[sms.k2]\nkind = http\nhttp_url = http://k2/s\n    ?a=1\n"
                                 "[sms.v]\nkind = smpp\n",
                                 err, sizeof(err)) == 0 &&
              cfg.sms_nsub == 3,
          "named: %s (%d keys)", err, cfg.sms_nsub);
    CHECK(strcmp(cfg.sms_sub[1].section, "k2") == 0 &&
              strcmp(cfg.sms_sub[1].key, "http_url") == 0 &&
              strcmp(cfg.sms_sub[1].value, "http://k2/s?a=1") == 0,
          "named key: [%s] %s = %s", cfg.sms_sub[1].section, cfg.sms_sub[1].key,
          cfg.sms_sub[1].value);
    /* The shipped development config loads and holds every default it documents. */
    char err2[512] = "";
    CHECK(cmn_config_load(&cfg, DVCID_SRC_DIR "/deploy/dev.conf", err2, sizeof(err2)) == 0,
          "dev.conf: %s", err2);
    CHECK(cfg.token_access_ttl == 300 && cfg.account_flow_ttl == 900 && !cfg.gateway_cookie_secure,
          "dev.conf values");
    CHECK(cfg.gateway_public_metrics &&
              strcmp(cfg.gateway_management_listen, "127.0.0.1:9180") == 0,
          "dev.conf: /metrics public, management listener on loopback");
    cmn_config_defaults(&cfg);
    CHECK(!cfg.gateway_public_metrics &&
              strcmp(cfg.gateway_management_listen, "127.0.0.1:9180") == 0,
          "production defaults: /metrics only on the management listener");
    CHECK(cmn_config_load_string(&cfg, "t", "[gateway]\ncookie_secure = maybe\n", err2,
                                 sizeof(err2)) == -1 &&
              strstr(err2, "expected true or false"),
          "bool: %s", err2);
    /* Route groups split over lines join with nothing lost. */
    cmn_config_defaults(&cfg);
    CHECK(cmn_config_load_string(&cfg, "t", "[sms]\nroutes = +8498=smpp;\n    *=http\n", err2,
                                 sizeof(err2)) == 0 &&
              strcmp(cfg.sms_routes, "+8498=smpp;*=http") == 0,
          "routes continued: %s %s", err2, cfg.sms_routes);
    /* DVCID_<SECTION>_<KEY> over the file, checked as the key is. */
    setenv("DVCID_OTP_TTL", "99", 1);
    setenv("DVCID_SMS_SMPP_SOURCE", "FROMENV", 1);
    CHECK(cmn_config_load(&cfg, DVCID_SRC_DIR "/deploy/dev.conf", err2, sizeof(err2)) == 0 &&
              cfg.otp_ttl == 99 && strcmp(cfg.sms_smpp_source, "FROMENV") == 0,
          "environment: %s ttl %d", err2, cfg.otp_ttl);
    setenv("DVCID_OTP_TTL", "9999", 1);
    CHECK(cmn_config_load(&cfg, NULL, err2, sizeof(err2)) == -1 &&
              strstr(err2, "environment DVCID_OTP_TTL: [otp] ttl = \"9999\""),
          "bad environment: %s", err2);
    unsetenv("DVCID_OTP_TTL");
    unsetenv("DVCID_SMS_SMPP_SOURCE");
    /* A reload keeps the keys that cannot change live, names them, and takes the rest. */
    cmn_config_t cur, next;
    cmn_config_defaults(&cur);
    cur.proc_shard = 1;
    cur.proc_path = "t.conf";
    cmn_config_defaults(&next);
    CHECK(cmn_config_load_string(&next, "t",
                                 "[gateway]\nlisten = 127.0.0.1:9999\n[otp]\nmax_attempts = 3\n"
                                 "endpoint = tcp://127.0.0.1:1\n[sms]\nroutes = *=http\n"
                                 "http_url = http://x/{to}\n[storage]\nmin_free_mib = 7\n"
                                 "[sms.b]\nkind = http\n",
                                 err2, sizeof(err2)) == 0,
          "reload text: %s", err2);
    char kept[512];
    int nkept = cmn_config_keep_fixed(&cur, &next, kept, sizeof(kept));
    CHECK(nkept == 4, "4 kept: %d (%s)", nkept, kept);
    CHECK(strcmp(kept, "[gateway] listen, [otp] endpoint, [sms] http_url, [sms.NAME] sections") ==
              0,
          "kept named: %s", kept);
    CHECK(strcmp(next.gateway_listen, cur.gateway_listen) == 0 &&
              strcmp(next.otp_endpoint, cur.otp_endpoint) == 0 && next.sms_http_url[0] == '\0' &&
              next.sms_nsub == 0,
          "fixed keys keep their running values");
    CHECK(next.otp_max_attempts == 3 && strcmp(next.sms_routes, "*=http") == 0 &&
              next.storage_min_free_mib == 7,
          "live keys take the file's");
    CHECK(next.proc_shard == 1 && next.proc_path && strcmp(next.proc_path, "t.conf") == 0,
          "the command line's settings stay");
    CHECK(cmn_config_keep_fixed(&cur, &cur, kept, sizeof(kept)) == 0 && kept[0] == '\0',
          "nothing kept when nothing changed: %s", kept);
    /* *_file: a relative name is read from $CREDENTIALS_DIRECTORY (LoadCredential=). */
    char dir[] = "/tmp/dvcid-creds-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[128];
    snprintf(path, sizeof(path), "%s/smpp", dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("s3cret\n", f) >= 0, "write credential");
    if (f)
        fclose(f);
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    setenv("DVCID_SMS_SMPP_PASSWORD_FILE", "smpp", 1);
    CHECK(cmn_config_load(&cfg, NULL, err2, sizeof(err2)) == 0 &&
              strcmp(cfg.sms_smpp_password, "s3cret") == 0,
          "credential: %s \"%s\"", err2, cfg.sms_smpp_password);
    setenv("DVCID_SMS_SMPP_PASSWORD_FILE", "missing", 1);
    CHECK(cmn_config_load(&cfg, NULL, err2, sizeof(err2)) == -1 &&
              strstr(err2, "smpp_password_file = \"missing\": cannot open"),
          "missing credential: %s", err2);
    unsetenv("DVCID_SMS_SMPP_PASSWORD_FILE");
    unsetenv("CREDENTIALS_DIRECTORY");
    unlink(path);
    rmdir(dir);
    return TEST_DONE();
}
