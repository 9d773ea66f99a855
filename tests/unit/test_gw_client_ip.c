/* gw_client_ip: the socket peer unless it is a trusted proxy; then the right-most
 * X-Forwarded-For entry that is not a trusted proxy. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "gw_client_ip.h"
#include "tap.h"

static void test_resolve(void) {
    gw_client_ip_t *ips = gw_client_ip_new("10.0.0.0/8, 192.168.1.5 ::1  fd00::/8");
    CHECK(ips != NULL, "parses");
    static const struct {
        const char *peer, *xff, *want;
    } rows[] = {
        /* untrusted peer: the header is ignored */
        {"203.0.113.9", "1.2.3.4", "203.0.113.9"},
        {"203.0.113.9", NULL, "203.0.113.9"},
        /* trusted peer without a header */
        {"10.1.2.3", NULL, "10.1.2.3"},
        {"10.1.2.3", "", "10.1.2.3"},
        /* trusted peer: right-most untrusted */
        {"10.1.2.3", "198.51.100.7", "198.51.100.7"},
        {"10.1.2.3", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
        {"10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"},
        {"10.1.2.3", "6.6.6.6,198.51.100.7,192.168.1.5,10.0.0.1", "198.51.100.7"},
        {"192.168.1.5", " 198.51.100.7 ", "198.51.100.7"},
        {"192.168.1.6", "198.51.100.7", "192.168.1.6"}, /* /32: the neighbour is not trusted */
        /* all trusted: the left-most */
        {"10.1.2.3", "10.0.0.2, 10.0.0.1", "10.0.0.2"},
        /* garbage stops the walk at the last trusted hop */
        {"10.1.2.3", "6.6.6.6, not-an-ip", "10.1.2.3"},
        {"10.1.2.3", "1.1.1.1, garbage, 10.0.0.7", "10.0.0.7"},
        /* ports and brackets some proxies add */
        {"10.1.2.3", "198.51.100.7:5555", "198.51.100.7"},
        {"10.1.2.3", "[2001:db8::1]:443", "2001:db8::1"},
        /* IPv6 */
        {"::1", "2001:db8::5", "2001:db8::5"},
        {"fd12::1", "2001:db8::5, fd00::9", "2001:db8::5"},
        {"2001:db8::1", "1.2.3.4", "2001:db8::1"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[GW_IP_MAX];
        gw_client_ip_resolve(ips, rows[i].peer, rows[i].xff, out, sizeof(out));
        CHECK(strcmp(out, rows[i].want) == 0, "peer %s xff \"%s\": got %s, want %s", rows[i].peer,
              rows[i].xff ? rows[i].xff : "(none)", out, rows[i].want);
    }
    CHECK(gw_client_ip_trusted(ips, "10.255.255.255"), "in /8");
    CHECK(!gw_client_ip_trusted(ips, "11.0.0.0"), "outside /8");
    CHECK(!gw_client_ip_trusted(ips, "junk"), "junk is not trusted");
    gw_client_ip_destroy(&ips);
    CHECK(ips == NULL, "destroy nullifies");
    gw_client_ip_destroy(&ips);
}

static void test_nobody_trusted(void) {
    gw_client_ip_t *ips = gw_client_ip_new("");
    CHECK(ips != NULL, "empty list");
    char out[GW_IP_MAX];
    gw_client_ip_resolve(ips, "127.0.0.1", "1.2.3.4", out, sizeof(out));
    CHECK_STR(out, "127.0.0.1");
    gw_client_ip_destroy(&ips);
}

static void test_bad_lists(void) {
    static const char *bad[] = {"10.0.0.0/33", "10.0.0.0/",   "nonsense",   "::1/129",
                                "1.2.3/8",     "10.0.0.0/-1", "10.0.0.0/8x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_client_ip_t *ips = gw_client_ip_new(bad[i]);
        CHECK(ips == NULL, "refuses %s", bad[i]);
        gw_client_ip_destroy(&ips);
    }
    gw_client_ip_t *any = gw_client_ip_new("0.0.0.0/0");
    CHECK(gw_client_ip_trusted(any, "8.8.8.8") && !gw_client_ip_trusted(any, "::2"),
          "/0 is every IPv4 address and no IPv6 one");
    gw_client_ip_destroy(&any);
}

static void test_sockaddr(void) {
    char out[GW_IP_MAX];
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
    gw_client_ip_from_sockaddr((struct sockaddr *)&a4, out, sizeof(out));
    CHECK_STR(out, "192.0.2.1");
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:192.0.2.2", &a6.sin6_addr);
    gw_client_ip_from_sockaddr((struct sockaddr *)&a6, out, sizeof(out));
    CHECK_STR(out, "192.0.2.2");
    inet_pton(AF_INET6, "2001:db8::7", &a6.sin6_addr);
    gw_client_ip_from_sockaddr((struct sockaddr *)&a6, out, sizeof(out));
    CHECK_STR(out, "2001:db8::7");
    gw_client_ip_from_sockaddr(NULL, out, sizeof(out));
    CHECK_STR(out, "");
    /* The dotted quad is written by hand: it must be what inet_ntop writes. */
    for (unsigned v = 0; v < 256; v += 17) {
        unsigned char *b = (unsigned char *)&a4.sin_addr;
        b[0] = (unsigned char)v, b[1] = (unsigned char)(255 - v), b[2] = 0, b[3] = 255;
        char ref[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a4.sin_addr, ref, sizeof(ref));
        gw_client_ip_from_sockaddr((struct sockaddr *)&a4, out, sizeof(out));
        CHECK_STR(out, ref);
    }
}

/* The attack: a client pads its own X-Forwarded-For so that the joined list is
 * full before the trusted proxy's entry; a list cut at the cap would end in an
 * address the client chose (a new one per request, past every per-IP limit). The
 * join refuses instead of cutting. */
static void test_xff_overflow(void) {
    gw_xff_t xff = {.list = "", .overflow = false};
    CHECK(gw_client_ip_xff_add(&xff, "6.6.6.6") == 0 && gw_client_ip_xff_add(&xff, "10.0.0.1") == 0,
          "two headers join");
    CHECK_STR(xff.list, "6.6.6.6,10.0.0.1");
    gw_xff_t big = {.list = "", .overflow = false};
    char pad[GW_XFF_MAX];
    size_t n = 0;
    while (n + 8 < sizeof(pad) - 1) {
        memcpy(pad + n, "1.1.1.1,", 8);
        n += 8;
    }
    memcpy(pad + n, "6.6.6.6", 7); /* the client's pick, at the very end of the cap */
    pad[n + 7] = '\0';
    CHECK(gw_client_ip_xff_add(&big, pad) == 0, "the client's header fits alone (%zu bytes)",
          strlen(pad));
    CHECK(gw_client_ip_xff_add(&big, "198.51.100.7") == -1 && big.overflow,
          "the proxy's entry does not fit: overflow, not a cut");
    CHECK(strstr(big.list, "198.51") == NULL, "nothing of the proxy's entry was half kept");
    CHECK(gw_client_ip_xff_add(&big, "1.2.3.4") == -1, "overflow stays");
    gw_xff_t one = {.list = "", .overflow = false};
    char huge[GW_XFF_MAX + 10];
    memset(huge, '1', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    CHECK(gw_client_ip_xff_add(&one, huge) == -1 && one.list[0] == '\0', "one header too long");
}

int main(void) {
    test_xff_overflow();
    test_resolve();
    test_nobody_trusted();
    test_bad_lists();
    test_sockaddr();
    return TEST_DONE();
}
