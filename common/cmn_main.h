/* cmn_main: what every process's main() does first: --config FILE, --shard S,
 * --instance I, --help, --version, --check-config FILE, config load, logging and libsodium set-up.
 * --shard/--instance (0-based, default 0) land in cfg->proc_shard/proc_instance:
 * the process binds the endpoint [S][I] of its own service's endpoint list
 * (cmn_endpoints.h). The systemd templates pass --instance %i: dvcid-otp-svc@1 is
 * instance 1, and dvcid-account-svc@1-0 ("S-I") instance 0 of shard 1. */
#ifndef CMN_MAIN_H
#define CMN_MAIN_H

#include "cmn_config.h"

/* What a service checks of a configuration beyond the keys' own bounds (addresses,
 * templates, routes): --check-config runs it, after the endpoint lists every service
 * parses. Returns 0, or -1 with a "file:line: ..." or "[section] key: ..." in err. */
typedef int(cmn_main_check_fn)(const cmn_config_t *cfg, char *err, size_t errlen);

/* Parses argv and loads the configuration into cfg. Returns 0 to go on, 1 when
 * the process should exit 0 (--help/--version printed, --check-config FILE valid), -1
 * on an error (printed). check (NULL: none) is the service's part of --check-config. */
int cmn_main_start(int argc, char **argv, const char *name, const char *summary,
                   cmn_main_check_fn *check, cmn_config_t *cfg);

/* Says each test setting of cfg (warnings), and refuses them under systemd (NOTIFY_SOCKET
 * set) unless [service] allow_test_mode: returns -1 after logging why, act naming what
 * is refused ("start", "reload"); 0 otherwise. path: the file, for the message. */
int cmn_main_test_mode(const cmn_config_t *cfg, const char *path, const char *act);

/* Builds "<storage.dir>/<sub>" into out and creates it (0700). Returns 0 or -1. */
int cmn_main_data_dir(const cmn_config_t *cfg, const char *sub, char *out, size_t outlen);

#endif
