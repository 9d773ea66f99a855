/* cmn_config: the declarative table of every configuration key (redis-style
 * static_configs[]), and the INI loader on inih that checks each value against it. */
#include "cmn_config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_INT, T_STR, T_ENUM, T_BOOL } s_type_t;

typedef struct {
    const char *section;
    const char *key;
    s_type_t type;
    size_t offset;
    size_t size;   /* for strings: the buffer size */
    long min, max; /* for ints */
    const char *def;
    const char *values;  /* for enums: "a|b|c" */
    const char *unbuilt; /* enum values accepted by the contract but not built yet */
} s_key_t;

#define INT(sec, k, field, lo, hi, d)                                                              \
    { sec, k, T_INT, offsetof(cmn_config_t, field), 0, lo, hi, d, NULL, NULL }
#define BOOL(sec, k, field, d)                                                                     \
    { sec, k, T_BOOL, offsetof(cmn_config_t, field), 0, 0, 1, d, NULL, NULL }
#define STR(sec, k, field, d)                                                                      \
    {                                                                                              \
        sec, k, T_STR, offsetof(cmn_config_t, field), sizeof(((cmn_config_t *)0)->field), 0, 0, d, \
            NULL, NULL                                                                             \
    }
#define ENUM(sec, k, field, d, vals, unbuilt)                                                      \
    {                                                                                              \
        sec, k, T_ENUM, offsetof(cmn_config_t, field), sizeof(((cmn_config_t *)0)->field), 0, 0,   \
            d, vals, unbuilt                                                                       \
    }

