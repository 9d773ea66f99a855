/* sms_settings: every tunable of real SMS delivery in one place, copied out of
 * cmn_config_t: the keys of api.md section 2 and those beyond them (routes, caps,
 * breaker, timeouts, receipts, retention), whose defaults and bounds are in the config
 * table; plus the settings of each named provider ([sms.NAME]). */
#ifndef SMS_SETTINGS_H
#define SMS_SETTINGS_H

#include <stdint.h>

#include "cmn_config.h"

#define SMS_SET_STR 1024
#define SMS_SET_NAME 16 /* a provider's name, NUL included */

/* The kinds of provider. */
typedef enum {
    SMS_KIND_NONE = 0,
    SMS_KIND_HTTP = 1,
    SMS_KIND_SMPP = 2,
    SMS_KIND_FILE = 3 /* the sink (sms.provider = file): no routes, caps or breaker */
} sms_kind_t;

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
 * (the [sms] keys) and for "file" when it is base's provider, base with the keys of
 * [sms.NAME] applied otherwise. Returns its kind, or SMS_KIND_NONE when no provider
 * has that name. */
sms_kind_t sms_settings_for(const sms_settings_t *base, const cmn_config_t *cfg, const char *name,
                            sms_settings_t *out);

#endif
