/* acct_admin: what dvcctl asks of account-svc: look up an account (masked: the ops
 * team needs to help a citizen, not to read their data) and lift a sign-in lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_account.h"
#include "acct_lockout.h"
#include "acct_state.h"
#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_validate.h"
#include "proto/store.pb-c.h"

/* Whether id is an ID number; if not, refuses the call with a log line, before the id
 * reaches LMDB as a key (which caps keys at 511 bytes). */
static bool s_id_ok(cmn_ctx_t *ctx, cmn_call_t **call_p, const char *id) {
    if (!cmn_valid_id_number(id, NULL))
        return true;
    CMN_WARN(cmn_call_trace(*call_p), "ops request refused: not an ID number");
    cmn_call_fail(ctx, call_p, DVCID__STATUS__STATUS_INVALID_REQUEST);
    return false;
}

int acct_admin_account(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const char *id = req->admin_account_get->id_number;
    if (!s_id_ok(ctx, &call, id))
        return 0;
    Dvcid__Store__Account *acc = NULL;
    int rc = acct_account_load(ctx->txn, ACCT_DBI(st, ACCT_DB_ACCOUNTS), id, &acc);
    if (rc != 0) {
        cmn_call_fail(ctx, &call,
                      rc < 0 ? DVCID__STATUS__STATUS_INTERNAL : DVCID__STATUS__STATUS_NOT_FOUND);
        return rc < 0 ? -1 : 0;
    }
    Dvcid__Store__Failures *f = NULL;
    MDB_val v;
    if (cmn_db_get(ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), id, strlen(id), &v) == CMN_DB_OK)
        f = dvcid__store__failures__unpack(NULL, v.mv_size, v.mv_data);
    size_t n = acc->n_phones;
    Dvcid__PhoneInfo *items = calloc(n ? n : 1, sizeof(*items));
    Dvcid__PhoneInfo **ptrs = calloc(n ? n : 1, sizeof(Dvcid__PhoneInfo *));
    char(*masks)[16] = calloc(n ? n : 1, sizeof(*masks));
    char masked_id[32];
    cmn_mask_id(id, masked_id, sizeof(masked_id));
    if (items && ptrs && masks) {
        for (size_t i = 0; i < n; i++) {
            dvcid__phone_info__init(&items[i]);
            cmn_mask_phone(acc->phones[i]->e164, masks[i], sizeof(masks[i]));
            items[i].phone_masked = masks[i];
            items[i].primary = acc->phones[i]->primary;
            ptrs[i] = &items[i];
        }
        Dvcid__Reply r = DVCID__REPLY__INIT;
        Dvcid__AdminAccountReply a = DVCID__ADMIN_ACCOUNT_REPLY__INIT;
        a.id_number_masked = masked_id;
        a.full_name = acc->full_name;
        a.n_phones = n;
        a.phones = ptrs;
        a.created_ms = acc->created_ms;
        a.failures = f ? f->count : 0;
        a.locked_until_ms = f ? f->locked_until_ms : 0;
        a.session_gen = acc->session_gen;
        r.body_case = DVCID__REPLY__BODY_ADMIN_ACCOUNT;
        r.admin_account = &a;
        CMN_INFO(cmn_call_trace(call), "ops looked up account %s", masked_id);
        cmn_call_reply(ctx, &call, &r);
    } else {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
    }
    free(items);
    free(ptrs);
    free(masks);
    if (f)
        dvcid__store__failures__free_unpacked(f, NULL);
    acct_account_free(&acc);
    return 0;
}

int acct_admin_unlock(cmn_ctx_t *ctx, cmn_call_t *call, const Dvcid__Request *req) {
    acct_state_t *st = ctx->self;
    const char *id = req->admin_unlock->id_number;
    if (!s_id_ok(ctx, &call, id))
        return 0;
    char masked_id[32];
    cmn_mask_id(id, masked_id, sizeof(masked_id));
    if (acct_lockout_clear_all(ctx->txn, ACCT_DBI(st, ACCT_DB_FAILURES), id) != 0) {
        cmn_call_fail(ctx, &call, DVCID__STATUS__STATUS_INTERNAL);
        return -1;
    }
    CMN_INFO(cmn_call_trace(call), "ops unlocked sign-in for %s", masked_id);
    cmn_metrics_add(cmn_service_metrics(ctx->svc), ACCT_UNLOCKS_METRIC, "kind=\"admin\"", 1,
                    ACCT_UNLOCKS_HELP);
    Dvcid__Reply r = DVCID__REPLY__INIT;
    Dvcid__FlowStateReply fs = DVCID__FLOW_STATE_REPLY__INIT;
    fs.state = "unlocked";
    r.body_case = DVCID__REPLY__BODY_FLOW_STATE;
    r.flow_state = &fs;
    cmn_call_reply(ctx, &call, &r);
    return 0;
}