static const s_key_t s_keys[] = {
    STR("gateway", "listen", gateway_listen, "127.0.0.1:8080"),
    STR("gateway", "trusted_proxies", gateway_trusted_proxies, ""),
    INT("gateway", "timeout_ms", gateway_timeout_ms, 100, 60000, "2000"),
    INT("gateway", "threads", gateway_threads, 1, 64, "2"),
    BOOL("gateway", "cookie_secure", gateway_cookie_secure, "true"),
    STR("gateway", "allowed_origins", gateway_allowed_origins, ""),
    STR("gateway", "management_listen", gateway_management_listen, "127.0.0.1:9180"),
    BOOL("gateway", "public_metrics", gateway_public_metrics, "false"),
    STR("gateway", "public_url", gateway_public_url, ""),
    STR("storage", "dir", storage_dir, "./var"),
    INT("storage", "map_size_mib", storage_map_size_mib, 1, 1048576, "65536"),
    INT("storage", "max_map_mib", storage_max_map_mib, 1, 1048576, "1048576"),
    INT("storage", "min_free_mib", storage_min_free_mib, 0, 1048576, "256"),
    STR("account", "endpoint", account_endpoint, "tcp://127.0.0.1:7101"),
    INT("account", "registration_ttl", account_registration_ttl, 60, 86400, "1800"),
    INT("account", "argon2_ops", account_argon2_ops, 2, 16, "2"),
    INT("account", "argon2_mem_mib", account_argon2_mem_mib, 19, 4096, "64"),
    INT("account", "hash_workers", account_hash_workers, 0, 256, "0"),
    INT("account", "hash_queue", account_hash_queue, 1, 100000, "64"),
    INT("account", "flow_ttl", account_flow_ttl, 60, 86400, "900"),
    INT("account", "max_registration_starts_per_ip_hour",
        account_max_registration_starts_per_ip_hour, 1, 100000000, "200"),
    INT("account", "reauth_seconds", account_reauth_seconds, 0, 86400, "300"),
    INT("account", "phone_change_cooling_off", account_phone_change_cooling_off, 0, 2592000, "0"),
    INT("account", "max_otp_failures_per_hour", account_max_otp_failures_per_hour, 1, 100000, "20"),
    INT("account", "otp_failures_window", account_otp_failures_window, 1, 3600, "3600"),
    STR("otp", "endpoint", otp_endpoint, "tcp://127.0.0.1:7102"),
    INT("otp", "length", otp_length, 6, 9, "6"),
    INT("otp", "ttl", otp_ttl, 1, 300, "300"),
    INT("otp", "resend_after", otp_resend_after, 0, 3600, "60"),
    INT("otp", "max_attempts", otp_max_attempts, 1, 100, "5"),
    INT("otp", "max_sends_per_flow", otp_max_sends_per_flow, 1, 100, "5"),
    INT("otp", "max_failures_per_flow", otp_max_failures_per_flow, 1, 1000, "10"),
    INT("otp", "max_failures_per_phone_hour", otp_max_failures_per_phone_hour, 1, 100000, "20"),
    INT("otp", "max_sends_per_phone_hour", otp_max_sends_per_phone_hour, 1, 1000000, "5"),
    INT("otp", "max_sends_per_ip_hour", otp_max_sends_per_ip_hour, 1, 100000000, "200"),
    INT("otp", "max_sends_per_prefix_hour", otp_max_sends_per_prefix_hour, 1, 100000000, "200"),
    STR("otp", "test_phone_prefix", otp_test_phone_prefix, ""),
    STR("otp", "test_code", otp_test_code, ""),
    INT("otp", "pump_window", otp_pump_window, 10, 86400, "3600"),
    INT("otp", "pump_min_sends", otp_pump_min_sends, 1, 1000000, "30"),
    INT("otp", "pump_floor_percent", otp_pump_floor_percent, 0, 100, "10"),
    INT("otp", "pump_block_seconds", otp_pump_block_seconds, 1, 86400, "900"),
    INT("otp", "pump_block_max_seconds", otp_pump_block_max_seconds, 1, 86400 * 30, "86400"),
    STR("otp", "pump_safe_list", otp_pump_safe_list, ""),
    STR("otp", "operators", otp_operators, ""),
    STR("otp", "allowed_countries", otp_allowed_countries, ""),
    INT("otp", "daily_budget", otp_daily_budget, 0, 100000000, "200000"),
    INT("otp", "daily_budget_per_prefix", otp_daily_budget_per_prefix, 0, 100000000, "2000"),
    INT("login", "max_failures", login_max_failures, 1, 100, "5"),
    INT("login", "lock_seconds", login_lock_seconds, 1, 86400 * 30, "900"),
    INT("login", "slow_after", login_slow_after, 1, 100, "20"),
    INT("login", "slow_max_seconds", login_slow_max_seconds, 1, 3600, "60"),
    INT("login", "max_consecutive", login_max_consecutive, 1, 100, "100"),
    INT("login", "max_failures_per_ip_hour", login_max_failures_per_ip_hour, 1, 100000000, "100"),
    INT("login", "decay_seconds", login_decay_seconds, 60, 86400 * 30, "86400"),
    INT("login", "retention_seconds", login_retention_seconds, 60, 86400 * 365, "604800"),
    STR("token", "issuer", token_issuer, "dvcid"),
    STR("token", "audience", token_audience, "dvc-portals"),
    INT("token", "access_ttl", token_access_ttl, 30, 86400, "300"),
    INT("token", "session_ttl", token_session_ttl, 60, 86400 * 30, "28800"),
    STR("captcha", "test_answer", captcha_test_answer, ""),
    INT("captcha", "ttl", captcha_ttl, 10, 3600, "300"),
    INT("captcha", "max_per_ip_hour", captcha_max_per_ip_hour, 1, 100000000, "1000"),
    STR("sms", "endpoint", sms_endpoint, "tcp://127.0.0.1:7103"),
    ENUM("sms", "provider", sms_provider, "file", "file|http|smpp", NULL),
    STR("sms", "file", sms_file, "./var/sms-outbox.jsonl"),
    STR("sms", "http_url", sms_http_url, ""),
    ENUM("sms", "http_method", sms_http_method, "GET", "GET|POST", NULL),
    STR("sms", "http_body", sms_http_body, ""),
    STR("sms", "http_content_type", sms_http_content_type, "application/json"),
    STR("sms", "smpp_host", sms_smpp_host, ""),
    INT("sms", "smpp_port", sms_smpp_port, 1, 65535, "2775"),
    STR("sms", "smpp_system_id", sms_smpp_system_id, ""),
    STR("sms", "smpp_password", sms_smpp_password, ""),
    STR("sms", "smpp_source", sms_smpp_source, "DVCQG"),
    STR("sms", "smpp_password_file", sms_smpp_password_file, ""),
    STR("sms", "http_url_file", sms_http_url_file, ""),
    STR("sms", "http_headers_file", sms_http_headers_file, ""),
    STR("sms", "routes", sms_routes, ""),
    STR("sms", "http_success", sms_http_success, "2xx"),
    STR("sms", "http_headers", sms_http_headers, ""),
    INT("sms", "http_timeout_ms", sms_http_timeout_ms, 100, 120000, "10000"),
    INT("sms", "http_inflight", sms_http_inflight, 1, 1024, "64"),
    INT("sms", "http_tps", sms_http_tps, 0, 100000, "100"),
    INT("sms", "smpp_window", sms_smpp_window, 1, 256, "10"),
    INT("sms", "smpp_tps", sms_smpp_tps, 0, 100000, "100"),
    INT("sms", "smpp_timeout_ms", sms_smpp_timeout_ms, 100, 120000, "10000"),
    INT("sms", "smpp_enquire_s", sms_smpp_enquire_s, 1, 3600, "30"),
    INT("sms", "smpp_reconnect_ms", sms_smpp_reconnect_ms, 100, 600000, "30000"),
    INT("sms", "breaker_failures", sms_breaker_failures, 1, 1000, "5"),
    INT("sms", "breaker_cooldown_ms", sms_breaker_cooldown_ms, 100, 3600000, "30000"),
    INT("sms", "receipt_timeout_s", sms_receipt_timeout_s, 1, 604800, "3600"),
    INT("sms", "status_retention_s", sms_status_retention_s, 60, 31536000, "604800"),
    STR("sms", "dlr_listen", sms_dlr_listen, ""),
    STR("sms", "dlr_token", sms_dlr_token, ""),
    STR("sms", "dlr_allow", sms_dlr_allow, "127.0.0.1 ::1"),
    STR("sms", "texts_file", sms_texts_file, ""),
    ENUM("log", "level", log_level, "info", "debug|info|warn|error", NULL),
    ENUM("log", "format", log_format, "text", "text|json", NULL),
    BOOL("service", "allow_test_mode", service_allow_test_mode, "false"),
    BOOL("curve", "enabled", curve_enabled, "false"),
    STR("curve", "cert", curve_cert, ""),
    STR("curve", "clients", curve_clients, ""),
    STR("curve", "servers", curve_servers, ""),
    BOOL("curve", "allow_plain_local", curve_allow_plain_local, "true"),
    BOOL("curve", "allow_plain_remote", curve_allow_plain_remote, "false"),
    BOOL("curve", "require_roles", curve_require_roles, "false"),
};
#define S_NKEYS (sizeof(s_keys) / sizeof(s_keys[0]))

