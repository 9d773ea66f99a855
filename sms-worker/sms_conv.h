/* sms_conv: conversion of OTP SMS, counted per provider and number prefix: how
 * many a provider took ("sent") and how many of those had their code verified
 * ("verified", reported by otp-svc through its outbox as SmsVerified). The
 * counters live in LMDB (database "conv" of sms_queue_dbs: provider NUL prefix ->
 * be64 sent, be64 verified) and change in the transaction that changes the
 * message's status, so a restart neither loses a count nor makes one twice; the
 * Prometheus counters therefore never reset. A challenge that is verified counts
 * once, for the SMS whose code was verified (the last one sent); each SMS the
 * provider took counts as sent, resends included: verified / sent is the share
 * of OTP SMS that led to a verification. */
#ifndef SMS_CONV_H
#define SMS_CONV_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_metrics.h"

/* A number's prefix for the counters: "+84" and the two digits that name the
 * network (+8498 Viettel, +8491 Vinaphone, ...), so at most 100 per country. */
#define SMS_CONV_PREFIX_LEN 5
#define SMS_CONV_PREFIX_MAX (SMS_CONV_PREFIX_LEN + 1)

/* The prefix of phone (E.164) into out: its first SMS_CONV_PREFIX_LEN characters
 * while they are '+' and digits ("" for something else). */
void sms_conv_prefix(const char *phone, char out[SMS_CONV_PREFIX_MAX]);

/* Adds sent and verified to the counters of provider and prefix in txn. 0 or -1. */
int sms_conv_add(MDB_txn *txn, MDB_dbi dbi, const char *provider, const char *prefix, uint64_t sent,
                 uint64_t verified);

/* Reads the counters of provider and prefix (0 when none). 0 or -1. */
int sms_conv_get(MDB_txn *txn, MDB_dbi dbi, const char *provider, const char *prefix,
                 uint64_t *sent, uint64_t *verified);

/* Puts every counter into m at its value in txn (sms_metrics_counter_at):
 * dvcid_sms_otp_sent_total, dvcid_sms_otp_verified_total and the gauge
 * dvcid_sms_conversion_ratio (verified / sent since the first count), labelled
 * provider and prefix. Returns 0 or -1 on a storage error. */
int sms_conv_publish(MDB_txn *txn, MDB_dbi dbi, cmn_metrics_t *m);

#endif
