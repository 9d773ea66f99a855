/* sms_conv: conversion counters in LMDB and their Prometheus text (see sms_conv.h). */
#include "sms_conv.h"

#include <stdio.h>
#include <string.h>

#include "cmn_db.h"
#include "sms_metrics.h"

#define S_NAME_MAX 16 /* provider names, as the worker keeps them (SMS_SET_NAME) */
#define S_KEY_MAX (S_NAME_MAX + 1 + SMS_CONV_PREFIX_MAX)

void sms_conv_prefix(const char *phone, char out[SMS_CONV_PREFIX_MAX]) {
    size_t n = 0;
    while (n < SMS_CONV_PREFIX_LEN && phone[n] &&
           ((n == 0 && phone[n] == '+') || (phone[n] >= '0' && phone[n] <= '9')))
        n++;
    if (n == 0 || phone[0] != '+')
        n = 0;
    memcpy(out, phone, n);
    out[n] = '\0';
}

static size_t s_key(char *out, const char *provider, const char *prefix) {
    size_t a = strnlen(provider, S_NAME_MAX - 1), b = strnlen(prefix, SMS_CONV_PREFIX_LEN);
    memcpy(out, provider, a);
    out[a] = '\0';
    memcpy(out + a + 1, prefix, b);
    return a + 1 + b;
}

static uint64_t s_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void s_put64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

int sms_conv_get(MDB_txn *txn, MDB_dbi dbi, const char *provider, const char *prefix,
                 uint64_t *sent, uint64_t *verified) {
    char key[S_KEY_MAX];
    size_t klen = s_key(key, provider, prefix);
    MDB_val v;
    *sent = *verified = 0;
    int rc = cmn_db_get(txn, dbi, key, klen, &v);
    if (rc == CMN_DB_OK && v.mv_size == 16) {
        *sent = s_be64(v.mv_data);
        *verified = s_be64((const uint8_t *)v.mv_data + 8);
    }
    return rc == CMN_DB_ERROR ? -1 : 0;
}

int sms_conv_add(MDB_txn *txn, MDB_dbi dbi, const char *provider, const char *prefix, uint64_t sent,
                 uint64_t verified) {
    uint64_t s, v;
    if (sms_conv_get(txn, dbi, provider, prefix, &s, &v) != 0)
        return -1;
    uint8_t val[16];
    s_put64(val, s + sent);
    s_put64(val + 8, v + verified);
    char key[S_KEY_MAX];
    size_t klen = s_key(key, provider, prefix);
    return cmn_db_put(txn, dbi, key, klen, val, sizeof(val), 0) == CMN_DB_OK ? 0 : -1;
}

int sms_conv_publish(MDB_txn *txn, MDB_dbi dbi, cmn_metrics_t *m) {
    MDB_cursor *cur;
    if (cmn_db_note(mdb_cursor_open(txn, dbi, &cur)) != 0)
        return -1;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *key = k.mv_data;
        size_t a = strnlen(key, k.mv_size);
        if (v.mv_size != 16 || a >= S_NAME_MAX || a >= k.mv_size ||
            k.mv_size - a - 1 > SMS_CONV_PREFIX_LEN)
            continue;
        uint64_t sent = s_be64(v.mv_data), ver = s_be64((const uint8_t *)v.mv_data + 8);
        char labels[96];
        snprintf(labels, sizeof(labels), "provider=\"%.*s\",prefix=\"%.*s\"", (int)a, key,
                 (int)(k.mv_size - a - 1), key + a + 1);
        sms_metrics_counter_at(m, "dvcid_sms_otp_sent_total", labels, sent,
                               "OTP SMS taken by a provider, per provider and number prefix");
        sms_metrics_counter_at(m, "dvcid_sms_otp_verified_total", labels, ver,
                               "OTP SMS whose code was verified (once per challenge), per "
                               "provider and prefix");
        cmn_metrics_set(m, "dvcid_sms_conversion_ratio", labels,
                        sent ? (double)ver / (double)sent : 0.0,
                        "verified / sent since the counters began, per provider and prefix");
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : -1;
}
