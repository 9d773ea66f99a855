/* acct_phone_change: start (notices, then now or pending), cancel, and the timer. */
#include "acct_phone_change.h"

#include <stdio.h>
#include <string.h>

#include "acct_account.h"
#include "acct_state.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_metrics.h"
#include "cmn_time.h"
#include "cmn_validate.h"

#define S_ID_MAX 32
#define S_KEY_MAX (8 + S_ID_MAX)
#define S_DUE_BUDGET 64 /* changes made per timer turn at most */

/* The phone_changes key: the due time, 8 bytes big-endian (so the table is in due
 * order), then the ID number. Returns its length. */
static size_t s_key(uint8_t key[S_KEY_MAX], uint64_t due, const char *id_number) {
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(due >> (56 - 8 * i));
    size_t n = strnlen(id_number, S_ID_MAX);
    memcpy(key + 8, id_number, n);
    return 8 + n;
}

size_t acct_phone_change_key_id(const void *key, size_t klen, const char **at) {
    if (klen <= 8 || klen > S_KEY_MAX)
        return 0;
    *at = (const char *)key + 8;
    return klen - 8;
}

static void s_count(cmn_ctx_t *ctx, const char *event) {
    char labels[32];
    snprintf(labels, sizeof(labels), "event=\"%s\"", event);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), "dvcid_phone_changes_total", labels, 1,
                    "lost-phone changes of the OTP phone: pending (cooling off), cancelled by a "
                    "sign-in from the account's phone, done");
}

static int s_pending(const Dvcid__Store__Account *acc) {
    return acc->pending_phone && acc->pending_phone[0] && acc->pending_due_ms;
}

/* Writes acc without its pending change (and, with phone, with phone as the primary
 * and every session ended); acc in memory is left as it was. 0 or -1. */
static int s_save(acct_state_t *st, MDB_txn *txn, const char *id_number, Dvcid__Store__Account *acc,
                  const char *pending, uint64_t due, const char *phone) {
    char *own = acc->pending_phone;
    uint64_t own_due = acc->pending_due_ms;
    uint32_t gen = acc->session_gen;
    acc->pending_phone = (char *)pending;
    acc->pending_due_ms = due;
    int rc;
    if (phone) {
        acc->session_gen++; /* every session of the account ends */
        rc = acct_account_save_with_phone(txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id_number, acc,
                                          phone, 1, cmn_time_now_ms());
    } else {
        rc = acct_account_save(txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id_number, acc);
    }
    acc->pending_phone = own;
    acc->pending_due_ms = own_due;
    acc->session_gen = gen;
    return rc;
}

/* Deletes the phone_changes entry of acc's pending change, if it has one. 0 or -1. */
static int s_unindex(acct_state_t *st, MDB_txn *txn, const char *id_number,
                     const Dvcid__Store__Account *acc) {
    if (!s_pending(acc))
        return 0;
    uint8_t key[S_KEY_MAX];
    size_t klen = s_key(key, acc->pending_due_ms, id_number);
    return cmn_db_del(txn, ACCT_DBI(st, ACCT_DB_PHONE_CHANGES), key, klen) == CMN_DB_ERROR ? -1 : 0;
}

static void s_log(const char *trace, const char *id_number, const char *phone, const char *what) {
    char masked[16], masked_id[32];
    cmn_mask_phone(phone, masked, sizeof(masked));
    cmn_mask_id(id_number, masked_id, sizeof(masked_id));
    CMN_INFO(trace, "OTP phone change %s: id=%s new=%s", what, masked_id, masked);
}

