/* account-svc: accounts, registration and sign-in flows, sessions, captchas. */
#include <stdio.h>
#include <string.h>

#include "acct_keys.h"
#include "acct_service.h"
#include "cmn_main.h"

int main(int argc, char **argv) {
    /* --new-signing-key: add a key for access tokens (rotation) and exit. */
    int new_key = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--new-signing-key") == 0) {
            new_key = 1;
            for (int j = i; j < argc - 1; j++)
                argv[j] = argv[j + 1];
            argc--;
            break;
        }
    }
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "account-svc",
                            "Owns accounts, registration, sign-in and password-reset flows, "
                            "sessions, signing keys and captchas; asks otp-svc for one-time "
                            "codes.\n  --new-signing-key  add an Ed25519 key for access tokens "
                            "(it signs from the next start or reload, SIGHUP) and exit",
                            NULL, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    if (new_key) {
        char data[560], dir[600], kid[32];
        if (acct_service_data_dir(&cfg, cfg.proc_shard, data, sizeof(data)) != 0)
            return 1;
        snprintf(dir, sizeof(dir), "%s/keys", data);
        if (acct_keys_create(dir, kid, sizeof(kid)) != 0)
            return 1;
        printf("new signing key %s in %s: it signs once account-svc reloads (systemctl reload "
               "dvcid-account-svc, or SIGHUP) or restarts\n",
               kid, dir);
        return 0;
    }
    acct_service_t *svc = acct_service_new(&cfg);
    if (!svc)
        return 1;
    rc = acct_service_run(svc);
    acct_service_destroy(&svc);
    return rc == 0 ? 0 : 1;
}
