/* sms_gate: the gate in front of each provider: a token bucket (at most tps messages per
 * second, bursts of up to one second's worth) and a circuit breaker. The breaker opens
 * after `failures` failures in a row (errors and timeouts; throttling does not count),
 * sends nothing for `cooldown_ms`, then lets one probe through (half-open): its success
 * closes the breaker, its failure opens it again. Pure functions over a plain struct with
 * the time passed in, so the unit test (test_sms_route) drives every case; sms_route picks
 * among a route's gates. */
#ifndef SMS_GATE_H
#define SMS_GATE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { SMS_BREAKER_CLOSED, SMS_BREAKER_OPEN, SMS_BREAKER_HALF_OPEN } sms_breaker_state_t;

typedef struct {
    /* settings */
    int tps; /* 0: no cap */
    int failures;
    uint32_t cooldown_ms;
    /* state */
    double tokens;
    uint64_t refill_ms;
    sms_breaker_state_t state;
    int fails; /* in a row */
    uint64_t open_until_ms;
    bool probing; /* half-open: the one probe is out */
} sms_gate_t;

/* A closed gate at now: tps 0 is no cap; failures under 1 count as 1. */
void sms_gate_init(sms_gate_t *g, int tps, int failures, uint32_t cooldown_ms, uint64_t now);

/* May the gate take a message now (breaker allows and a token is there)? No change. */
bool sms_gate_ready(sms_gate_t *g, uint64_t now);
/* Takes a token (and the half-open probe). Call only after sms_gate_ready. */
void sms_gate_take(sms_gate_t *g, uint64_t now);
/* Gives a token back (the provider refused the message before sending it). */
void sms_gate_untake(sms_gate_t *g);
/* The outcome of a message the gate let through. */
void sms_gate_success(sms_gate_t *g);
void sms_gate_failure(sms_gate_t *g, uint64_t now);
/* Is the breaker letting messages through (closed, or half-open with no probe out)? */
bool sms_gate_up(sms_gate_t *g, uint64_t now);

#endif
