/* dvcid-load: the load generator shipped with dvcid. Drives whole flows (registration,
 * sign-in, resend, wrong codes) or one URL over HTTP/1.1 keep-alive at a fixed arrival rate
 * or with N connections, drives sms-worker alone (`sms`), and measures the machine's own
 * ceilings (argon2 verifies, durable commits, a plain SMPP client). This file only
 * dispatches; see lg_run.c, lg_sms.c and lg_ceiling_*.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg_ceiling.h"
#include "lg_opts.h"
#include "lg_run.h"
#include "lg_sms.h"

#ifndef DVCID_VERSION
#define DVCID_VERSION "dev"
#endif

/* "--help" anywhere after a mode: the whole text (every mode's options are in it). */
static bool s_mode_help(int argc, char **argv) {
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int main(int argc, char **argv) {
    static const char *const modes[] = {"argon2", "commits", "smpp-ceiling", "sms"};
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(argv[1], modes[i]) == 0 && s_mode_help(argc, argv)) {
            lg_opts_usage(stdout);
            return 0;
        }
    if (argc > 1 && strcmp(argv[1], "argon2") == 0)
        return lg_ceiling_argon2(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "commits") == 0)
        return lg_ceiling_commits(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "smpp-ceiling") == 0)
        return lg_ceiling_smpp(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "sms") == 0)
        return lg_sms(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("dvcid-load %s\n", DVCID_VERSION);
        return 0;
    }
    lg_opts_t *opts = calloc(1, sizeof(*opts));
    if (!opts) {
        fprintf(stderr, "dvcid-load: out of memory\n");
        return 1;
    }
    char err[256];
    int rc = lg_opts_parse(opts, argc, argv, err, sizeof(err));
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "dvcid-load: %s\n", err);
        free(opts);
        return rc < 0 ? 2 : 0;
    }
    rc = lg_run_load(opts);
    free(opts);
    return rc;
}
