/* sms_settings: copies the [sms] keys out of the configuration (see sms_settings.h).
 * The #ifdef is the switch: the lead's config table defines CMN_CONFIG_SMS_DELIVERY
 * together with the fields read below; until then the defaults hold. */
#include "sms_settings.h"

#include <stdio.h>
#include <string.h>

#define S_COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

void sms_settings_load(sms_settings_t *s, const cmn_config_t *cfg) {
    memset(s, 0, sizeof(*s));
    S_COPY(s->provider, cfg->sms_provider);
    S_COPY(s->http_url, cfg->sms_http_url);
    S_COPY(s->http_method, cfg->sms_http_method);
    S_COPY(s->http_body, cfg->sms_http_body);
    S_COPY(s->http_content_type, cfg->sms_http_content_type);
    S_COPY(s->smpp_host, cfg->sms_smpp_host);
    s->smpp_port = cfg->sms_smpp_port;
    S_COPY(s->smpp_system_id, cfg->sms_smpp_system_id);
    S_COPY(s->smpp_password, cfg->sms_smpp_password);
    S_COPY(s->smpp_source, cfg->sms_smpp_source);
#ifdef CMN_CONFIG_SMS_DELIVERY
    S_COPY(s->routes, cfg->sms_routes);
    S_COPY(s->http_success, cfg->sms_http_success);
    S_COPY(s->http_headers, cfg->sms_http_headers);
    s->http_timeout_ms = cfg->sms_http_timeout_ms;
    s->http_inflight = cfg->sms_http_inflight;
    s->http_tps = cfg->sms_http_tps;
    s->smpp_window = cfg->sms_smpp_window;
    s->smpp_tps = cfg->sms_smpp_tps;
    s->smpp_timeout_ms = cfg->sms_smpp_timeout_ms;
    s->smpp_enquire_s = cfg->sms_smpp_enquire_s;
    s->smpp_reconnect_ms = cfg->sms_smpp_reconnect_ms;
    s->breaker_failures = cfg->sms_breaker_failures;
    s->breaker_cooldown_ms = cfg->sms_breaker_cooldown_ms;
    s->receipt_timeout_s = cfg->sms_receipt_timeout_s;
    s->status_retention_s = cfg->sms_status_retention_s;
    S_COPY(s->dlr_listen, cfg->sms_dlr_listen);
    S_COPY(s->texts_file, cfg->sms_texts_file);
#else
    S_COPY(s->routes, SMS_DEF_ROUTES);
    S_COPY(s->http_success, SMS_DEF_HTTP_SUCCESS);
    S_COPY(s->http_headers, SMS_DEF_HTTP_HEADERS);
    s->http_timeout_ms = SMS_DEF_HTTP_TIMEOUT_MS;
    s->http_inflight = SMS_DEF_HTTP_INFLIGHT;
    s->http_tps = SMS_DEF_HTTP_TPS;
    s->smpp_window = SMS_DEF_SMPP_WINDOW;
    s->smpp_tps = SMS_DEF_SMPP_TPS;
    s->smpp_timeout_ms = SMS_DEF_SMPP_TIMEOUT_MS;
    s->smpp_enquire_s = SMS_DEF_SMPP_ENQUIRE_S;
    s->smpp_reconnect_ms = SMS_DEF_SMPP_RECONNECT_MS;
    s->breaker_failures = SMS_DEF_BREAKER_FAILURES;
    s->breaker_cooldown_ms = SMS_DEF_BREAKER_COOLDOWN_MS;
    s->receipt_timeout_s = SMS_DEF_RECEIPT_TIMEOUT_S;
    s->status_retention_s = SMS_DEF_STATUS_RETENTION_S;
    S_COPY(s->dlr_listen, SMS_DEF_DLR_LISTEN);
    S_COPY(s->texts_file, SMS_DEF_TEXTS_FILE);
#endif
}
