/* cmn_pool: every job runs once and comes back; a full queue refuses at once, when its
 * depth is its capacity. */
#include <poll.h>
#include <unistd.h>

#include "cmn_pool.h"
#include "tap.h"

static void s_work(void *arg) {
    int *v = arg;
    usleep(1000);
    *v *= 2;
}

static void s_block(void *arg) { usleep(*(int *)arg); }

int main(void) {
    cmn_pool_t *pool = cmn_pool_new(2, 64);
    CHECK(pool != NULL, "pool");
    if (!pool)
        return TEST_DONE();
    int vals[50];
    for (int i = 0; i < 50; i++) {
        vals[i] = i;
        CHECK(cmn_pool_submit(pool, s_work, &vals[i], &vals[i]) == 0, "submit %d", i);
    }
    int done = 0;
    for (int spins = 0; done < 50 && spins < 1000; spins++) {
        struct pollfd pfd = {cmn_pool_fd(pool), POLLIN, 0};
        poll(&pfd, 1, 100);
        void *arg, *tag;
        while (cmn_pool_take(pool, &arg, &tag)) {
            CHECK(arg == tag, "tag travels");
            done++;
        }
    }
    CHECK(done == 50, "done %d", done);
    for (int i = 0; i < 50; i++)
        CHECK(vals[i] == 2 * i, "job %d ran once: %d", i, vals[i]);
    cmn_pool_destroy(&pool, NULL);
    CHECK(pool == NULL, "destroy nulls");

    /* One thread, room for 2: the first runs, two wait, the fourth is refused. */
    pool = cmn_pool_new(1, 2);
    int slow = 200000;
    int ok = cmn_pool_submit(pool, s_block, &slow, NULL) == 0;
    usleep(50000); /* let the thread take the first job */
    for (int i = 0; i < 3; i++)
        ok += cmn_pool_submit(pool, s_block, &slow, NULL) == 0;
    CHECK(ok == 3, "accepted %d of 4", ok);
    /* What it holds when full is its capacity: the ratio the alert reads reaches 1. */
    CHECK(cmn_pool_capacity(pool) == 3, "capacity %zu = 1 worker + 2 queued",
          cmn_pool_capacity(pool));
    CHECK(cmn_pool_depth(pool) == cmn_pool_capacity(pool), "full: depth %zu", cmn_pool_depth(pool));
    cmn_pool_destroy(&pool, NULL);
    return TEST_DONE();
}
