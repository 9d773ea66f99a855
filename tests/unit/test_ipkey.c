/* cmn_ipkey: IPv4 as is, IPv6 under its /64, mapped IPv4 as IPv4. */
#include "cmn_ipkey.h"
#include "tap.h"

int main(void) {
    static const struct {
        const char *ip, *want;
    } rows[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:db8::1", "2001:db8::/64"},
        {"2001:0:0:0:ffff::", "2001::/64"},
        {"::1", "::/64"},
        {"fe80::1:2:3:4", "fe80::/64"},
        {"::ffff:192.0.2.9", "192.0.2.9"},
        {"not-an-ip", "not-an-ip"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[CMN_IPKEY_MAX];
        cmn_ipkey(rows[i].ip, out, sizeof(out));
        CHECK_STR(out, rows[i].want);
    }
    char a[CMN_IPKEY_MAX], b[CMN_IPKEY_MAX];
    cmn_ipkey("2001:db8:ffff:ffff:1::", a, sizeof(a));
    cmn_ipkey("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", b, sizeof(b));
    CHECK_STR(a, b);
    CHECK(sizeof("ffff:ffff:ffff:ffff::/64") <= CMN_IPKEY_MAX, "the longest key fits");
    return TEST_DONE();
}
