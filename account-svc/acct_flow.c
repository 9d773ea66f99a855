/* acct_flow: Flow records. */
#include "acct_flow.h"

#include "cmn_db.h"

int acct_flow_load_id(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES],
                      acct_flow_kind_t kind, uint64_t now, Dvcid__Store__Flow **out) {
    MDB_val v;
    *out = NULL;
    int rc = cmn_db_get(txn, dbi, id, CMN_ID_BYTES, &v);
    if (rc == CMN_DB_NOTFOUND)
        return 1;
    if (rc != CMN_DB_OK)
        return -1;
    Dvcid__Store__Flow *f = dvcid__store__flow__unpack(NULL, v.mv_size, v.mv_data);
    if (!f)
        return -1;
    if (f->kind != (uint32_t)kind || f->expires_ms <= now) {
        dvcid__store__flow__free_unpacked(f, NULL);
        return 1;
    }
    *out = f;
    return 0;
}

int acct_flow_load(MDB_txn *txn, MDB_dbi dbi, const char *hex, acct_flow_kind_t kind, uint64_t now,
                   uint8_t id[CMN_ID_BYTES], Dvcid__Store__Flow **out) {
    *out = NULL;
    if (!hex || !cmn_id_from_hex(hex, id))
        return 1;
    return acct_flow_load_id(txn, dbi, id, kind, now, out);
}

void acct_flow_free(Dvcid__Store__Flow **flow) {
    if (flow && *flow) {
        dvcid__store__flow__free_unpacked(*flow, NULL);
        *flow = NULL;
    }
}

int acct_flow_save(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES],
                   const Dvcid__Store__Flow *flow) {
    return cmn_db_put_msg(txn, dbi, id, CMN_ID_BYTES, flow, 0) == CMN_DB_OK ? 0 : -1;
}

int acct_flow_del(MDB_txn *txn, MDB_dbi dbi, const uint8_t id[CMN_ID_BYTES]) {
    return cmn_db_del(txn, dbi, id, CMN_ID_BYTES) == CMN_DB_ERROR ? -1 : 0;
}

static int s_flow_expired(const MDB_val *v, uint64_t now, const void *arg) {
    (void)arg;
    Dvcid__Store__Flow *f = dvcid__store__flow__unpack(NULL, v->mv_size, v->mv_data);
    int old = !f || f->expires_ms <= now;
    if (f)
        dvcid__store__flow__free_unpacked(f, NULL);
    return old;
}

int acct_flow_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_sweep_pos_t *pos) {
    return cmn_db_sweep(txn, dbi, now, s_flow_expired, NULL, pos);
}
