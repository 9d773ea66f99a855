/* Unit test of sms_route, table-driven: route specs (good and bad), longest-prefix
 * matching, the token bucket, the circuit breaker's states over time, and picks
 * by weight, stand-by, caps and open breakers. Time is passed in, never read. */
#include <string.h>

#include "sms_route.h"
#include "tap.h"

static const char *const s_names[] = {"http", "smpp", "http2"};

typedef struct {
    const char *spec;
    int n;           /* routes, or -1 for an error */
    const char *err; /* a word the error holds */
} parse_row_t;

typedef struct {
    const char *phone;
    const char *prefix; /* NULL: no route */
} match_row_t;

int main(void) {
    sms_route_t r[SMS_ROUTE_MAX];
    char err[256];
    const parse_row_t prows[] = {
        {"", 1, NULL},
        {"  ;  ", 1, NULL},
        {"*=http", 1, NULL},
        {"+8486,+8496=smpp*3,http; *=http,smpp", 3, NULL},
        {"+84=http*0,smpp*1000", 1, NULL},
        {"+8486=pigeon", -1, "unknown provider"},
        {"+8486=smpp*0x", -1, "weight"},
        {"+8486=smpp*1001", -1, "weight"},
        {"+8486=smpp*-1", -1, "weight"},
        {"8486=smpp", -1, "prefix"},
        {"+84a=smpp", -1, "prefix"},
        {"+8486=smpp;+8486=http", -1, "twice"},
        {"+8486=smpp,smpp", -1, "twice"},
        {"+8486=", -1, "no provider"},
        {"+8486=,http", -1, "empty provider"},
        {"+8486 smpp", -1, "expected"},
        {"+84=http,smpp,http2,http2", -1, "twice"},
    };
    for (size_t i = 0; i < sizeof(prows) / sizeof(prows[0]); i++) {
        err[0] = '\0';
        int n = sms_route_parse(prows[i].spec, s_names, 3, r, SMS_ROUTE_MAX, err, sizeof(err));
        CHECK(n == prows[i].n, "spec \"%s\": %d routes (%s)", prows[i].spec, n, err);
        if (prows[i].err)
            CHECK(strstr(err, prows[i].err) != NULL, "spec \"%s\": error \"%s\"", prows[i].spec,
                  err);
    }
    /* The default route, and what a multi-prefix spec gives. */
    CHECK(sms_route_parse("", s_names, 3, r, SMS_ROUTE_MAX, err, sizeof(err)) == 1, "default");
    CHECK(strcmp(r[0].prefix, "*") == 0 && r[0].n == 1 && r[0].prov[0] == 0, "default route");
    int n = sms_route_parse("+8486,+8496=smpp*3,http; *=http,smpp*0; +849=http2", s_names, 3, r,
                            SMS_ROUTE_MAX, err, sizeof(err));
    CHECK(n == 4, "%d routes", n);
    CHECK(strcmp(r[1].prefix, "+8496") == 0 && r[1].n == 2 && r[1].prov[0] == 1 &&
              r[1].weight[0] == 3 && r[1].prov[1] == 0 && r[1].weight[1] == 1,
          "shared providers");
    CHECK(r[2].weight[1] == 0, "stand-by weight");
    CHECK(sms_route_parse("+1=http;+2=http;+3=http", s_names, 3, r, 2, err, sizeof(err)) == -1,
          "more routes than room");

    /* Longest prefix wins; "*" catches the rest. */
    n = sms_route_parse("+8486,+8496=smpp; +849=http2; *=http", s_names, 3, r, SMS_ROUTE_MAX, err,
                        sizeof(err));
    const match_row_t mrows[] = {
        {"+84861234567", "+8486"}, {"+84961234567", "+8496"}, {"+84912345678", "+849"},
        {"+84331234567", "*"},     {"+12025550123", "*"},
    };
    for (size_t i = 0; i < sizeof(mrows) / sizeof(mrows[0]); i++) {
        const sms_route_t *m = sms_route_match(r, n, mrows[i].phone);
        CHECK(m && strcmp(m->prefix, mrows[i].prefix) == 0, "%s -> %s", mrows[i].phone,
              m ? m->prefix : "(none)");
    }
    n = sms_route_parse("+8486=smpp", s_names, 3, r, SMS_ROUTE_MAX, err, sizeof(err));
    CHECK(sms_route_match(r, n, "+84912345678") == NULL, "no route without *");

    /* Token bucket: 10/s, bursts of 10, refilled with time. */
    sms_gate_t g;
    uint64_t t = 1000000;
    sms_gate_init(&g, 10, 3, 5000, t);
    int taken = 0;
    while (sms_gate_ready(&g, t) && taken < 100) {
        sms_gate_take(&g, t);
        taken++;
    }
    CHECK(taken == 10, "burst %d", taken);
    CHECK(!sms_gate_ready(&g, t + 50), "token after 50 ms");
    CHECK(sms_gate_ready(&g, t + 100), "no token after 100 ms");
    sms_gate_take(&g, t + 100);
    sms_gate_untake(&g);
    CHECK(sms_gate_ready(&g, t + 100), "untake gave nothing back");
    sms_gate_init(&g, 0, 3, 5000, t);
    for (int i = 0; i < 1000; i++)
        sms_gate_take(&g, t);
    CHECK(sms_gate_ready(&g, t), "uncapped gate capped");

    /* Breaker: 3 failures in a row open it; a success in between resets the count;
     * after the cool-down one probe goes; its failure reopens, its success closes. */
    sms_gate_init(&g, 0, 3, 5000, t);
    sms_gate_failure(&g, t);
    sms_gate_failure(&g, t);
    sms_gate_success(&g);
    sms_gate_failure(&g, t);
    sms_gate_failure(&g, t);
    CHECK(g.state == SMS_BREAKER_CLOSED && sms_gate_ready(&g, t), "opened early");
    sms_gate_failure(&g, t);
    CHECK(g.state == SMS_BREAKER_OPEN && !sms_gate_ready(&g, t + 4999), "not open");
    CHECK(sms_gate_ready(&g, t + 5000) && g.state == SMS_BREAKER_HALF_OPEN, "no half-open");
    sms_gate_take(&g, t + 5000);
    CHECK(!sms_gate_ready(&g, t + 5001), "two probes at once");
    sms_gate_failure(&g, t + 6000);
    CHECK(g.state == SMS_BREAKER_OPEN && !sms_gate_ready(&g, t + 10999), "probe failure");
    CHECK(sms_gate_ready(&g, t + 11000), "second half-open");
    sms_gate_take(&g, t + 11000);
    sms_gate_success(&g);
    CHECK(g.state == SMS_BREAKER_CLOSED && g.fails == 0 && sms_gate_ready(&g, t + 11001),
          "probe success");
    /* A throttled probe frees the slot without judging the provider. */
    sms_gate_init(&g, 0, 1, 1000, t);
    sms_gate_failure(&g, t);
    CHECK(sms_gate_ready(&g, t + 1000), "half-open");
    sms_gate_take(&g, t + 1000);
    sms_gate_untake(&g);
    CHECK(sms_gate_ready(&g, t + 1000) && g.state == SMS_BREAKER_HALF_OPEN, "untaken probe");

    /* Picks: weights draw by rnd; an open breaker moves traffic to the others; a
     * stand-by (weight 0) only when no weighted one can; caps make it wait. */
    sms_gate_t gates[3];
    for (int i = 0; i < 3; i++)
        sms_gate_init(&gates[i], 0, 1, 1000, t);
    n = sms_route_parse("*=http*3,smpp*1,http2*0", s_names, 3, r, SMS_ROUTE_MAX, err, sizeof(err));
    CHECK(n == 1, "pick route");
    int count[3] = {0, 0, 0};
    for (uint32_t rnd = 0; rnd < 400; rnd++)
        count[sms_route_pick(&r[0], gates, t, rnd)]++;
    CHECK(count[0] == 300 && count[1] == 100 && count[2] == 0, "weights %d/%d/%d", count[0],
          count[1], count[2]);
    sms_gate_failure(&gates[0], t); /* http opens */
    for (uint32_t rnd = 0; rnd < 10; rnd++)
        CHECK(sms_route_pick(&r[0], gates, t + 10, rnd) == 1, "not moved to smpp");
    sms_gate_failure(&gates[1], t + 10); /* smpp opens too: the stand-by */
    CHECK(sms_route_pick(&r[0], gates, t + 20, 0) == 2, "stand-by not used");
    sms_gate_failure(&gates[2], t + 20); /* everything open */
    CHECK(sms_route_pick(&r[0], gates, t + 30, 0) == SMS_PICK_BROKEN, "broken");
    /* http recovers first (its cool-down ends first): its probe, then nothing more
     * until the probe's answer; then back to http once it succeeded. */
    CHECK(sms_route_pick(&r[0], gates, t + 1000, 0) == 0, "probe not to http");
    int next = sms_route_pick(&r[0], gates, t + 1000, 0);
    CHECK(next == SMS_PICK_BROKEN, "second message during the probe: %d", next);
    sms_gate_success(&gates[0]);
    CHECK(sms_route_pick(&r[0], gates, t + 1001, 0) == 0, "not back to http");
    /* Caps: with every token spent the answer is "wait", not "broken". */
    sms_gate_t capped[1];
    sms_gate_init(&capped[0], 1, 1, 1000, t);
    n = sms_route_parse("*=http", s_names, 3, r, SMS_ROUTE_MAX, err, sizeof(err));
    CHECK(n == 1, "capped route");
    CHECK(sms_route_pick(&r[0], capped, t, 0) == 0, "first");
    CHECK(sms_route_pick(&r[0], capped, t, 0) == SMS_PICK_CAPPED, "capped");
    CHECK(sms_route_pick(&r[0], capped, t + 1000, 0) == 0, "refilled");
    return TEST_DONE();
}
