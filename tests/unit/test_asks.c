/* cmn_asks: take by id, due by deadline in order, answered asks never come due,
 * failed asks first, fail_all at shutdown; many in flight. */
#include <stdlib.h>

#include "cmn_asks.h"
#include "tap.h"

static cmn_ask_t *s_ask(uint64_t id, uint64_t deadline) {
    cmn_ask_t *a = calloc(1, sizeof(*a));
    a->request_id = id;
    a->deadline_ms = deadline;
    return a;
}

int main(void) {
    cmn_asks_t *q = cmn_asks_new();
    CHECK(q != NULL, "new");
    if (!q)
        return TEST_DONE();
    CHECK(cmn_asks_next_ms(q, 100) == -1, "empty: nothing due");
    /* 10000 asks with shuffled deadlines. */
    for (uint64_t i = 1; i <= 10000; i++)
        CHECK(cmn_asks_add(q, s_ask(i, 1000 + (i * 7919) % 10000)) == 0, "add %llu",
              (unsigned long long)i);
    CHECK(cmn_asks_count(q) == 10000, "count");
    /* Answer every even one. */
    for (uint64_t i = 2; i <= 10000; i += 2) {
        cmn_ask_t *a = cmn_asks_take(q, i);
        CHECK(a && a->request_id == i, "take %llu", (unsigned long long)i);
        free(a);
    }
    CHECK(cmn_asks_take(q, 2) == NULL, "taken twice");
    CHECK(cmn_asks_count(q) == 5000, "count after takes");
    CHECK(cmn_asks_due(q, 999) == NULL, "nothing due before the first deadline");
    /* Everything else comes due in deadline order, odd ids only, as timeouts. */
    uint64_t last = 0;
    int n = 0, ordered = 1, odd = 1, timeout = 1;
    cmn_ask_t *a;
    while ((a = cmn_asks_due(q, 20000))) {
        ordered &= a->deadline_ms >= last;
        odd &= (a->request_id & 1) == 1;
        timeout &= a->fail == DVCID__STATUS__STATUS_TIMEOUT;
        last = a->deadline_ms;
        n++;
        free(a);
    }
    CHECK(n == 5000 && ordered && odd && timeout, "due: %d ordered %d odd %d", n, ordered, odd);
    /* A failed ask is due at once, before any deadline. */
    cmn_ask_t *f = s_ask(1, 0);
    f->fail = DVCID__STATUS__STATUS_UNAVAILABLE;
    cmn_asks_add(q, s_ask(2, 50000));
    cmn_asks_add(q, f);
    CHECK(cmn_asks_next_ms(q, 0) == 0, "failed: due now");
    a = cmn_asks_due(q, 0);
    CHECK(a == f && a->fail == DVCID__STATUS__STATUS_UNAVAILABLE, "failed first");
    free(a);
    CHECK(cmn_asks_next_ms(q, 40000) == 10000, "next deadline in 10 s");
    cmn_asks_fail_all(q, DVCID__STATUS__STATUS_UNAVAILABLE);
    a = cmn_asks_due(q, 0);
    CHECK(a && a->request_id == 2 && a->fail == DVCID__STATUS__STATUS_UNAVAILABLE, "fail_all");
    free(a);
    CHECK(cmn_asks_count(q) == 0, "empty at the end");
    cmn_asks_add(q, s_ask(9, 1));
    cmn_asks_destroy(&q); /* frees what is left */
    CHECK(q == NULL, "destroy nulls");
    return TEST_DONE();
}
