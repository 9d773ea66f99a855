/* otp_pump: conversion per prefix and operator, blocks that escalate, the safe list
 * and the destination countries. */
#include "otp_pump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_window.h"
#include "proto/store.pb-c.h"

/* Vietnam's mobile prefixes by operator after the 2018 renumbering (MIC Circular
 * 22/2014 and its 2018 changes): check it against the ministry's current allocation and
 * override it with otp.operators where it changed. +8430 is given to no operator: the
 * load and integration tests use it, and it counts as "other" unless listed. */
static const char s_builtin[] =
    "+8432=viettel +8433=viettel +8434=viettel +8435=viettel +8436=viettel +8437=viettel "
    "+8438=viettel +8439=viettel +8486=viettel +8496=viettel +8497=viettel +8498=viettel "
    "+8481=vinaphone +8482=vinaphone +8483=vinaphone +8484=vinaphone +8485=vinaphone "
    "+8488=vinaphone +8491=vinaphone +8494=vinaphone "
    "+8470=mobifone +8476=mobifone +8477=mobifone +8478=mobifone +8479=mobifone "
    "+8489=mobifone +8490=mobifone +8493=mobifone "
    "+8452=vietnamobile +8456=vietnamobile +8458=vietnamobile +8492=vietnamobile "
    "+8459=gmobile +8499=gmobile +8487=itelecom +8455=reddi";

#define S_TABLE_MAX 128
#define S_SAFE_MAX 64
#define S_COUNTRIES_MAX 16

typedef struct {
    char prefix[OTP_PUMP_PREFIX_MAX];
    char name[OTP_PUMP_PREFIX_MAX];
} s_entry_t;

struct otp_pump {
    otp_pump_rules_t rules;
    MDB_dbi counts, blocks;
    s_entry_t table[S_TABLE_MAX];
    size_t ntable;
    char safe[S_SAFE_MAX][OTP_PUMP_PREFIX_MAX];
    size_t nsafe;
    char countries[S_COUNTRIES_MAX][8];
    size_t ncountries;
};

int otp_pump_judge(const otp_pump_rules_t *r, double sent, double verified) {
    /* Compared in whole numbers of percent times sends: no rounding at the floor. */
    return sent >= (double)r->min_sends && verified * 100.0 < (double)r->floor_percent * sent;
}

uint64_t otp_pump_block_ms(const otp_pump_rules_t *r, uint32_t level) {
    uint64_t ms = r->block_ms;
    for (uint32_t i = 0; i < level && ms < r->block_max_ms; i++)
        ms *= 2;
    return ms < r->block_max_ms ? ms : r->block_max_ms;
}

uint32_t otp_pump_next_level(const otp_pump_rules_t *r, int has_last, uint32_t last_level,
                             uint64_t last_until_ms, uint64_t now) {
    if (!has_last || now >= last_until_ms + r->block_max_ms)
        return 0;
    return last_level < 63 ? last_level + 1 : last_level;
}

void otp_pump_prefix(const char *phone, char out[OTP_PUMP_PREFIX_MAX]) {
    size_t n = strlen(phone);
    n = n > 4 ? n - 4 : n;
    snprintf(out, OTP_PUMP_PREFIX_MAX, "%.*s", (int)n, phone);
}

/* "+" and 1..15 digits. */
static int s_plus_digits(const char *s, size_t n) {
    if (n < 2 || n > 16 || s[0] != '+')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int s_name_ok(const char *s, size_t n) {
    if (n == 0 || n >= OTP_PUMP_PREFIX_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    return 1;
}

/* Calls fn on each token of a list separated by commas or blanks. fn returns 0 or -1
 * (with err); so does this. */
typedef int(s_token_fn)(otp_pump_t *self, const char *tok, size_t n, char *err, size_t errlen);
static int s_tokens(otp_pump_t *self, const char *list, s_token_fn *fn, char *err, size_t errlen) {
    const char *p = list;
    while (*p) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n && fn(self, p, n, err, errlen) != 0)
            return -1;
        p += n;
    }
    return 0;
}

