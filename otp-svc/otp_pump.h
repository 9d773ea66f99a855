/* otp_pump: the SMS-pumping (toll fraud) defence of otp-svc. A pumping attack asks
 * codes for numbers whose SMS earn the attacker a share of the termination fee; those
 * codes are never typed back. So the defence watches conversion (codes verified /
 * SMS sent) per number prefix (the number without its last 4 digits, as the
 * per-prefix send window of otp_limits) and per operator (a prefix table), over a
 * sliding window of otp.pump_window seconds, and blocks a prefix whose conversion falls
 * below otp.pump_floor_percent once it had otp.pump_min_sends SMS in the window. A block
 * lasts otp.pump_block_seconds, twice as long each time it comes back within
 * otp.pump_block_max_seconds of the last one's end, up to that max. Prefixes or numbers
 * of otp.pump_safe_list are never blocked. Operators are measured, never blocked: one
 * operator is a third of the country (the kill switch, otp_budget, is for that).
 *
 * Also the destination rule: +84 always, other country codes only when
 * otp.allowed_countries lists them.
 *
 * Counts are cmn_window records in the "pump" table (one window per bucket of the
 * span: the current bucket plus the previous one weighted by how much of it is still
 * inside the window make the sliding count); blocks are PumpBlock records in the
 * "blocks" table. Every instance sharing the LMDB environment shares both. */
#ifndef OTP_PUMP_H
#define OTP_PUMP_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_config.h"
#include "cmn_db.h"

/* The rules of the judgement (from the config; tests build their own). */
typedef struct {
    uint64_t window_ms;
    uint32_t min_sends;
    uint32_t floor_percent;
    uint64_t block_ms;
    uint64_t block_max_ms;
} otp_pump_rules_t;

/* Is a prefix with these (window-weighted) counts converting too little? 1 yes, 0 no. */
int otp_pump_judge(const otp_pump_rules_t *r, double sent, double verified);

/* How long a block of this level lasts: block_ms doubled level times, at most
 * block_max_ms. */
uint64_t otp_pump_block_ms(const otp_pump_rules_t *r, uint32_t level);

/* The level of a new block, given the last one of the prefix (has_last 0: none): one
 * more when the last ended less than block_max_ms ago, else 0. */
uint32_t otp_pump_next_level(const otp_pump_rules_t *r, int has_last, uint32_t last_level,
                             uint64_t last_until_ms, uint64_t now);

#define OTP_PUMP_PREFIX_MAX 20 /* a prefix or operator name, NUL included */
#define OTP_PUMP_OPERATORS_MAX 32

/* The prefix a number counts under: the number without its last 4 digits. */
void otp_pump_prefix(const char *phone, char out[OTP_PUMP_PREFIX_MAX]);

typedef struct otp_pump otp_pump_t;

/* Reads the rules, the operator table (otp.operators, or the built-in table of
 * Vietnam's operators when it is empty), the safe list and the allowed countries.
 * A malformed list is refused: NULL with the reason in err. */
otp_pump_t *otp_pump_new(const cmn_config_t *cfg, MDB_dbi counts, MDB_dbi blocks, char *err,
                         size_t errlen);
void otp_pump_destroy(otp_pump_t **self_p);

const otp_pump_rules_t *otp_pump_rules(const otp_pump_t *self);

/* The operator of phone by the longest prefix of the table, "other" when none. */
const char *otp_pump_operator(const otp_pump_t *self, const char *phone);
/* The distinct operator names of the table ("other" last); returns how many. */
size_t otp_pump_operators(const otp_pump_t *self, const char **names, size_t max);

/* May an SMS go to this country (+84, or a code of otp.allowed_countries)? */
int otp_pump_country_allowed(const otp_pump_t *self, const char *phone);
/* Is phone, or a prefix of it, on the safe list? */
int otp_pump_safe(const otp_pump_t *self, const char *phone);

/* What otp_pump_check found. */
typedef struct {
    uint32_t retry_after; /* seconds until the block ends */
    uint32_t level;
    int new_block; /* this check started the block */
    char prefix[OTP_PUMP_PREFIX_MAX];
    char reason[160];
} otp_pump_verdict_t;

/* May one more SMS go to phone? Starts a block when the conversion of its prefix is
 * below the floor. Returns 0 allowed, 1 blocked (*v filled), -1 on a storage error. */
int otp_pump_check(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now,
                   otp_pump_verdict_t *v);

/* Counts an SMS sent to phone / a code of an SMS to phone verified (prefix and
 * operator). Returns 0 or -1. */
int otp_pump_sent(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now);
int otp_pump_verified(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now);

/* The window-weighted counts of an operator. Returns 0 or -1. */
int otp_pump_operator_counts(otp_pump_t *self, MDB_txn *txn, const char *op, uint64_t now,
                             double *sent, double *verified);

/* Calls fn for each prefix blocked now (at most max of them); returns how many are
 * blocked now (all, not only those passed to fn), or -1. */
typedef void(otp_pump_block_fn)(const char *prefix, uint32_t level, uint64_t until_ms,
                                const char *reason, void *arg);
int otp_pump_blocks(otp_pump_t *self, MDB_txn *txn, uint64_t now, size_t max, otp_pump_block_fn *fn,
                    void *arg);

/* Deletes counts out of the window and blocks past remembering, a slice per call
 * (pos[0] counts, pos[1] blocks). Returns how many, or -1. */
int otp_pump_sweep(otp_pump_t *self, MDB_txn *txn, uint64_t now, cmn_db_sweep_pos_t pos[2]);

#endif
