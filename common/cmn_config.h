/* cmn_config: the INI configuration every dvcid process reads (api.md section 2).
 * One declarative table (cmn_config.c) names each key with its type, bounds and
 * default; an unknown key, a bad value or a missing file stops start-up with
 * file:line and what was expected. The struct is plain data, owned by the caller. */
#ifndef CMN_CONFIG_H
#define CMN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CMN_CONFIG_STR 256
#define CMN_CONFIG_LIST 2048 /* endpoint lists */

/* One key of a named section [sms.NAME] (a further SMS provider): kept as written
 * once checked, for sms-worker to apply. "kind" (http|smpp) or one of the http_*
 * and smpp_* keys of [sms], checked as that key is. */
#define CMN_CONFIG_SUBKEYS 64
#define CMN_CONFIG_SUBNAME 16 /* NAME: 1..15 of a-z 0-9 _ - */
typedef struct {
    char section[CMN_CONFIG_SUBNAME];
    char key[32];
    char value[1024];
} cmn_config_subkey_t;

typedef struct {
    /* [gateway] */
    char gateway_listen[CMN_CONFIG_STR];
    char gateway_trusted_proxies[CMN_CONFIG_STR];
    int gateway_timeout_ms;
    int gateway_threads;
    int gateway_cookie_secure;
    char gateway_allowed_origins[CMN_CONFIG_STR]; /* origins besides ours that may POST */
    /* host:port of the listener for /metrics and /readyz with details ("": none) */
    char gateway_management_listen[CMN_CONFIG_STR];
    int gateway_public_metrics; /* the public listener serves /metrics and details too */
    char gateway_public_url[CMN_CONFIG_STR]; /* base URL of the OIDC discovery's URLs */
    /* [storage] */
    char storage_dir[CMN_CONFIG_STR];
    int storage_map_size_mib; /* the map at start (address space: the file is sparse) */
    int storage_max_map_mib;  /* how far the map may grow */
    int storage_min_free_mib; /* free disk space below which writes are refused */
    /* [account] */
    char account_endpoint[CMN_CONFIG_LIST]; /* cmn_endpoints syntax: instances, | shards */
    int account_registration_ttl;
    int account_argon2_ops;
    int account_argon2_mem_mib;
    int account_hash_workers;
    int account_hash_queue;
    int account_flow_ttl;
    int account_max_registration_starts_per_ip_hour; /* per client address: enumeration */
    int account_reauth_seconds; /* a session this old needs the password again to add a phone */
    int account_phone_change_cooling_off;  /* seconds a lost-phone change waits (0: at once) */
    int account_max_otp_failures_per_hour; /* wrong codes per account across phones and flows */
    int account_otp_failures_window;       /* their window in seconds (3600; tests shorten it) */
    /* [otp] */
    char otp_endpoint[CMN_CONFIG_LIST];
    int otp_length;
    int otp_ttl;
    int otp_resend_after;
    int otp_max_attempts;
    int otp_max_sends_per_flow;
    int otp_max_failures_per_flow;
    int otp_max_failures_per_phone_hour;
    int otp_max_sends_per_phone_hour;
    int otp_max_sends_per_ip_hour;
    int otp_max_sends_per_prefix_hour;
    char otp_test_phone_prefix[CMN_CONFIG_STR];
    char otp_test_code[CMN_CONFIG_STR];
    /* SMS-pumping defence and budgets (otp-svc/otp_pump.h, otp_budget.h) */
    int otp_pump_window;            /* seconds of the sliding conversion window */
    int otp_pump_min_sends;         /* SMS to a prefix in the window before it is judged */
    int otp_pump_floor_percent;     /* verified / sent below this blocks the prefix */
    int otp_pump_block_seconds;     /* the first block; each repeat doubles it */
    int otp_pump_block_max_seconds; /* the longest block, and how long a block is remembered */
    char otp_pump_safe_list[1024];  /* prefixes or numbers never blocked */
    char otp_operators[2048];       /* "+8432=viettel, ..." ("": the built-in table) */
    char otp_allowed_countries[CMN_CONFIG_STR]; /* country codes besides +84 */
    int otp_daily_budget;                       /* SMS per day (Vietnam time) in all, 0: none */
    int otp_daily_budget_per_prefix;            /* SMS per day to one prefix, 0: none */
    /* [login] */
    int login_max_failures;
    int login_lock_seconds;
    int login_slow_after;               /* failures on an ID, all sources, before the slow-down */
    int login_slow_max_seconds;         /* the longest wait between tries of the slow-down */
    int login_max_consecutive;          /* then the ID locks until unlocked (NIST: <= 100) */
    int login_max_failures_per_ip_hour; /* wrong passwords per source across IDs (spraying) */
    int login_decay_seconds;            /* a quiet period that halves the consecutive count */
    int login_retention_seconds;        /* an unused failure record is deleted after this */
    /* [token] */
    char token_issuer[CMN_CONFIG_STR];
    char token_audience[CMN_CONFIG_STR];
    int token_access_ttl;
    int token_session_ttl;
    /* [captcha] */
    char captcha_test_answer[CMN_CONFIG_STR];
    int captcha_ttl;
    int captcha_max_per_ip_hour; /* captchas made per client address (IPv6 /64) */
    /* [sms] */
    char sms_endpoint[CMN_CONFIG_LIST];
    char sms_provider[CMN_CONFIG_STR];
    char sms_file[CMN_CONFIG_STR];
    char sms_http_url[1024];
    char sms_http_method[CMN_CONFIG_STR];
    char sms_http_body[1024];
    char sms_http_content_type[CMN_CONFIG_STR];
    char sms_smpp_host[CMN_CONFIG_STR];
    int sms_smpp_port;
    char sms_smpp_system_id[CMN_CONFIG_STR];
    char sms_smpp_password[CMN_CONFIG_STR];
    char sms_smpp_source[CMN_CONFIG_STR];
    /* Secrets kept out of this file: each names a file whose content (one trailing
     * newline dropped) replaces the key it is named after; a relative name is looked
     * up in $CREDENTIALS_DIRECTORY (systemd LoadCredential=). */
    char sms_smpp_password_file[CMN_CONFIG_STR];
    char sms_http_url_file[CMN_CONFIG_STR];
    char sms_http_headers_file[CMN_CONFIG_STR];
    /* [sms] delivery keys beyond api.md (sms-worker/sms_settings.h reads them) */
#define CMN_CONFIG_SMS_DELIVERY 1
    char sms_routes[1024];
    char sms_http_success[CMN_CONFIG_STR];
    char sms_http_headers[1024];
    int sms_http_timeout_ms;
    int sms_http_inflight;
    int sms_http_tps;
    int sms_smpp_window;
    int sms_smpp_tps;
    int sms_smpp_timeout_ms;
    int sms_smpp_enquire_s;
    int sms_smpp_reconnect_ms;
    int sms_breaker_failures;
    int sms_breaker_cooldown_ms;
    int sms_receipt_timeout_s;
    int sms_status_retention_s;
    char sms_dlr_listen[CMN_CONFIG_STR];
    char sms_dlr_token[CMN_CONFIG_STR]; /* "" = derived from the queue key */
    char sms_dlr_allow[CMN_CONFIG_STR]; /* CIDRs that may post receipts */
    char sms_texts_file[CMN_CONFIG_STR];
    /* [sms.NAME] sections: further SMS providers by name (sms-worker/sms_settings.h) */
#define CMN_CONFIG_SMS_NAMED 1
    int sms_nsub;
    cmn_config_subkey_t sms_sub[CMN_CONFIG_SUBKEYS];
    /* [log] */
    char log_level[CMN_CONFIG_STR];
    char log_format[CMN_CONFIG_STR]; /* text or json (cmn_log_format) */
    /* [service] */
    int service_allow_test_mode; /* start under systemd with test settings (staging) */
    /* [curve] (cmn_curve.h) */
    int curve_enabled;
    char curve_cert[CMN_CONFIG_STR];
    char curve_clients[CMN_CONFIG_STR];
    char curve_servers[CMN_CONFIG_STR];
    int curve_allow_plain_local;
    int curve_allow_plain_remote;
    int curve_require_roles;
    /* From the command line (cmn_main), not the file: which endpoint of its own
     * service's list this process binds, [shard][instance], both 0-based. */
    int proc_shard;
    int proc_instance;
    /* The file it was loaded from (argv's, NULL: the defaults): what SIGHUP rereads. */
    const char *proc_path;
} cmn_config_t;