static int s_operator(otp_pump_t *self, const char *tok, size_t n, char *err, size_t errlen) {
    const char *eq = memchr(tok, '=', n);
    size_t plen = eq ? (size_t)(eq - tok) : 0;
    if (!eq || !s_plus_digits(tok, plen) || plen >= OTP_PUMP_PREFIX_MAX ||
        !s_name_ok(eq + 1, n - plen - 1) || self->ntable == S_TABLE_MAX) {
        snprintf(err, errlen,
                 "[otp] operators: \"%.*s\": expected +PREFIX=name (name: a-z 0-9 _ -, at most "
                 "%d entries)",
                 (int)n, tok, S_TABLE_MAX);
        return -1;
    }
    s_entry_t *e = &self->table[self->ntable++];
    snprintf(e->prefix, sizeof(e->prefix), "%.*s", (int)plen, tok);
    snprintf(e->name, sizeof(e->name), "%.*s", (int)(n - plen - 1), eq + 1);
    return 0;
}

static int s_safe(otp_pump_t *self, const char *tok, size_t n, char *err, size_t errlen) {
    if (!s_plus_digits(tok, n) || n >= OTP_PUMP_PREFIX_MAX || self->nsafe == S_SAFE_MAX) {
        snprintf(err, errlen,
                 "[otp] pump_safe_list: \"%.*s\": expected +DIGITS (a prefix or a number, at "
                 "most %d)",
                 (int)n, tok, S_SAFE_MAX);
        return -1;
    }
    snprintf(self->safe[self->nsafe++], OTP_PUMP_PREFIX_MAX, "%.*s", (int)n, tok);
    return 0;
}

static int s_country(otp_pump_t *self, const char *tok, size_t n, char *err, size_t errlen) {
    if (!s_plus_digits(tok, n) || n > 4 || self->ncountries == S_COUNTRIES_MAX) {
        snprintf(err, errlen,
                 "[otp] allowed_countries: \"%.*s\": expected a country code such as +855 (at "
                 "most %d)",
                 (int)n, tok, S_COUNTRIES_MAX);
        return -1;
    }
    snprintf(self->countries[self->ncountries++], sizeof(self->countries[0]), "%.*s", (int)n, tok);
    return 0;
}

otp_pump_t *otp_pump_new(const cmn_config_t *cfg, MDB_dbi counts, MDB_dbi blocks, char *err,
                         size_t errlen) {
    otp_pump_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->rules = (otp_pump_rules_t){
        (uint64_t)cfg->otp_pump_window * 1000u, (uint32_t)cfg->otp_pump_min_sends,
        (uint32_t)cfg->otp_pump_floor_percent, (uint64_t)cfg->otp_pump_block_seconds * 1000u,
        (uint64_t)cfg->otp_pump_block_max_seconds * 1000u};
    self->counts = counts;
    self->blocks = blocks;
    const char *table = cfg->otp_operators[0] ? cfg->otp_operators : s_builtin;
    if (s_tokens(self, table, s_operator, err, errlen) != 0 ||
        s_tokens(self, cfg->otp_pump_safe_list, s_safe, err, errlen) != 0 ||
        s_tokens(self, cfg->otp_allowed_countries, s_country, err, errlen) != 0)
        otp_pump_destroy(&self);
    return self;
}

void otp_pump_destroy(otp_pump_t **self_p) {
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

const otp_pump_rules_t *otp_pump_rules(const otp_pump_t *self) { return &self->rules; }

const char *otp_pump_operator(const otp_pump_t *self, const char *phone) {
    const char *best = "other";
    size_t best_len = 0;
    for (size_t i = 0; i < self->ntable; i++) {
        size_t n = strlen(self->table[i].prefix);
        if (n > best_len && strncmp(phone, self->table[i].prefix, n) == 0) {
            best = self->table[i].name;
            best_len = n;
        }
    }
    return best;
}

size_t otp_pump_operators(const otp_pump_t *self, const char **names, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < self->ntable && n + 1 < max; i++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], self->table[i].name) != 0)
            j++;
        if (j == n)
            names[n++] = self->table[i].name;
    }
    if (n < max)
        names[n++] = "other";
    return n;
}

int otp_pump_country_allowed(const otp_pump_t *self, const char *phone) {
    if (strncmp(phone, "+84", 3) == 0)
        return 1;
    for (size_t i = 0; i < self->ncountries; i++)
        if (strncmp(phone, self->countries[i], strlen(self->countries[i])) == 0)
            return 1;
    return 0;
}

int otp_pump_safe(const otp_pump_t *self, const char *phone) {
    for (size_t i = 0; i < self->nsafe; i++)
        if (strncmp(phone, self->safe[i], strlen(self->safe[i])) == 0)
            return 1;
    return 0;
}

