/* dvcctl: status, accounts, locks, dead letters and signing keys for the ops team. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "dvcctl.h"

static const struct {
    const char *name;
    dvcctl_cmd_fn *fn;
    const char *args;
    const char *help;
} s_cmds[] = {
    {"status", dvcctl_status, "", "each service: answering or not, queue depths"},
    {"account", dvcctl_account, "ID_NUMBER", "look up an account (masked output)"},
    {"unlock", dvcctl_unlock, "ID_NUMBER", "lift a sign-in lock after wrong passwords"},
    {"dead-letters", dvcctl_dead_list, "[LIMIT]", "list SMS that failed their last retry"},
    {"retry-dead", dvcctl_dead_retry, "[MESSAGE_ID]", "queue dead letters again (all by default)"},
    {"sms-status", dvcctl_sms_status, "MESSAGE_ID",
     "one SMS: state, provider, receipt, verified (or --flow FLOW_ID: each SMS of a flow)"},
    {"sms", dvcctl_sms, "pause|resume|status",
     "the SMS kill switch; budgets and prefixes blocked by the pumping defence"},
    {"rotate-key", dvcctl_rotate_key, "[SHARD]",
     "add an Ed25519 signing key (signs once account-svc reloads or restarts)"},
    {"keygen", dvcctl_keygen, "NAME DIR [ROLES]",
     "write a CURVE key pair: DIR/NAME.cert (public), DIR/NAME.cert_secret"},
    {"shards", dvcctl_shards, "[COUNT]",
     "records per account shard; fails if any is on the wrong shard"},
    {"shard-prune", dvcctl_shard_prune, "",
     "delete what each shard no longer owns (after a split)"},
    {"import", dvcctl_import, "COUNT [...]",
     "write COUNT made-up accounts into account-svc's stores (benchmarks; import --help)"},
};
#define S_NCMDS (sizeof(s_cmds) / sizeof(s_cmds[0]))
/* Where cmake --install puts the configuration for the prefixes /usr and /usr/local. */
#define S_DEFAULT_CONFIG "/etc/dvcid/dvcid.conf"

static void s_usage(FILE *out) {
    fprintf(out, "usage: dvcctl [--config FILE] COMMAND [ARGS]\n\n"
                 "  --config FILE  default: $DVCID_CONFIG, else " S_DEFAULT_CONFIG
                 " when it exists,\n                 else the built-in defaults\n\ncommands:\n");
    for (size_t i = 0; i < S_NCMDS; i++)
        fprintf(out, "  %-13s %-14s %s\n", s_cmds[i].name, s_cmds[i].args, s_cmds[i].help);
    fprintf(out, "\nexit status: 0 done, 1 failed, 2 bad usage, 3 a service did not answer\n");
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(stdout);
            return DVCCTL_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("dvcctl (dvcid) %s\n", DVCID_VERSION);
            return DVCCTL_OK;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
            continue;
        }
        fprintf(stderr, "dvcctl: unknown option \"%s\" (try --help)\n", argv[i]);
        return DVCCTL_USAGE;
    }
    if (i == argc) {
        s_usage(stderr);
        return DVCCTL_USAGE;
    }
    /* No --config: $DVCID_CONFIG, else the installed config when there is one, so that
     * `dvcctl status` on a host means that host's services, not the built-in defaults. */
    const char *env = getenv("DVCID_CONFIG");
    if (!path && env && *env)
        path = env;
    else if (!path && access(S_DEFAULT_CONFIG, F_OK) == 0)
        path = S_DEFAULT_CONFIG;
    cmn_config_t cfg;
    char err[512];
    if (cmn_config_load(&cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvcctl: configuration error: %s\n", err);
        return DVCCTL_USAGE;
    }
    /* Logs of the common code go to stderr, quietly. */
    if (cmn_log_init("dvcctl", "warn") != 0 || cmn_crypto_init() != 0)
        return DVCCTL_FAILED;
    for (size_t c = 0; c < S_NCMDS; c++)
        if (strcmp(argv[i], s_cmds[c].name) == 0)
            return s_cmds[c].fn(&cfg, argc - i - 1, argv + i + 1);
    fprintf(stderr, "dvcctl: unknown command \"%s\"\n\n", argv[i]);
    s_usage(stderr);
    return DVCCTL_USAGE;
}
