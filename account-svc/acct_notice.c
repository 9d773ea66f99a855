/* acct_notice: notices keyed by message id; in-flight ids in memory only. */
#include "acct_notice.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_log.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "proto/store.pb-c.h"

struct acct_notice {
    MDB_dbi dbi;
    int peer;
    zhashx_t *in_flight;
};

typedef struct {
    acct_notice_t *owner;
    char id[CMN_ID_HEX];
} s_ack_t;

acct_notice_t *acct_notice_new(MDB_dbi dbi, int otp_peer) {
    acct_notice_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->dbi = dbi;
    self->peer = otp_peer;
    self->in_flight = zhashx_new();
    if (!self->in_flight) {
        free(self);
        return NULL;
    }
    return self;
}

void acct_notice_destroy(acct_notice_t **self_p) {
    if (!self_p || !*self_p)
        return;
    zhashx_destroy(&(*self_p)->in_flight);
    free(*self_p);
    *self_p = NULL;
}

static int s_on_ack(cmn_ctx_t *ctx, const Dvcid__Reply *reply, void *arg) {
    s_ack_t *a = arg;
    zhashx_delete(a->owner->in_flight, a->id);
    int rc = 0;
    if (!reply->error) {
        rc = cmn_db_del(ctx->txn, a->owner->dbi, a->id, strlen(a->id)) == CMN_DB_ERROR ? -1 : 0;
    } else if (reply->error->status == DVCID__STATUS__STATUS_INVALID_REQUEST) {
        CMN_ERROR(NULL, "notice %s refused by otp-svc as malformed: dropped", a->id);
        rc = cmn_db_del(ctx->txn, a->owner->dbi, a->id, strlen(a->id)) == CMN_DB_ERROR ? -1 : 0;
    }
    free(a);
    return rc;
}

static void s_send(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace, const char *id,
                   const char *phone, const char *lang) {
    s_ack_t *a = calloc(1, sizeof(*a));
    if (!a)
        return; /* the retry timer tries again */
    a->owner = self;
    snprintf(a->id, sizeof(a->id), "%s", id);
    zhashx_insert(self->in_flight, a->id, (void *)1);
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__OtpNotice n = DVCID__OTP_NOTICE__INIT;
    n.message_id = a->id;
    n.phone = (char *)phone;
    n.lang = (char *)lang;
    req.body_case = DVCID__REQUEST__BODY_OTP_NOTICE;
    req.otp_notice = &n;
    cmn_service_ask(ctx, self->peer, &req, trace, cmn_time_now_ms() + 3000, s_on_ack, a);
}

int acct_notice_put(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace, const char *id_number,
                    const char *phone, const char *lang) {
    uint8_t idb[CMN_ID_BYTES];
    char id[CMN_ID_HEX];
    cmn_shard_id_new(idb, cmn_shard_key_of_id_number(id_number));
    cmn_id_to_hex(idb, id);
    Dvcid__Store__Notice rec = DVCID__STORE__NOTICE__INIT;
    rec.phone = (char *)phone;
    rec.created_ms = cmn_time_now_ms();
    rec.lang = (char *)lang;
    if (cmn_db_put_msg(ctx->txn, self->dbi, id, strlen(id), &rec, 1) != CMN_DB_OK)
        return -1;
    s_send(self, ctx, trace, id, phone, lang);
    return 0;
}

int acct_notice_put_all(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace,
                        const char *id_number, const Dvcid__Store__Account *acc,
                        const char *except) {
    for (size_t i = 0; i < acc->n_phones; i++) {
        const char *phone = acc->phones[i]->e164;
        if (except && strcmp(phone, except) == 0)
            continue;
        if (acct_notice_put(self, ctx, trace, id_number, phone, acc->lang) != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    acct_notice_t *self;
    cmn_ctx_t *ctx;
    int n;
} s_retry_t;

/* Sends one waiting notice again unless it is in flight; 256 a turn at the most. */
static int s_retry_one(const MDB_val *k, const MDB_val *v, void *arg) {
    s_retry_t *r = arg;
    if (r->n++ == 256)
        return CMN_DB_EACH_STOP;
    char id[CMN_ID_HEX];
    if (k->mv_size != CMN_ID_HEX - 1)
        return CMN_DB_EACH_NEXT;
    memcpy(id, k->mv_data, k->mv_size);
    id[k->mv_size] = '\0';
    Dvcid__Store__Notice *rec = zhashx_lookup(r->self->in_flight, id)
                                    ? NULL
                                    : dvcid__store__notice__unpack(NULL, v->mv_size, v->mv_data);
    if (rec) {
        s_send(r->self, r->ctx, NULL, id, rec->phone, rec->lang);
        dvcid__store__notice__free_unpacked(rec, NULL);
    }
    return CMN_DB_EACH_NEXT;
}

int acct_notice_retry(acct_notice_t *self, cmn_ctx_t *ctx) {
    s_retry_t r = {self, ctx, 0};
    return cmn_db_each(ctx->txn, self->dbi, NULL, 0, s_retry_one, &r) < 0 ? -1 : 0;
}
