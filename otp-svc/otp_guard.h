/* otp_guard: what stands between a request for a code and its SMS, in this order:
 * the kill switch (503 sms_paused), the destination country (422 validation_failed,
 * phone: country_not_allowed), the pumping defence of the number's prefix (429
 * sms_prefix_blocked) and the day's budgets (429 sms_budget_exhausted), each refusal
 * logged and counted in dvcid_otp_sms_refused_total{reason}. A refused request writes
 * no challenge and queues no SMS. Also the admin commands (dvcctl sms pause | resume |
 * status) and the gauges of /metrics.
 *
 * Numbers under otp.test_phone_prefix never reach a provider and cost nothing: only
 * the switch and the country apply to them, and they are not counted. A silent
 * (decoy) challenge sends nothing: it gets the same answers but is not counted. */
#ifndef OTP_GUARD_H
#define OTP_GUARD_H

#include <stdint.h>

#include "cmn_config.h"
#include "cmn_service.h"

typedef struct otp_guard otp_guard_t;

/* The tables: the pump's counts and blocks, the day's budget, the switch. NULL when a
 * list of the config is malformed (logged with the key). */
typedef struct {
    MDB_dbi counts, blocks, budget, sw;
} otp_guard_dbs_t;
otp_guard_t *otp_guard_new(const cmn_config_t *cfg, const otp_guard_dbs_t *dbs);
void otp_guard_destroy(otp_guard_t **self_p);

/* SIGHUP (a cmn_reload_fn's part): the pump's rules and tables built again from next,
 * swapped in when they are good; else nothing changes and -1 with why in err. Counts,
 * blocks and budgets stay (they are in LMDB). */
int otp_guard_reload(otp_guard_t *self, const cmn_config_t *next, char *err, size_t errlen);
/* --check-config: the lists otp_guard_new parses. Returns 0 or -1 with why in err. */
int otp_guard_config_check(const cmn_config_t *cfg, char *err, size_t errlen);

/* Before a code goes to phone: 0 go on, 1 refused (*call answered), -1 storage error
 * (*call answered INTERNAL; the loop makes it 503 when the store failed). */
int otp_guard_admit(otp_guard_t *self, cmn_ctx_t *ctx, cmn_call_t **call, const char *phone,
                    int test_number);

/* An SMS went to phone / its code was verified: counted. Returns 0 or -1. */
int otp_guard_sent(otp_guard_t *self, MDB_txn *txn, const char *phone, uint64_t now);
int otp_guard_verified(otp_guard_t *self, MDB_txn *txn, const char *phone, uint64_t now);

/* The admin bodies OtpSmsPause, OtpSmsResume, OtpSmsStatusGet: each answers with the
 * status (after the change). */
int otp_guard_on_admin(otp_guard_t *self, cmn_ctx_t *ctx, cmn_call_t *call,
                       const Dvcid__Request *req);

/* Every second: the gauges (paused, blocked prefixes, today's use, conversion per
 * operator) and a slice of the sweeps. Returns 0 or -1. */
int otp_guard_tick(otp_guard_t *self, cmn_ctx_t *ctx);

#endif
