/* cmn_main: the start of every dvcid process. */
#include "cmn_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmn_crypto.h"
#include "cmn_endpoints.h"
#include "cmn_log.h"

/* A shard or instance number: 0..63, digits only. */
static int s_number(const char *text, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > 63 || text[0] < '0' || text[0] > '9')
        return -1;
    *out = v;
    return 0;
}

/* The value of --instance: "I", or "S-I" (shard S, instance I), the form a systemd
 * template's instance name has (dvcid-account-svc@1-0). Sets *shard only for "S-I". */
static int s_instance(const char *text, long *shard, long *instance, int *shard_set) {
    const char *dash = strchr(text, '-');
    if (!dash)
        return s_number(text, instance);
    char head[8];
    size_t n = (size_t)(dash - text);
    if (n == 0 || n >= sizeof(head))
        return -1;
    memcpy(head, text, n);
    head[n] = '\0';
    if (s_number(head, shard) != 0 || s_number(dash + 1, instance) != 0)
        return -1;
    *shard_set += 1;
    return 0;
}

/* Test settings are said at every start, and refused under systemd (every dvcid unit is
 * Type=notify, so NOTIFY_SOCKET is set) unless [service] allow_test_mode says it is
 * meant: a production host cannot run on them by accident. INVOCATION_ID is not the
 * sign: every process below any unit has it, a CI runner's test stacks included. */
int cmn_main_test_mode(const cmn_config_t *cfg, const char *path, const char *act) {
    const char *what[CMN_CONFIG_TEST_SETTINGS];
    int n = cmn_config_test_mode(cfg, what, CMN_CONFIG_TEST_SETTINGS);
    for (int i = 0; i < n; i++)
        CMN_WARN(NULL,
                 "test mode: %s is on (sms.provider = file, otp.test_phone_prefix, "
                 "otp.test_code or captcha.test_answer): not for production",
                 what[i]);
    const char *ns = getenv("NOTIFY_SOCKET");
    if (n && ns && *ns && !cfg->service_allow_test_mode) {
        CMN_ERROR(NULL,
                  "refusing to %s under systemd in test mode (%s%s) with %s: "
                  "sms.provider = file writes every code to a file and no phone gets one, "
                  "the test keys give known codes. Set [sms] provider = http or smpp with its "
                  "keys (commented examples in the shipped dvcid.conf), empty "
                  "otp.test_phone_prefix, otp.test_code and captcha.test_answer, or set "
                  "[service] allow_test_mode = true on a staging host",
                  act, what[0], n > 1 ? " and more" : "", path ? path : "the built-in defaults");
        return -1;
    }
    return 0;
}

/* The endpoint lists every service reads (each parses them all: its own to bind, the
 * others to connect). Returns 0 or -1 with why in err. */
static int s_check_endpoints(const cmn_config_t *cfg, char *err, size_t errlen) {
    const struct {
        const char *key, *list;
    } lists[] = {{"[account] endpoint", cfg->account_endpoint},
                 {"[otp] endpoint", cfg->otp_endpoint},
                 {"[sms] endpoint", cfg->sms_endpoint}};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        cmn_endpoints_t *eps = cmn_endpoints_new(lists[i].key, lists[i].list, err, errlen);
        if (!eps)
            return -1;
        cmn_endpoints_destroy(&eps);
    }
    return 0;
}

/* --check-config FILE: the file read as at a start, then what this service checks of
 * it (check), without binding, opening storage or starting anything. */