/* The key of the window of kind ('s' sent, 'v' verified) of name in bucket b. */
static void s_key(char *key, size_t len, char kind, uint64_t b, const char *name) {
    snprintf(key, len, "%c%llu:%s", kind, (unsigned long long)b, name);
}

/* The sliding count of kind for name: this bucket's window and the previous one's,
 * weighted by how much of it is still within the span. Returns 0 or -1. */
static int s_read(const otp_pump_t *self, MDB_txn *txn, char kind, const char *name, uint64_t now,
                  double *out) {
    uint64_t span = self->rules.window_ms, b = now / span, at = b * span;
    char key[64];
    uint64_t start;
    uint32_t cur = 0, prev = 0;
    s_key(key, sizeof(key), kind, b, name);
    if (cmn_window_read(txn, self->counts, key, now, span, &start, &cur) != 0)
        return -1;
    if (b > 0) {
        s_key(key, sizeof(key), kind, b - 1, name);
        /* Read as of the previous bucket's last moment: its window is live there. */
        if (cmn_window_read(txn, self->counts, key, at - 1, span, &start, &prev) != 0)
            return -1;
    }
    double inside = 1.0 - (double)(now - at) / (double)span;
    *out = (double)cur + (double)prev * inside;
    return 0;
}

static int s_add(const otp_pump_t *self, MDB_txn *txn, char kind, const char *phone, uint64_t now) {
    uint64_t span = self->rules.window_ms;
    char prefix[OTP_PUMP_PREFIX_MAX], name[OTP_PUMP_PREFIX_MAX + 2], key[64];
    otp_pump_prefix(phone, prefix);
    snprintf(name, sizeof(name), "p:%s", prefix);
    s_key(key, sizeof(key), kind, now / span, name);
    if (cmn_window_add(txn, self->counts, key, now, span) != 0)
        return -1;
    snprintf(name, sizeof(name), "o:%s", otp_pump_operator(self, phone));
    s_key(key, sizeof(key), kind, now / span, name);
    return cmn_window_add(txn, self->counts, key, now, span);
}

int otp_pump_sent(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now) {
    return s_add(self, txn, 's', phone, now);
}

int otp_pump_verified(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now) {
    return s_add(self, txn, 'v', phone, now);
}

int otp_pump_operator_counts(otp_pump_t *self, MDB_txn *txn, const char *op, uint64_t now,
                             double *sent, double *verified) {
    char name[OTP_PUMP_PREFIX_MAX + 2];
    snprintf(name, sizeof(name), "o:%s", op);
    return s_read(self, txn, 's', name, now, sent) == 0 &&
                   s_read(self, txn, 'v', name, now, verified) == 0
               ? 0
               : -1;
}

/* The block record of prefix: 1 found (*b to free), 0 none, -1 error. */
static int s_block_get(const otp_pump_t *self, MDB_txn *txn, const char *prefix,
                       Dvcid__Store__PumpBlock **b) {
    char key[OTP_PUMP_PREFIX_MAX + 2];
    snprintf(key, sizeof(key), "b:%s", prefix);
    MDB_val v;
    int rc = cmn_db_get(txn, self->blocks, key, strlen(key), &v);
    if (rc == CMN_DB_NOTFOUND)
        return 0;
    if (rc != CMN_DB_OK)
        return -1;
    *b = dvcid__store__pump_block__unpack(NULL, v.mv_size, v.mv_data);
    return *b ? 1 : 0; /* unreadable: as none, a damaged record must not block for ever */
}

static uint32_t s_secs(uint64_t until, uint64_t now) {
    uint64_t s = until > now ? (until - now + 999) / 1000 : 0;
    return s ? (uint32_t)s : 1;
}