int acct_phone_change_start(cmn_ctx_t *ctx, const char *trace, const char *id_number,
                            const char *phone, uint32_t *effective_in) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id_number, &acc);
    if (rc != 0)
        return rc;
    uint32_t cool = (uint32_t)st->cfg->account_phone_change_cooling_off;
    *effective_in = cool;
    /* Every phone the account has now hears of it before anything changes. */
    rc = acct_notice_put_all(st->notice, ctx, trace, id_number, acc, phone);
    if (rc == 0)
        rc = s_unindex(st, ctx->txn, id_number, acc); /* a change pending before is replaced */
    if (rc == 0 && cool == 0) {
        rc = s_save(st, ctx->txn, id_number, acc, "", 0, phone);
        if (rc == 0) {
            s_log(trace, id_number, phone, "done; sessions ended");
            s_count(ctx, "done");
        }
    } else if (rc == 0) {
        uint64_t due = cmn_time_now_ms() + (uint64_t)cool * 1000u;
        uint8_t key[S_KEY_MAX];
        size_t klen = s_key(key, due, id_number);
        rc = cmn_db_put(ctx->txn, ACCT_DBI(st, ACCT_DB_PHONE_CHANGES), key, klen, "", 0, 0) ==
                     CMN_DB_OK
                 ? s_save(st, ctx->txn, id_number, acc, phone, due, NULL)
                 : -1;
        if (rc == 0) {
            char what[64];
            snprintf(what, sizeof(what), "pending for %u s", cool);
            s_log(trace, id_number, phone, what);
            s_count(ctx, "pending");
        }
    }
    acct_account_free(&acc);
    return rc;
}

int acct_phone_change_cancel(cmn_ctx_t *ctx, const char *trace, const char *id_number,
                             Dvcid__Store__Account *acc, const char *phone) {
    acct_state_t *st = ctx->self;
    if (!s_pending(acc) || !phone || acct_account_phone_index(acc, phone) < 0)
        return 0;
    if (s_unindex(st, ctx->txn, id_number, acc) != 0 ||
        s_save(st, ctx->txn, id_number, acc, "", 0, NULL) != 0)
        return -1;
    s_log(trace, id_number, acc->pending_phone, "cancelled by a sign-in from the account's phone");
    s_count(ctx, "cancelled");
    return 0;
}

/* Makes the change a due entry names, if the account still waits for it. 0 or -1. */
static int s_make(cmn_ctx_t *ctx, const char *id_number, uint64_t due) {
    acct_state_t *st = ctx->self;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id_number, &acc);
    if (rc != 0)
        return rc < 0 ? -1 : 0; /* the account is gone: nothing to change */
    if (s_pending(acc) && acc->pending_due_ms == due) {
        rc = s_save(st, ctx->txn, id_number, acc, "", 0, acc->pending_phone);
        if (rc == 0) {
            s_log(NULL, id_number, acc->pending_phone,
                  "done after its cooling-off; sessions ended");
            s_count(ctx, "done");
        }
    }
    acct_account_free(&acc);
    return rc;
}

int acct_phone_change_due(cmn_ctx_t *ctx) {
    acct_state_t *st = ctx->self;
    MDB_dbi dbi = ACCT_DBI(st, ACCT_DB_PHONE_CHANGES);
    uint64_t now = cmn_time_now_ms();
    int done = 0;
    for (int i = 0; i < S_DUE_BUDGET; i++) {
        MDB_cursor *cur;
        if (cmn_db_note(mdb_cursor_open(ctx->txn, dbi, &cur)) != 0)
            return -1;
        MDB_val k, v;
        int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        uint8_t key[S_KEY_MAX];
        size_t klen = rc == 0 && k.mv_size <= S_KEY_MAX ? k.mv_size : 0;
        if (klen)
            memcpy(key, k.mv_data, klen);
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            break;
        if (cmn_db_note(rc) != 0)
            return -1;
        const char *at = NULL;
        size_t idlen = acct_phone_change_key_id(key, klen, &at);
        uint64_t due = 0;
        for (int b = 0; idlen && b < 8; b++)
            due = due << 8 | key[b];
        if (idlen && due > now)
            break; /* the first entry is the next due: nothing else is */
        if (cmn_db_del(ctx->txn, dbi, klen ? key : k.mv_data, klen ? klen : k.mv_size) ==
            CMN_DB_ERROR)
            return -1;
        if (!idlen)
            continue; /* malformed: dropped */
        char id_number[S_ID_MAX + 1];
        memcpy(id_number, at, idlen);
        id_number[idlen] = '\0';
        if (s_make(ctx, id_number, due) != 0)
            return -1;
        done++;
    }
    return done;
}