/* Fills cfg with every default. */
void cmn_config_defaults(cmn_config_t *cfg);

/* Loads path over the defaults, then DVCID_<SECTION>_<KEY> environment variables
 * (e.g. DVCID_SMS_SMPP_PASSWORD, checked as the key is), then the *_file keys.
 * Returns 0, or -1 with a one-line "file:line: ..." reason in err. path NULL means
 * defaults (and the environment) only. */
int cmn_config_load(cmn_config_t *cfg, const char *path, char *err, size_t errlen);

/* The test settings in force, for warnings, dvcid_test_mode and the refusal to start
 * under systemd: names ("sms_file_provider", "test_phone_prefix", "test_code",
 * "captcha_test_answer") into what (up to max). Returns how many are on. The list of
 * every name: CMN_CONFIG_TEST_SETTINGS. */
#define CMN_CONFIG_TEST_SETTINGS 4
int cmn_config_test_mode(const cmn_config_t *cfg, const char **what, int max);
extern const char *const cmn_config_test_names[CMN_CONFIG_TEST_SETTINGS];

/* Live reload (SIGHUP, cmn_service_reload.c): some keys cannot change in a running
 * process: where it listens and connects, its threads, its storage's place and map size,
 * argon2 and the OTP length (codes in flight), CURVE, logging, and the SMS providers'
 * connections (their threads hold copies; routes, texts, caps and breakers do reload).
 * Copies cur's value of every such key that next changes into next (so next keeps them,
 * with the command-line proc_* fields), and names them in names ("[gateway] listen,
 * [sms.b] sections"; "" when none). Returns how many it kept. */
int cmn_config_keep_fixed(const cmn_config_t *cur, cmn_config_t *next, char *names, size_t len);

/* Loads INI text over cfg as if read from a file called name (tests, fuzzer). */
int cmn_config_load_string(cmn_config_t *cfg, const char *name, const char *text, char *err,
                           size_t errlen);

#endif