/* Is word one of the '|'-separated values? */
static int s_in_list(const char *list, const char *word) {
    size_t n = strlen(word);
    const char *p = list;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* Stores one value; returns 0 or -1 with what was expected in err. */
static int s_set(cmn_config_t *cfg, const s_key_t *k, const char *value, char *err, size_t errlen) {
    char *field = (char *)cfg + k->offset;
    if (k->type == T_BOOL) {
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
            *(int *)field = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
            *(int *)field = 0;
        else {
            snprintf(err, errlen, "[%s] %s = \"%s\": expected true or false", k->section, k->key,
                     value);
            return -1;
        }
        return 0;
    }
    if (k->type == T_INT) {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0' || v < k->min || v > k->max) {
            snprintf(err, errlen, "[%s] %s = \"%s\": expected an integer from %ld to %ld",
                     k->section, k->key, value, k->min, k->max);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    if (strlen(value) >= k->size) {
        snprintf(err, errlen, "[%s] %s: value longer than %zu bytes", k->section, k->key,
                 k->size - 1);
        return -1;
    }
    if (k->type == T_ENUM) {
        if (!s_in_list(k->values, value)) {
            snprintf(err, errlen, "[%s] %s = \"%s\": expected one of %s", k->section, k->key, value,
                     k->values);
            return -1;
        }
        if (k->unbuilt && s_in_list(k->unbuilt, value)) {
            snprintf(err, errlen,
                     "[%s] %s = \"%s\": not built in this version of dvcid yet (available: file)",
                     k->section, k->key, value);
            return -1;
        }
    }
    memcpy(field, value, strlen(value) + 1);
    return 0;
}

/* Appends a continuation line to a string value. Returns 0 or -1 with why. */
static int s_append(cmn_config_t *cfg, const s_key_t *k, const char *value, char *err,
                    size_t errlen) {
    char *field = (char *)cfg + k->offset;
    if (k->type != T_STR) {
        snprintf(err, errlen, "[%s] %s: only text values continue on indented lines", k->section,
                 k->key);
        return -1;
    }
    size_t have = strlen(field), add = strlen(value);
    if (have + add >= k->size) {
        snprintf(err, errlen, "[%s] %s: value longer than %zu bytes", k->section, k->key,
                 k->size - 1);
        return -1;
    }
    memcpy(field + have, value, add + 1);
    return 0;
}

void cmn_config_defaults(cmn_config_t *cfg) {
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < S_NKEYS; i++) {
        int rc = s_set(cfg, &s_keys[i], s_keys[i].def, err, sizeof(err));
        (void)rc;
    }
}

/* inih gives no line numbers to the handler, so the reader counts them. */
typedef struct {
    const char *name;
    const char *text; /* for in-memory parsing */
    FILE *file;
    int line;
    cmn_config_t *cfg;
    char *err;
    size_t errlen;
    int failed;
    int continued;         /* the line just read is indented: it continues the value above */
    int in_routes;         /* the value being read is a routes list (";" separates groups) */
    cmn_config_t *scratch; /* where a named section's values are checked (lazily) */
    int seen[S_NKEYS];     /* the line each key was set on (0: not yet): a second is refused */
} s_parse_t;

/* routes separates its groups with ";", which INI also takes as the start of a comment
 * when a space or tab comes before it: "routes = +8498=smpp ; *=http" would silently
 * lose "*=http". On a routes line (or its continuation) such a ";", or a comment line
 * indented below it, is refused with file:line instead of guessed at. */
static int s_routes_line(s_parse_t *p, const char *buf, const char *t) {
    if (!p->continued) {
        int indented_comment = t != buf && *t == ';';
        if (p->in_routes && indented_comment) {
            snprintf(p->err, p->errlen,
                     "%s:%d: an indented \";\" line under routes: a comment or a lost route "
                     "group? Write groups as a;b, or start the continuation with the group",
                     p->name, p->line);
            return -1;
        }
        size_t klen = strcspn(t, " \t=:");
        p->in_routes = klen == 6 && strncmp(t, "routes", 6) == 0 && *t != '[';
    }
    if (!p->in_routes)
        return 0;
    /* "routes =   ; comment" is an empty value, said plainly: the scan starts at the
     * value's first character. */
    const char *v = p->continued ? t : strchr(t, '=');
    if (v && !p->continued) {
        v += 1 + strspn(v + 1, " \t");
        if (*v == ';')
            v = NULL;
    }
    for (; v && *v; v++)
        if ((v[0] == ' ' || v[0] == '\t') && v[1] == ';') {
            snprintf(p->err, p->errlen,
                     "%s:%d: routes: a \";\" after a space starts a comment in INI and would "
                     "drop the groups after it; write groups as a;b with no space before \";\"",
                     p->name, p->line);
            return -1;
        }
    return 0;
}

static char *s_reader(char *buf, int size, void *stream) {
    s_parse_t *p = stream;
    char *r = NULL;
    if (p->file) {
        r = fgets(buf, size, p->file);
    } else if (p->text && *p->text) {
        const char *nl = strchr(p->text, '\n');
        size_t len = nl ? (size_t)(nl - p->text + 1) : strlen(p->text);
        if (len >= (size_t)size)
            len = (size_t)size - 1;
        memcpy(buf, p->text, len);
        buf[len] = '\0';
        p->text += len;
        r = buf;
    }
    if (!r)
        return NULL;
    p->line++;
    size_t len = strlen(buf);
    int at_end = p->file ? feof(p->file) : !*p->text;
    if (len && buf[len - 1] != '\n' && !at_end && !p->failed) {
        /* inih's line buffer is fixed: say so instead of misreading the rest. */
        snprintf(p->err, p->errlen,
                 "%s:%d: line longer than %d bytes; split the value over indented "
                 "continuation lines",
                 p->name, p->line, size - 2);
        p->failed = 1;
        return NULL;
    }
    const char *t = buf + strspn(buf, " \t");
    p->continued = t != buf && *t && *t != '\n' && *t != '\r' && *t != ';' && *t != '#';
    if (s_routes_line(p, buf, t) != 0) {
        p->failed = 1;
        return NULL;
    }
    return r;
}

/* The [sms] keys a named provider section may set (besides "kind"). */
static const char *const s_sub_keys[] = {
    "http_url",     "http_method",     "http_body",      "http_content_type", "http_success",
    "http_headers", "http_timeout_ms", "http_inflight",  "http_tps",          "smpp_host",
    "smpp_port",    "smpp_system_id",  "smpp_password",  "smpp_source",       "smpp_window",
    "smpp_tps",     "smpp_timeout_ms", "smpp_enquire_s", "smpp_reconnect_ms",
};

static int s_sub_name_ok(const char *n) {
    size_t len = strlen(n);
    if (len == 0 || len >= CMN_CONFIG_SUBNAME || strcmp(n, "http") == 0 || strcmp(n, "smpp") == 0 ||
        strcmp(n, "file") == 0)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_' || *n == '-'))
            return 0;
    return 1;
}

/* A key of [sms.NAME]: checked like the [sms] key of that name, kept as written. */
static int s_sub_key(s_parse_t *p, const char *name, const char *key, const char *value, char *why,
                     size_t whylen) {
    cmn_config_t *cfg = p->cfg;
    if (!s_sub_name_ok(name)) {
        snprintf(why, whylen,
                 "[sms.%s]: a provider name is 1..%d of a-z 0-9 _ - and not http, smpp or file",
                 name, CMN_CONFIG_SUBNAME - 1);
        return -1;
    }
    cmn_config_subkey_t *last = cfg->sms_nsub ? &cfg->sms_sub[cfg->sms_nsub - 1] : NULL;
    if (p->continued && last && strcmp(last->section, name) == 0 && strcmp(last->key, key) == 0) {
        size_t have = strlen(last->value), add = strlen(value);
        if (have + add >= sizeof(last->value)) {
            snprintf(why, whylen, "[sms.%s] %s: value longer than %zu bytes", name, key,
                     sizeof(last->value) - 1);
            return -1;
        }
        memcpy(last->value + have, value, add + 1);
        return 0;
    }
    if (strcmp(key, "kind") == 0) {
        if (strcmp(value, "http") != 0 && strcmp(value, "smpp") != 0) {
            snprintf(why, whylen, "[sms.%s] kind = \"%s\": expected one of http|smpp", name, value);
            return -1;
        }
    } else {
        const s_key_t *k = NULL;
        for (size_t i = 0; i < sizeof(s_sub_keys) / sizeof(s_sub_keys[0]) && !k; i++)
            if (strcmp(s_sub_keys[i], key) == 0)
                for (size_t j = 0; j < S_NKEYS && !k; j++)
                    if (strcmp(s_keys[j].section, "sms") == 0 && strcmp(s_keys[j].key, key) == 0)
                        k = &s_keys[j];
        if (!k) {
            snprintf(why, whylen, "unknown key \"%s\" in section [sms.%s] (kind, http_*, smpp_*)",
                     key, name);
            return -1;
        }
        if (!p->scratch && !(p->scratch = calloc(1, sizeof(*p->scratch)))) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        if (s_set(p->scratch, k, value, why, whylen) != 0)
            return -1;
    }
    for (int i = 0; i < cfg->sms_nsub; i++) {
        if (strcmp(cfg->sms_sub[i].section, name) == 0 && strcmp(cfg->sms_sub[i].key, key) == 0) {
            snprintf(why, whylen, "[sms.%s] %s given twice", name, key);
            return -1;
        }
    }
    if (cfg->sms_nsub == CMN_CONFIG_SUBKEYS || strlen(key) >= sizeof(last->key) ||
        strlen(value) >= sizeof(last->value)) {
        snprintf(why, whylen, "[sms.%s] %s: too many keys in [sms.*] sections or too long", name,
                 key);
        return -1;
    }
    cmn_config_subkey_t *sk = &cfg->sms_sub[cfg->sms_nsub++];
    snprintf(sk->section, sizeof(sk->section), "%s", name);
    snprintf(sk->key, sizeof(sk->key), "%s", key);
    snprintf(sk->value, sizeof(sk->value), "%s", value);
    return 0;
}

/* Every [sms.NAME] section says its kind. Returns 0 or -1 with err. */
static int s_sub_check(s_parse_t *p) {
    const cmn_config_t *cfg = p->cfg;
    for (int i = 0; i < cfg->sms_nsub; i++) {
        int kind = 0;
        for (int j = 0; j < cfg->sms_nsub; j++)
            kind |= strcmp(cfg->sms_sub[j].section, cfg->sms_sub[i].section) == 0 &&
                    strcmp(cfg->sms_sub[j].key, "kind") == 0;
        if (!kind) {
            snprintf(p->err, p->errlen, "%s: section [sms.%s] needs kind = http or smpp", p->name,
                     cfg->sms_sub[i].section);
            return -1;
        }
    }
    return 0;
}

static int s_handler(void *user, const char *section, const char *name, const char *value) {
    s_parse_t *p = user;
    if (p->failed)
        return 0;
    if (strncmp(section, "sms.", 4) == 0) {
        char why[400];
        if (s_sub_key(p, section + 4, name, value, why, sizeof(why)) == 0)
            return 1;
        snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, why);
        p->failed = 1;
        return 0;
    }
    for (size_t i = 0; i < S_NKEYS; i++) {
        if (strcmp(s_keys[i].section, section) == 0 && strcmp(s_keys[i].key, name) == 0) {
            char why[400];
            if (p->continued) {
                /* An indented line continues a long string value (URLs, routes). */
                if (s_append(p->cfg, &s_keys[i], value, why, sizeof(why)) == 0)
                    return 1;
            } else if (p->seen[i]) {
                /* inih would let the last line win in silence: say which two lines. */
                snprintf(why, sizeof(why), "[%s] %s given twice (first at line %d): keep one",
                         section, name, p->seen[i]);
            } else if (s_set(p->cfg, &s_keys[i], value, why, sizeof(why)) == 0) {
                p->seen[i] = p->line;
                return 1;
            }
            snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, why);
            p->failed = 1;
            return 0;
        }
    }
    snprintf(p->err, p->errlen, "%s:%d: unknown key \"%s\" in section [%s]", p->name, p->line, name,
             section);
    p->failed = 1;
    return 0;
}

