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
#define SMS_DEF_DLR_LISTEN "" /* host:port of the receipt listener (Kannel dlr-url) */
#define SMS_DEF_TEXTS_FILE "" /* the operator's texts (sms_texts.h); "" = built-in */

#define SMS_SET_STR 1024

typedef struct {
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
    char texts_file[CMN_CONFIG_STR];
} sms_settings_t;

/* Fills s from cfg (and the defaults above for keys cfg does not have). */
void sms_settings_load(sms_settings_t *s, const cmn_config_t *cfg);

#endif