int otp_pump_check(otp_pump_t *self, MDB_txn *txn, const char *phone, uint64_t now,
                   otp_pump_verdict_t *v) {
    memset(v, 0, sizeof(*v));
    otp_pump_prefix(phone, v->prefix);
    if (otp_pump_safe(self, phone))
        return 0;
    Dvcid__Store__PumpBlock *last = NULL;
    int has = s_block_get(self, txn, v->prefix, &last);
    if (has < 0)
        return -1;
    if (has && last->until_ms > now) {
        v->retry_after = s_secs(last->until_ms, now);
        v->level = last->level;
        snprintf(v->reason, sizeof(v->reason), "%s", last->reason);
        dvcid__store__pump_block__free_unpacked(last, NULL);
        return 1;
    }
    char name[OTP_PUMP_PREFIX_MAX + 2];
    double sent = 0, verified = 0;
    snprintf(name, sizeof(name), "p:%s", v->prefix);
    int rc = s_read(self, txn, 's', name, now, &sent) == 0 &&
                     s_read(self, txn, 'v', name, now, &verified) == 0
                 ? 0
                 : -1;
    if (rc == 0 && otp_pump_judge(&self->rules, sent, verified)) {
        const otp_pump_rules_t *r = &self->rules;
        v->level =
            otp_pump_next_level(r, has, has ? last->level : 0, has ? last->until_ms : 0, now);
        uint64_t until = now + otp_pump_block_ms(r, v->level);
        snprintf(v->reason, sizeof(v->reason),
                 "conversion %.0f%% of %.0f SMS in %llu s (floor %u%%, min %u SMS)",
                 sent > 0 ? verified * 100.0 / sent : 0.0, sent,
                 (unsigned long long)(r->window_ms / 1000u), r->floor_percent, r->min_sends);
        Dvcid__Store__PumpBlock rec = DVCID__STORE__PUMP_BLOCK__INIT;
        rec.level = v->level;
        rec.until_ms = until;
        rec.reason = v->reason;
        rec.since_ms = now;
        char key[OTP_PUMP_PREFIX_MAX + 2];
        snprintf(key, sizeof(key), "b:%s", v->prefix);
        rc = cmn_db_put_msg(txn, self->blocks, key, strlen(key), &rec, 0) == CMN_DB_OK ? 1 : -1;
        v->new_block = rc == 1;
        v->retry_after = s_secs(until, now);
    }
    if (last)
        dvcid__store__pump_block__free_unpacked(last, NULL);
    return rc;
}

typedef struct {
    uint64_t now;
    size_t max;
    int n;
    otp_pump_block_fn *fn;
    void *arg;
} s_blocks_t;

/* One block "b:PREFIX": counted while on, and given to fn while under max. */
static int s_block_one(const MDB_val *k, const MDB_val *v, void *arg) {
    s_blocks_t *p = arg;
    if (k->mv_size < 3 || k->mv_size > OTP_PUMP_PREFIX_MAX)
        return CMN_DB_EACH_NEXT;
    Dvcid__Store__PumpBlock *b = dvcid__store__pump_block__unpack(NULL, v->mv_size, v->mv_data);
    if (b && b->until_ms > p->now) {
        char prefix[OTP_PUMP_PREFIX_MAX];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)k->mv_size - 2, (const char *)k->mv_data + 2);
        if ((size_t)p->n < p->max)
            p->fn(prefix, b->level, b->until_ms, b->reason, p->arg);
        p->n++;
    }
    if (b)
        dvcid__store__pump_block__free_unpacked(b, NULL);
    return CMN_DB_EACH_NEXT;
}

int otp_pump_blocks(otp_pump_t *self, MDB_txn *txn, uint64_t now, size_t max, otp_pump_block_fn *fn,
                    void *arg) {
    s_blocks_t p = {now, max, 0, fn, arg};
    return cmn_db_each(txn, self->blocks, "b:", 2, s_block_one, &p) < 0 ? -1 : p.n;
}

/* A block can go once it can no longer make the next one longer. arg: block_max_ms. */
static int s_block_done(const MDB_val *v, uint64_t now, const void *arg) {
    const uint64_t *max = arg;
    Dvcid__Store__PumpBlock *b = dvcid__store__pump_block__unpack(NULL, v->mv_size, v->mv_data);
    int done = !b || now >= b->until_ms + *max;
    if (b)
        dvcid__store__pump_block__free_unpacked(b, NULL);
    return done;
}

int otp_pump_sweep(otp_pump_t *self, MDB_txn *txn, uint64_t now, cmn_db_sweep_pos_t pos[2]) {
    /* A bucket's window is read until the end of the next bucket: two spans. */
    int n = cmn_window_sweep(txn, self->counts, now, 2 * self->rules.window_ms, &pos[0]);
    int m = n < 0 ? -1
                  : cmn_db_sweep(txn, self->blocks, now, s_block_done, &self->rules.block_max_ms,
                                 &pos[1]);
    return m < 0 ? -1 : n + m;
}