static int s_parse(s_parse_t *p) {
    int rc = ini_parse_stream(s_reader, p, s_handler, p);
    free(p->scratch);
    p->scratch = NULL;
    if (p->failed)
        return -1;
    if (rc != 0) {
        snprintf(p->err, p->errlen, "%s:%d: not valid INI (expected [section] or key = value)",
                 p->name, rc > 0 ? rc : p->line);
        return -1;
    }
    return s_sub_check(p);
}

int cmn_config_load_string(cmn_config_t *cfg, const char *name, const char *text, char *err,
                           size_t errlen) {
    s_parse_t p = {.name = name, .text = text, .cfg = cfg, .err = err, .errlen = errlen};
    return s_parse(&p);
}

/* DVCID_<SECTION>_<KEY> over what the file said: for containers and for secrets a
 * unit passes in its environment. Returns 0 or -1 with err. */
static int s_env(cmn_config_t *cfg, char *err, size_t errlen) {
    for (size_t i = 0; i < S_NKEYS; i++) {
        char name[96];
        int n = snprintf(name, sizeof(name), "DVCID_%s_%s", s_keys[i].section, s_keys[i].key);
        for (int j = 0; j < n && j < (int)sizeof(name); j++)
            name[j] = (char)toupper((unsigned char)name[j]);
        const char *v = getenv(name);
        if (!v)
            continue;
        char why[400];
        if (s_set(cfg, &s_keys[i], v, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "environment %s: %s", name, why);
            return -1;
        }
    }
    return 0;
}

