/* sms_settings: every tunable of real SMS delivery in one place. The keys of
 * api.md section 2 come from cmn_config_t as they are; the keys beyond them
 * (routes, caps, breaker, timeouts, receipts, retention) are read from the
 * configuration when it has them (CMN_CONFIG_SMS_DELIVERY, defined by
 * cmn_config.h once the [sms] delivery keys are in its table) and take the
 * defaults below otherwise, so the worker builds and runs either way. */
#ifndef SMS_SETTINGS_H
#define SMS_SETTINGS_H

#include <stdint.h>

#include "cmn_config.h"

/* Defaults of the keys beyond api.md section 2 ([sms] section). */
#define SMS_DEF_ROUTES ""               /* "" = every message to sms.provider */
#define SMS_DEF_HTTP_SUCCESS "2xx"      /* statuses[;body substring] */
#define SMS_DEF_HTTP_HEADERS ""         /* "Name: value|Name: value" */
#define SMS_DEF_HTTP_TIMEOUT_MS 10000   /* one request, connect included */
#define SMS_DEF_HTTP_INFLIGHT 64        /* requests in flight at once */
#define SMS_DEF_HTTP_TPS 100            /* messages per second, 0 = no cap */
#define SMS_DEF_SMPP_WINDOW 10          /* submit_sm awaiting their resp */
#define SMS_DEF_SMPP_TPS 100            /* messages per second, 0 = no cap */
#define SMS_DEF_SMPP_TIMEOUT_MS 10000   /* resp wait before the link is judged dead */
#define SMS_DEF_SMPP_ENQUIRE_S 30       /* enquire_link interval on an idle link */
#define SMS_DEF_SMPP_RECONNECT_MS 30000 /* reconnect backoff cap */
#define SMS_DEF_BREAKER_FAILURES 5      /* failures in a row that open a breaker */
#define SMS_DEF_BREAKER_COOLDOWN_MS 30000
#define SMS_DEF_RECEIPT_TIMEOUT_S 3600 /* a sent message without receipt: "unconfirmed" */
#define SMS_DEF_STATUS_RETENTION_S (7 * 24 * 3600)
#define SMS_DEF_DLR_LISTEN ""             /* host:port of the receipt listener (Kannel dlr-url) */
#define SMS_DEF_DLR_ALLOW "127.0.0.1 ::1" /* who may post receipts */
#define SMS_DEF_TEXTS_FILE ""             /* the operator's texts (sms_texts.h); "" = built-in */

#define SMS_SET_STR 1024
#define SMS_SET_NAME 16 /* a provider's name, NUL included */

/* The kinds of asynchronous provider. */
typedef enum { SMS_KIND_NONE = 0, SMS_KIND_HTTP = 1, SMS_KIND_SMPP = 2 } sms_kind_t;

typedef struct {
    /* the provider these settings are for: "" for [sms] itself, "http" and
     * "smpp" for the providers of the [sms] keys, NAME for a section [sms.NAME] */
    char name[SMS_SET_NAME];
    /* api.md section 2 */
    char provider[CMN_CONFIG_STR];
    char http_url[SMS_SET_STR];
    char http_method[CMN_CONFIG_STR];
    char http_body[SMS_SET_STR];
    char http_content_type[CMN_CONFIG_STR];
    char smpp_host[CMN_CONFIG_STR];
    int smpp_port;
    char smpp_system_id[CMN_CONFIG_STR];
    char smpp_password[CMN_CONFIG_STR];
    char smpp_source[CMN_CONFIG_STR];
    /* beyond it */
    char routes[SMS_SET_STR];
    char http_success[CMN_CONFIG_STR];
    char http_headers[SMS_SET_STR];
    int http_timeout_ms;
    int http_inflight;
    int http_tps;
    int smpp_window;
    int smpp_tps;
    int smpp_timeout_ms;
    int smpp_enquire_s;
    int smpp_reconnect_ms;
    int breaker_failures;
    int breaker_cooldown_ms;
    int receipt_timeout_s;
    int status_retention_s;
    char dlr_listen[CMN_CONFIG_STR];
    char dlr_token[CMN_CONFIG_STR]; /* the secret in the dlr-url; set by the worker if "" */
    char dlr_allow[CMN_CONFIG_STR]; /* sources the receipt listener answers */
    char texts_file[CMN_CONFIG_STR];
} sms_settings_t;

/* Fills s from cfg (and the defaults above for keys cfg does not have). */
void sms_settings_load(sms_settings_t *s, const cmn_config_t *cfg);

/* Further providers by name: sections [sms.NAME] with kind = http|smpp and any
 * http_* / smpp_* key of [sms]; a key a section leaves out keeps its [sms] value.
 * The names of those sections into names (at most max). Returns how many. */
int sms_settings_names(const cmn_config_t *cfg, char names[][SMS_SET_NAME], int max);

/* The settings of provider name into out: base as it is for "http" and "smpp"
 * (the [sms] keys), base with the keys of [sms.NAME] applied otherwise. Returns
 * its kind, or SMS_KIND_NONE when no provider has that name. */
sms_kind_t sms_settings_for(const sms_settings_t *base, const cmn_config_t *cfg, const char *name,
                            sms_settings_t *out);

#endif