static int s_check_config(const char *name, const char *path, cmn_main_check_fn *check,
                          cmn_config_t *cfg) {
    char err[512];
    int bad = cmn_config_load(cfg, path, err, sizeof(err)) != 0;
    /* The service's checks may log (to stderr, as the errors go). */
    if (!bad && cmn_log_init(name, cfg->log_level) != 0) {
        snprintf(err, sizeof(err), "%s: [log] level: not a level", path);
        bad = 1;
    } else if (!bad) {
        bad = s_check_endpoints(cfg, err, sizeof(err)) != 0 ||
              (check && check(cfg, err, sizeof(err)) != 0);
    }
    if (bad) {
        /* Errors of the file carry "path:line:"; the service's own name their key. */
        int named = strncmp(err, path, strlen(path)) == 0;
        fprintf(stderr, "%s: %s%s%s\n", name, named ? "" : path, named ? "" : ": ", err);
        return -1;
    }
    const char *what[CMN_CONFIG_TEST_SETTINGS];
    int n = cmn_config_test_mode(cfg, what, CMN_CONFIG_TEST_SETTINGS);
    for (int i = 0; i < n; i++)
        printf("%s: %s: test setting %s is on: not for production\n", name, path, what[i]);
    printf("%s: %s: configuration valid\n", name, path);
    return 1;
}

int cmn_main_start(int argc, char **argv, const char *name, const char *summary,
                   cmn_main_check_fn *check, cmn_config_t *cfg) {
    const char *path = NULL;
    long shard = 0, instance = 0;
    int shard_set = 0; /* --shard and an "S-I" instance each count: at most one */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s [--config FILE] [--shard S] [--instance I] [--help] [--version]"
                   "\n       %s --check-config FILE\n\n%s\n\n"
                   "  --config FILE  INI configuration (default: built-in defaults)\n"
                   "  --check-config FILE  check FILE as this service reads it (file:line of\n"
                   "                 the first error), start nothing; exit 0 valid, 1 not\n"
                   "  --shard S      bind the endpoint of shard S of this service's list\n"
                   "  --instance I   ... and its instance I (both 0-based, default 0);\n"
                   "                 S-I is --shard S --instance I (systemd's %%i)\n"
                   "  --help         this text\n  --version      print the version\n",
                   name, name, summary);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s (dvcid) %s\n", name, DVCID_VERSION);
            return 1;
        }
        if (strcmp(argv[i], "--check-config") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "%s: --check-config needs a FILE\n", name);
                return -1;
            }
            return s_check_config(name, argv[i + 1], check, cfg);
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
        } else if (strcmp(argv[i], "--shard") == 0) {
            if (i + 1 == argc || s_number(argv[i + 1], &shard) != 0) {
                fprintf(stderr, "%s: --shard needs a number from 0 to 63\n", name);
                return -1;
            }
            shard_set++;
            i++;
        } else if (strcmp(argv[i], "--instance") == 0) {
            if (i + 1 == argc || s_instance(argv[i + 1], &shard, &instance, &shard_set) != 0) {
                fprintf(stderr, "%s: --instance needs I or S-I, numbers from 0 to 63\n", name);
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "%s: unknown argument \"%s\" (try --help)\n", name, argv[i]);
            return -1;
        }
    }
    if (shard_set > 1) {
        fprintf(stderr, "%s: the shard is given twice (--shard, or --instance S-I)\n", name);
        return -1;
    }
    char err[512];
    if (cmn_config_load(cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: configuration error: %s\n", name, err);
        return -1;
    }
    cfg->proc_shard = (int)shard;
    cfg->proc_instance = (int)instance;
    cfg->proc_path = path;
    if (cmn_log_init(name, cfg->log_level) != 0 || cmn_log_format(cfg->log_format) != 0 ||
        cmn_crypto_init() != 0)
        return -1;
    if (mkdir(cfg->storage_dir, 0700) != 0 && errno != EEXIST) {
        CMN_ERROR(NULL, "cannot create storage.dir %s: %s", cfg->storage_dir, strerror(errno));
        return -1;
    }
    CMN_INFO(NULL, "%s %s starting (config %s, shard %d, instance %d)", name, DVCID_VERSION,
             path ? path : "defaults", cfg->proc_shard, cfg->proc_instance);
    return cmn_main_test_mode(cfg, path, "start");
}

int cmn_main_data_dir(const cmn_config_t *cfg, const char *sub, char *out, size_t outlen) {
    if ((size_t)snprintf(out, outlen, "%s/%s", cfg->storage_dir, sub) >= outlen)
        return -1;
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        CMN_ERROR(NULL, "cannot create %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}