/* Reads the secret named by a *_file key into field (size bytes). Returns 0 or -1. */
static int s_secret_file(const char *key, const char *file, char *field, size_t size, char *err,
                         size_t errlen) {
    char path[CMN_CONFIG_STR + 256];
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    if (file[0] != '/' && creds && *creds)
        snprintf(path, sizeof(path), "%s/%s", creds, file);
    else
        snprintf(path, sizeof(path), "%s", file);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "[sms] %s = \"%s\": cannot open %s: %s", key, file, path,
                 strerror(errno));
        return -1;
    }
    size_t n = fread(field, 1, size, f);
    int bad = ferror(f) || n == size;
    fclose(f);
    if (bad) {
        field[0] = '\0';
        snprintf(err, errlen, "[sms] %s: %s unreadable or longer than %zu bytes", key, path,
                 size - 1);
        return -1;
    }
    if (n && field[n - 1] == '\n')
        n--;
    if (n && field[n - 1] == '\r')
        n--;
    field[n] = '\0';
    return 0;
}

static int s_secrets(cmn_config_t *cfg, char *err, size_t errlen) {
    const struct {
        const char *key, *file;
        char *field;
        size_t size;
    } s[] = {
        {"smpp_password_file", cfg->sms_smpp_password_file, cfg->sms_smpp_password,
         sizeof(cfg->sms_smpp_password)},
        {"http_url_file", cfg->sms_http_url_file, cfg->sms_http_url, sizeof(cfg->sms_http_url)},
        {"http_headers_file", cfg->sms_http_headers_file, cfg->sms_http_headers,
         sizeof(cfg->sms_http_headers)},
    };
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        if (s[i].file[0] &&
            s_secret_file(s[i].key, s[i].file, s[i].field, s[i].size, err, errlen) != 0)
            return -1;
    return 0;
}

