/* sms_gate: token buckets and circuit breakers (see sms_gate.h). No I/O, no clock:
 * every function takes now. */
#include "sms_gate.h"

#include <string.h>

void sms_gate_init(sms_gate_t *g, int tps, int failures, uint32_t cooldown_ms, uint64_t now) {
    memset(g, 0, sizeof(*g));
    g->tps = tps > 0 ? tps : 0;
    g->failures = failures > 0 ? failures : 1;
    g->cooldown_ms = cooldown_ms;
    g->tokens = g->tps;
    g->refill_ms = now;
    g->state = SMS_BREAKER_CLOSED;
}

static void s_refill(sms_gate_t *g, uint64_t now) {
    if (g->tps == 0 || now <= g->refill_ms)
        return;
    g->tokens += (double)(now - g->refill_ms) * g->tps / 1000.0;
    if (g->tokens > g->tps)
        g->tokens = g->tps;
    g->refill_ms = now;
}

bool sms_gate_up(sms_gate_t *g, uint64_t now) {
    if (g->state == SMS_BREAKER_OPEN && now >= g->open_until_ms) {
        g->state = SMS_BREAKER_HALF_OPEN;
        g->probing = false;
    }
    return g->state == SMS_BREAKER_CLOSED || (g->state == SMS_BREAKER_HALF_OPEN && !g->probing);
}

bool sms_gate_ready(sms_gate_t *g, uint64_t now) {
    if (!sms_gate_up(g, now))
        return false;
    s_refill(g, now);
    return g->tps == 0 || g->tokens >= 1.0;
}

void sms_gate_take(sms_gate_t *g, uint64_t now) {
    s_refill(g, now);
    if (g->tps > 0)
        g->tokens -= 1.0;
    if (g->state == SMS_BREAKER_HALF_OPEN)
        g->probing = true;
}

void sms_gate_untake(sms_gate_t *g) {
    if (g->tps > 0)
        g->tokens += 1.0;
    g->probing = false;
}

void sms_gate_success(sms_gate_t *g) {
    g->fails = 0;
    g->state = SMS_BREAKER_CLOSED;
    g->probing = false;
}

void sms_gate_failure(sms_gate_t *g, uint64_t now) {
    g->fails++;
    if (g->state == SMS_BREAKER_HALF_OPEN ||
        (g->state == SMS_BREAKER_CLOSED && g->fails >= g->failures)) {
        g->state = SMS_BREAKER_OPEN;
        g->open_until_ms = now + g->cooldown_ms;
        g->probing = false;
    }
}
