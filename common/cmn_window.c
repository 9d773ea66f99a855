/* cmn_window: Window records read, counted and swept. */
#include "cmn_window.h"

#include <string.h>

#include "proto/store.pb-c.h"

int cmn_window_read(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms,
                    uint64_t *start, uint32_t *count) {
    MDB_val v;
    *start = now;
    *count = 0;
    int rc = cmn_db_get(txn, dbi, key, strlen(key), &v);
    if (rc == CMN_DB_NOTFOUND)
        return 0;
    if (rc != CMN_DB_OK)
        return -1;
    Dvcid__Store__Window *w = dvcid__store__window__unpack(NULL, v.mv_size, v.mv_data);
    if (!w)
        return 0; /* unreadable: start afresh rather than lock out for ever */
    if (now - w->start_ms < span_ms) {
        *start = w->start_ms;
        *count = w->count;
    }
    dvcid__store__window__free_unpacked(w, NULL);
    return 0;
}

int cmn_window_full(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms,
                    uint32_t max, uint32_t *retry_after) {
    uint64_t start;
    uint32_t count;
    if (cmn_window_read(txn, dbi, key, now, span_ms, &start, &count) != 0)
        return -1;
    if (count < max)
        return 0;
    uint64_t wait = (start + span_ms - now + 999) / 1000;
    *retry_after = wait ? (uint32_t)wait : 1;
    return 1;
}

int cmn_window_add(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t now, uint64_t span_ms) {
    Dvcid__Store__Window rec = DVCID__STORE__WINDOW__INIT;
    uint64_t start;
    uint32_t count;
    if (cmn_window_read(txn, dbi, key, now, span_ms, &start, &count) != 0)
        return -1;
    rec.start_ms = start;
    rec.count = count + 1;
    return cmn_db_put_msg(txn, dbi, key, strlen(key), &rec, 0) == CMN_DB_OK ? 0 : -1;
}

static int s_ended(const MDB_val *v, uint64_t now, const void *arg) {
    const uint64_t *span_ms = arg;
    Dvcid__Store__Window *w = dvcid__store__window__unpack(NULL, v->mv_size, v->mv_data);
    int ended = !w || now - w->start_ms >= *span_ms;
    if (w)
        dvcid__store__window__free_unpacked(w, NULL);
    return ended;
}

int cmn_window_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, uint64_t span_ms,
                     cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, dbi, now, s_ended, &span_ms, pos);
}
