/* sms_worker_int: the worker's state, shared by its files: sms_worker.c (the service,
 * accepting), sms_dispatch.c (providers, routing, the delivery batch), sms_outcome.c
 * (outcomes, receipts, the ops views, metrics), sms_reload.c (--check-config, SIGHUP)
 * and sms_dlrd.c (the receipt listener). Not for other modules. */
#ifndef SMS_WORKER_INT_H
#define SMS_WORKER_INT_H

#include <stdbool.h>

#include "cmn_chan.h"
#include "cmn_crypto.h"
#include "cmn_service.h"
#include "sms_conv.h"
#include "sms_metrics.h"
#include "sms_provider.h"
#include "sms_queue.h"
#include "sms_route.h"
#include "sms_settings.h"
#include "sms_status.h"
#include "sms_texts.h"
#include "sms_worker.h"

#define SMS_MASK_MAX 24
#define SMS_INFLIGHT_BUCKETS 4096

typedef struct sms_dlrd sms_dlrd_t;

/* One running provider, as the worker keeps it: the kind's object and what outlives it
 * (its name and kind are still read for the final outcomes after the stop). */
typedef struct {
    sms_provider_t *p;
    sms_kind_t kind;
    char name[SMS_SET_NAME];
    sms_prov_metrics_t pm; /* its series in metrics */
} sms_worker_prov_t;

/* A message out with a provider (in memory: the lease in LMDB covers a crash). */
typedef struct sms_flight {
    char message_id[SMS_ID_MAX + 1];
    int prov;
    struct sms_flight *next;
} sms_flight_t;

struct sms_worker {
    const cmn_config_t *cfg;
    sms_settings_t set;
    cmn_db_t *db;
    sms_queue_t *queue;
    sms_status_t *status;
    sms_texts_t *texts;
    MDB_dbi conv; /* sms_conv's counters */
    cmn_service_t *svc;
    int timer;
    bool provider_ok; /* Pong.ready */
    uint64_t rng;     /* xorshift state for jitter and weights (not a secret) */
    uint64_t next_sweep_ms;
    sms_stats_t stats;
    cmn_metrics_t *metrics; /* the service's, borrowed (sms_worker_metrics_attach) */
    /* the providers: the `file` sink alone, or those sms.provider and the routes name */
    int nprov;
    sms_worker_prov_t provs[SMS_PROV_MAX];
    /* sms_route's inputs, by the same index: names[i] is provs[i].name */
    const char *names[SMS_PROV_MAX];
    sms_gate_t gates[SMS_PROV_MAX];
    sms_route_t routes[SMS_ROUTE_MAX];
    int nroutes;
    cmn_chan_t *results;
    sms_dlrd_t *dlr;
    bool released; /* leases of the last run given back */
    uint64_t lease_ms;
    sms_flight_t *flights[SMS_INFLIGHT_BUCKETS];
    int nflights;
    /* One batch's jobs, kept here rather than on the stack (about 100 KiB). */
    sms_job_t jobs[SMS_BATCH_MAX];
};

uint32_t sms_worker_random(sms_worker_t *self);
/* Is the provider the `file` sink (sms.provider = file: no routes, caps, breakers or
 * receipts)? */
bool sms_worker_sink(const sms_worker_t *self);
/* Records that provider took job (to a number of prefix; masked): its status,
 * and its conversion counts when it carries a code. Returns 0 or -1. */
int sms_worker_taken(sms_worker_t *self, MDB_txn *txn, const sms_job_t *job, const char *provider,
                     const char *ref, uint64_t at_ms, uint64_t await_ms, const char *prefix,
                     const char *masked);
const char *sms_worker_purpose(uint32_t purpose);
bool sms_worker_test_number(const cmn_config_t *cfg, const char *phone);

/* sms_reload.c: what a SIGHUP applies (texts, routes, caps, breakers): a cmn_reload_fn. */
int sms_worker_reload(void *self, const cmn_config_t *next, char *err, size_t errlen);

/* sms_dispatch.c: starts the providers, routes and the receipt listener the
 * settings name (0 or -1, logged); stops them (threads joined, their last
 * outcomes left in results). */
int sms_dispatch_open(sms_worker_t *self);
void sms_dispatch_close(sms_worker_t *self);
/* Frees what sms_dispatch_close leaves for the final outcomes (results, flights). */
void sms_dispatch_free(sms_worker_t *self);
/* Removes id from the flights. Returns its provider, or -1 when it was not out. */
int sms_dispatch_landed(sms_worker_t *self, const char *id);

/* A receipt listener for Kannel's dlr-url (sms_dlrd.c): GET /dlr?id=&type=&token=
 * on set->dlr_listen ("host:port") from a source in set->dlr_allow with
 * set->dlr_token; receipts pushed to results as provider prov. NULL on failure
 * (logged). */
sms_dlrd_t *sms_dlrd_new(const sms_settings_t *set, int prov, cmn_chan_t *results);
void sms_dlrd_destroy(sms_dlrd_t **self_p);
/* Requests refused for their token and for their source (tolerates NULL: 0). */
void sms_dlrd_refused(const sms_dlrd_t *self, uint64_t *token, uint64_t *source);
/* The dlr-url secret when sms.dlr_token is "": 32 hex digits keyed by the queue key,
 * so it survives restarts (receipts of messages sent before one still match). */
void sms_dlrd_token_derive(const uint8_t key[CMN_KEY_BYTES], char *out, size_t outlen);

#endif