int cmn_config_load(cmn_config_t *cfg, const char *path, char *err, size_t errlen) {
    cmn_config_defaults(cfg);
    if (path) {
        FILE *f = fopen(path, "r");
        if (!f) {
            snprintf(err, errlen, "%s: cannot open configuration file: %s", path, strerror(errno));
            return -1;
        }
        s_parse_t p = {.name = path, .file = f, .cfg = cfg, .err = err, .errlen = errlen};
        int rc = s_parse(&p);
        fclose(f);
        if (rc != 0)
            return rc;
    }
    return s_env(cfg, err, errlen) == 0 && s_secrets(cfg, err, errlen) == 0 ? 0 : -1;
}

/* The keys a running process keeps (cmn_config_keep_fixed): a name ending in '.' or '_'
 * is a prefix (a whole section, a family of keys); in [sms] only what the worker
 * re-applies on its own thread is live. The issuer too: the gateway's HTTP threads
 * publish it (OIDC discovery), and tokens already out carry the old one. */
static const char *const s_fixed[] = {
    "gateway.",
    "curve.",
    "log.",
    "storage.dir",
    "storage.map_size_mib",
    "account.endpoint",
    "account.argon2_ops",
    "account.argon2_mem_mib",
    "account.hash_workers",
    "account.hash_queue",
    "otp.endpoint",
    "otp.length",
    "token.issuer",
    "sms.",
};
static const char *const s_live_sms[] = {
    "routes",           "texts_file",          "http_tps",          "smpp_tps",
    "breaker_failures", "breaker_cooldown_ms", "receipt_timeout_s", "status_retention_s"};

