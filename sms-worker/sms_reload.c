/* sms_reload: what sms-worker checks of a configuration (--check-config) and what it
 * applies of one reread on SIGHUP: the texts (sms.texts_file), the routes and their
 * weights (sms.routes, over the providers running: a route to one not started needs a
 * restart), the [sms] providers' caps (http_tps, smpp_tps), breakers, receipt timeout
 * and status retention. The providers' connections are threads with their own copies
 * of their settings: cmn_config_keep_fixed keeps those keys as running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "sms_worker_int.h"

/* The names a route may use: the [sms] providers and every [sms.NAME] section. */
static int s_known(const cmn_config_t *cfg, char named[][SMS_SET_NAME], const char **known) {
    known[0] = "http";
    known[1] = "smpp";
    int n = 2 + sms_settings_names(cfg, named, SMS_PROV_MAX);
    for (int i = 2; i < n; i++)
        known[i] = named[i - 2];
    return n;
}

/* Provider name as it would start: known, and its settings as its _new takes them
 * (sms_http_check, sms_smpp_check). Returns 0 or -1 with why. */
static int s_check_provider(const sms_settings_t *base, const cmn_config_t *cfg, const char *name,
                            char *err, size_t errlen) {
    sms_settings_t *ps = calloc(1, sizeof(*ps));
    if (!ps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    sms_kind_t kind = sms_settings_for(base, cfg, name, ps);
    if (kind == SMS_KIND_NONE) {
        snprintf(err, errlen,
                 "[sms] provider or routes: no provider \"%s\" (http, smpp or a "
                 "[sms.NAME] section)",
                 name);
        rc = -1;
    } else {
        rc = kind == SMS_KIND_HTTP ? sms_http_check(ps, err, errlen)
                                   : sms_smpp_check(ps, err, errlen);
    }
    cmn_wipe(ps, sizeof(*ps));
    free(ps);
    return rc;
}

/* The texts and, unless the provider is the file sink, the routes and their providers. */
static int s_check(const cmn_config_t *cfg, const sms_settings_t *set, char *err, size_t errlen) {
    char why[400];
    sms_texts_t *texts = sms_texts_new(set->texts_file, why, sizeof(why));
    if (!texts) {
        snprintf(err, errlen, "[sms] texts_file: %s", why);
        return -1;
    }
    sms_texts_destroy(&texts);
    if (strcmp(set->provider, "file") == 0)
        return 0;
    char named[SMS_PROV_MAX][SMS_SET_NAME];
    const char *known[SMS_PROV_MAX + 2];
    int nknown = s_known(cfg, named, known);
    sms_route_t routes[SMS_ROUTE_MAX];
    int n = sms_route_parse(set->routes, known, nknown, routes, SMS_ROUTE_MAX, why, sizeof(why));
    if (n < 0) {
        snprintf(err, errlen, "[sms] routes: %s", why);
        return -1;
    }
    if (s_check_provider(set, cfg, set->provider, err, errlen) != 0)
        return -1;
    for (int r = 0; r < n && set->routes[0]; r++)
        for (int w = 0; w < routes[r].n; w++)
            if (s_check_provider(set, cfg, known[routes[r].prov[w]], err, errlen) != 0)
                return -1;
    return 0;
}

int sms_worker_config_check(const cmn_config_t *cfg, char *err, size_t errlen) {
    sms_settings_t *set = calloc(1, sizeof(*set));
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sms_settings_load(set, cfg);
    int rc = s_check(cfg, set, err, errlen);
    cmn_wipe(set, sizeof(*set));
    free(set);
    return rc;
}

/* The caps and breakers of the running providers from set (named sections as running). */
static void s_gates(sms_worker_t *self, const sms_settings_t *set, const cmn_config_t *next) {
    sms_settings_t *ps = calloc(1, sizeof(*ps));
    for (int i = 0; ps && i < self->nprov; i++) {
        sms_kind_t kind = sms_settings_for(set, next, self->names[i], ps);
        sms_gate_t *g = &self->gates[i];
        int tps = kind == SMS_KIND_HTTP ? ps->http_tps : kind == SMS_KIND_SMPP ? ps->smpp_tps : 0;
        g->tps = tps > 0 ? tps : 0;
        if (g->tokens > g->tps) /* bursts of one second's worth of the new cap */
            g->tokens = g->tps;
        g->failures = set->breaker_failures > 0 ? set->breaker_failures : 1;
        g->cooldown_ms = (uint32_t)set->breaker_cooldown_ms;
    }
    if (ps)
        cmn_wipe(ps, sizeof(*ps));
    free(ps);
}

static int s_apply(sms_worker_t *self, const cmn_config_t *next, const sms_settings_t *set,
                   char *err, size_t errlen) {
    char why[400];
    sms_route_t routes[SMS_ROUTE_MAX];
    int nroutes = 0;
    bool sink = sms_worker_sink(self); /* the file sink takes no routes, caps or breakers */
    if (!sink) {
        nroutes = sms_route_parse(set->routes, self->names, self->nprov, routes, SMS_ROUTE_MAX, why,
                                  sizeof(why));
        if (nroutes < 0) {
            snprintf(err, errlen,
                     "[sms] routes: %s (the providers running are those of the start: a new "
                     "one needs a restart)",
                     why);
            return -1;
        }
    }
    sms_texts_t *texts = sms_texts_new(set->texts_file, why, sizeof(why));
    if (!texts) {
        snprintf(err, errlen, "[sms] texts_file: %s", why);
        return -1;
    }
    /* Nothing can fail from here: the whole file applies. */
    sms_texts_destroy(&self->texts);
    self->texts = texts;
    if (!sink) {
        memcpy(self->routes, routes, sizeof(routes[0]) * (size_t)nroutes);
        self->nroutes = nroutes;
        s_gates(self, set, next);
    }
    snprintf(self->set.routes, sizeof(self->set.routes), "%s", set->routes);
    snprintf(self->set.texts_file, sizeof(self->set.texts_file), "%s", set->texts_file);
    self->set.http_tps = set->http_tps;
    self->set.smpp_tps = set->smpp_tps;
    self->set.breaker_failures = set->breaker_failures;
    self->set.breaker_cooldown_ms = set->breaker_cooldown_ms;
    self->set.receipt_timeout_s = set->receipt_timeout_s;
    self->set.status_retention_s = set->status_retention_s;
    CMN_INFO(NULL, "sms: texts %s, %d route(s) in force",
             set->texts_file[0] ? set->texts_file : "built-in", sink ? 0 : self->nroutes);
    return 0;
}

int sms_worker_reload(void *arg, const cmn_config_t *next, char *err, size_t errlen) {
    sms_worker_t *self = arg;
    sms_settings_t *set = calloc(1, sizeof(*set));
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sms_settings_load(set, next);
    int rc = s_check(next, set, err, errlen) == 0 ? s_apply(self, next, set, err, errlen) : -1;
    cmn_wipe(set, sizeof(*set));
    free(set);
    return rc;
}
