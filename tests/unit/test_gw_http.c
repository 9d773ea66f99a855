/* gw_http helpers: the JSON media type check and the listen address parser. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "gw_http.h"
#include "tap.h"

static void test_media_type(void) {
    static const struct {
        const char *ct;
        bool ok;
    } rows[] = {
        {"application/json", true},
        {"Application/JSON", true},
        {"application/json; charset=utf-8", true},
        {"application/json;charset=UTF-8", true},
        {"application/json; charset=\"utf-8\"", true},
        {"  application/json  ", true},
        {"application/json; foo=bar", true},
        {"application/json; charset=latin1", false},
        {"application/jsonx", false},
        {"application/x-www-form-urlencoded", false},
        {"text/plain", false},
        {"text/json", false},
        {"", false},
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK(gw_http_is_json(rows[i].ct) == rows[i].ok, "\"%s\"",
              rows[i].ct ? rows[i].ct : "(null)");
}

static void test_listen(void) {
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[64];
    CHECK(gw_http_listen_addr("127.0.0.1:8080", &ss, &len) == 0, "ipv4");
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
    CHECK(ss.ss_family == AF_INET && ntohs(a4->sin_port) == 8080, "family and port");
    inet_ntop(AF_INET, &a4->sin_addr, buf, sizeof(buf));
    CHECK_STR(buf, "127.0.0.1");
    CHECK(gw_http_listen_addr("[::1]:9090", &ss, &len) == 0, "ipv6");
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
    CHECK(ss.ss_family == AF_INET6 && ntohs(a6->sin6_port) == 9090, "v6 port");
    CHECK(gw_http_listen_addr("*:8081", &ss, &len) == 0 && ss.ss_family == AF_INET, "any address");
    CHECK(gw_http_listen_addr("0.0.0.0:80", &ss, &len) == 0, "0.0.0.0");
    static const char *bad[] = {"127.0.0.1",      "127.0.0.1:",   "::1:80",
                                "127.0.0.1:http", "256.1.1.1:80", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(gw_http_listen_addr(bad[i], &ss, &len) != 0, "refuses \"%s\"", bad[i]);
}

int main(void) {
    test_media_type();
    test_listen();
    return TEST_DONE();
}
