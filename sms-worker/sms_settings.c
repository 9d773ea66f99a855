/* sms_settings: copies the [sms] keys out of the configuration (see sms_settings.h). */
#include "sms_settings.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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
    S_COPY(s->dlr_token, cfg->sms_dlr_token);
    S_COPY(s->dlr_allow, cfg->sms_dlr_allow);
    S_COPY(s->texts_file, cfg->sms_texts_file);
}

/* The keys a [sms.NAME] section may set (cmn_config checked their values). */
#define S_STR(k, f)                                                                                \
    { k, offsetof(sms_settings_t, f), sizeof(((sms_settings_t *)0)->f) }
#define S_INT(k, f)                                                                                \
    { k, offsetof(sms_settings_t, f), 0 }
static const struct {
    const char *key;
    size_t offset, size; /* size 0: an int */
} s_named_keys[] = {
    S_STR("http_url", http_url),
    S_STR("http_method", http_method),
    S_STR("http_body", http_body),
    S_STR("http_content_type", http_content_type),
    S_STR("http_success", http_success),
    S_STR("http_headers", http_headers),
    S_INT("http_timeout_ms", http_timeout_ms),
    S_INT("http_inflight", http_inflight),
    S_INT("http_tps", http_tps),
    S_STR("smpp_host", smpp_host),
    S_INT("smpp_port", smpp_port),
    S_STR("smpp_system_id", smpp_system_id),
    S_STR("smpp_password", smpp_password),
    S_STR("smpp_source", smpp_source),
    S_INT("smpp_window", smpp_window),
    S_INT("smpp_tps", smpp_tps),
    S_INT("smpp_timeout_ms", smpp_timeout_ms),
    S_INT("smpp_enquire_s", smpp_enquire_s),
    S_INT("smpp_reconnect_ms", smpp_reconnect_ms),
};

int sms_settings_names(const cmn_config_t *cfg, char names[][SMS_SET_NAME], int max) {
    int n = 0;
    for (int i = 0; i < cfg->sms_nsub; i++) {
        int seen = 0;
        for (int j = 0; j < n; j++)
            seen |= strcmp(names[j], cfg->sms_sub[i].section) == 0;
        if (!seen && n < max) {
            S_COPY(names[n], cfg->sms_sub[i].section);
            n++;
        }
    }
    return n;
}

sms_kind_t sms_settings_for(const sms_settings_t *base, const cmn_config_t *cfg, const char *name,
                            sms_settings_t *out) {
    *out = *base;
    S_COPY(out->name, name);
    if (strcmp(name, "http") == 0)
        return SMS_KIND_HTTP;
    if (strcmp(name, "smpp") == 0)
        return SMS_KIND_SMPP;
    if (strcmp(name, "file") == 0 && strcmp(base->provider, "file") == 0)
        return SMS_KIND_FILE;
    sms_kind_t kind = SMS_KIND_NONE;
    for (int i = 0; i < cfg->sms_nsub; i++) {
        const cmn_config_subkey_t *k = &cfg->sms_sub[i];
        if (strcmp(k->section, name) != 0)
            continue;
        if (strcmp(k->key, "kind") == 0)
            kind = strcmp(k->value, "smpp") == 0 ? SMS_KIND_SMPP : SMS_KIND_HTTP;
        for (size_t j = 0; j < sizeof(s_named_keys) / sizeof(s_named_keys[0]); j++) {
            if (strcmp(s_named_keys[j].key, k->key) != 0)
                continue;
            char *field = (char *)out + s_named_keys[j].offset;
            if (s_named_keys[j].size)
                snprintf(field, s_named_keys[j].size, "%s", k->value);
            else
                *(int *)field = (int)strtol(k->value, NULL, 10);
        }
    }
    return kind;
}
