/* acct_notice: notices on a cmn_outbox, keyed by message id, each a stored Notice
 * (phone, language, when) that becomes an OtpNotice when it is sent. */
#include "acct_notice.h"

#include <string.h>

#include "cmn_db.h"
#include "cmn_id.h"
#include "cmn_outbox.h"
#include "cmn_shard.h"
#include "cmn_time.h"
#include "proto/store.pb-c.h"

#define S_ACK_DEADLINE_MS 3000
#define S_RETRY_MAX 256 /* notices a retry sends at most */

/* Asks otp-svc to send the notice stored under id. */
static void s_send(cmn_outbox_t *outbox, cmn_ctx_t *ctx, const char *trace, const char *id,
                   const char *phone, const char *lang) {
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__OtpNotice n = DVCID__OTP_NOTICE__INIT;
    n.message_id = (char *)id;
    n.phone = (char *)phone;
    n.lang = (char *)lang;
    req.body_case = DVCID__REQUEST__BODY_OTP_NOTICE;
    req.otp_notice = &n;
    cmn_outbox_send(outbox, ctx, trace, id, &req, 0);
}

/* A retry: every stored notice not in flight goes again. */
static int s_again(cmn_outbox_t *outbox, cmn_ctx_t *ctx, const char *key, const MDB_val *val,
                   uint64_t now, void *arg) {
    (void)now;
    (void)arg;
    if (strlen(key) != CMN_ID_HEX - 1)
        return 0;
    Dvcid__Store__Notice *rec = dvcid__store__notice__unpack(NULL, val->mv_size, val->mv_data);
    if (rec) {
        s_send(outbox, ctx, NULL, key, rec->phone, rec->lang);
        dvcid__store__notice__free_unpacked(rec, NULL);
    }
    return 0;
}

acct_notice_t *acct_notice_new(MDB_dbi dbi, int otp_peer) {
    cmn_outbox_opts_t o = {.name = "notice",
                           .peer_name = "otp-svc",
                           .dbi = dbi,
                           .peer = otp_peer,
                           .ack_ms = S_ACK_DEADLINE_MS,
                           .retry_max = S_RETRY_MAX,
                           .again = s_again};
    return cmn_outbox_new(&o);
}

void acct_notice_destroy(acct_notice_t **self_p) { cmn_outbox_destroy(self_p); }

int acct_notice_put(acct_notice_t *self, cmn_ctx_t *ctx, const char *trace, const char *id_number,
                    const char *phone, const char *lang) {
    uint8_t idb[CMN_ID_BYTES];
    char id[CMN_ID_HEX];
    cmn_shard_id_make(idb, cmn_shard_key_of_id_number(id_number));
    cmn_id_to_hex(idb, id);
    Dvcid__Store__Notice rec = DVCID__STORE__NOTICE__INIT;
    rec.phone = (char *)phone;
    rec.created_ms = cmn_time_now_ms();
    rec.lang = (char *)lang;
    if (cmn_outbox_put_msg(self, ctx, id, &rec, CMN_DB_NOOVER) != 0)
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

int acct_notice_retry(acct_notice_t *self, cmn_ctx_t *ctx) { return cmn_outbox_retry(self, ctx); }