static int s_is_fixed(const s_key_t *k) {
    if (strcmp(k->section, "sms") == 0)
        for (size_t i = 0; i < sizeof(s_live_sms) / sizeof(s_live_sms[0]); i++)
            if (strcmp(k->key, s_live_sms[i]) == 0)
                return 0;
    char name[80];
    snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
    for (size_t i = 0; i < sizeof(s_fixed) / sizeof(s_fixed[0]); i++) {
        size_t n = strlen(s_fixed[i]);
        if (s_fixed[i][n - 1] == '.' || s_fixed[i][n - 1] == '_' ? strncmp(name, s_fixed[i], n) == 0
                                                                 : strcmp(name, s_fixed[i]) == 0)
            return 1;
    }
    return 0;
}

static void s_name_add(char *names, size_t len, size_t *pos, const char *name) {
    if (*pos < len)
        *pos += (size_t)snprintf(names + *pos, len - *pos, "%s%s", *pos ? ", " : "", name);
}

int cmn_config_keep_fixed(const cmn_config_t *cur, cmn_config_t *next, char *names, size_t len) {
    size_t pos = 0;
    int kept = 0;
    if (len)
        names[0] = '\0';
    for (size_t i = 0; i < S_NKEYS; i++) {
        const s_key_t *k = &s_keys[i];
        const char *a = (const char *)cur + k->offset;
        char *b = (char *)next + k->offset;
        size_t size = k->type == T_INT || k->type == T_BOOL ? sizeof(int) : k->size;
        int same =
            k->type == T_INT || k->type == T_BOOL ? memcmp(a, b, size) == 0 : strcmp(a, b) == 0;
        if (same || !s_is_fixed(k))
            continue;
        memcpy(b, a, size);
        char name[80];
        snprintf(name, sizeof(name), "[%s] %s", k->section, k->key);
        s_name_add(names, len, &pos, name);
        kept++;
    }
    /* [sms.NAME] providers are threads with their own copies: kept whole. */
    int subs_same = cur->sms_nsub == next->sms_nsub;
    for (int i = 0; subs_same && i < cur->sms_nsub; i++)
        subs_same = strcmp(cur->sms_sub[i].section, next->sms_sub[i].section) == 0 &&
                    strcmp(cur->sms_sub[i].key, next->sms_sub[i].key) == 0 &&
                    strcmp(cur->sms_sub[i].value, next->sms_sub[i].value) == 0;
    if (!subs_same) {
        memcpy(next->sms_sub, cur->sms_sub, sizeof(next->sms_sub));
        next->sms_nsub = cur->sms_nsub;
        s_name_add(names, len, &pos, "[sms.NAME] sections");
        kept++;
    }
    next->proc_shard = cur->proc_shard;
    next->proc_instance = cur->proc_instance;
    next->proc_path = cur->proc_path;
    return kept;
}

const char *const cmn_config_test_names[CMN_CONFIG_TEST_SETTINGS] = {
    "sms_file_provider", "test_phone_prefix", "test_code", "captcha_test_answer"};

int cmn_config_test_mode(const cmn_config_t *cfg, const char **what, int max) {
    const int on[CMN_CONFIG_TEST_SETTINGS] = {
        strcmp(cfg->sms_provider, "file") == 0, cfg->otp_test_phone_prefix[0] != '\0',
        cfg->otp_test_code[0] != '\0', cfg->captcha_test_answer[0] != '\0'};
    int n = 0;
    for (int i = 0; i < CMN_CONFIG_TEST_SETTINGS; i++)
        if (on[i] && n < max)
            what[n++] = cmn_config_test_names[i];
    return n;
}
