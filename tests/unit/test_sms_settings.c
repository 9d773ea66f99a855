/* sms_settings: the [sms] keys, and further providers by name ([sms.NAME]): their
 * names, their kind, the keys they set and the [sms] values they keep. */
#include <string.h>

#include "cmn_config.h"
#include "sms_settings.h"
#include "tap.h"

static sms_settings_t s_base, s_out;

int main(void) {
    cmn_config_t cfg;
    char err[256] = "";
    cmn_config_defaults(&cfg);
    CHECK(cmn_config_load_string(&cfg, "t",
                                 "[sms]\nprovider = http\nhttp_url = http://one/s\nhttp_tps = 7\n"
                                 "smpp_host = smsc1\nsmpp_system_id = a\n"
                                 "[sms.two]\nkind = http\nhttp_url = http://two/s\nhttp_tps = 9\n"
                                 "[sms.b2]\nkind = smpp\nsmpp_host = smsc2\nsmpp_port = 2776\n",
                                 err, sizeof(err)) == 0,
          "load: %s", err);
    sms_settings_load(&s_base, &cfg);
    CHECK_STR(s_base.name, "");
    char names[8][SMS_SET_NAME];
    CHECK(sms_settings_names(&cfg, names, 8) == 2, "two named");
    CHECK_STR(names[0], "two");
    CHECK_STR(names[1], "b2");
    CHECK(sms_settings_names(&cfg, names, 1) == 1, "at most max");

    CHECK(sms_settings_for(&s_base, &cfg, "http", &s_out) == SMS_KIND_HTTP, "http");
    CHECK_STR(s_out.name, "http");
    CHECK_STR(s_out.http_url, "http://one/s");
    CHECK(s_out.http_tps == 7, "http tps");
    CHECK(sms_settings_for(&s_base, &cfg, "smpp", &s_out) == SMS_KIND_SMPP, "smpp");
    CHECK_STR(s_out.smpp_host, "smsc1");

    CHECK(sms_settings_for(&s_base, &cfg, "two", &s_out) == SMS_KIND_HTTP, "two");
    CHECK_STR(s_out.name, "two");
    CHECK_STR(s_out.http_url, "http://two/s");
    CHECK(s_out.http_tps == 9 && s_out.http_timeout_ms == s_base.http_timeout_ms,
          "two overrides tps, keeps the timeout");
    CHECK(sms_settings_for(&s_base, &cfg, "b2", &s_out) == SMS_KIND_SMPP, "b2");
    CHECK_STR(s_out.smpp_host, "smsc2");
    CHECK(s_out.smpp_port == 2776, "b2 port");
    CHECK_STR(s_out.smpp_system_id, "a");
    CHECK(sms_settings_for(&s_base, &cfg, "nope", &s_out) == SMS_KIND_NONE, "unknown name");
    return TEST_DONE();
}
