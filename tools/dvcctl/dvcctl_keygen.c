/* dvcctl keygen: a CURVE key pair for a host or a client, in zcert format. */
#include <stdio.h>

#include "cmn_curve.h"
#include "dvcctl.h"

int dvcctl_keygen(const cmn_config_t *cfg, int argc, char **argv) {
    (void)cfg;
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: dvcctl keygen NAME DIR [ROLES]\n"
                        "  ROLES: what the key may call, a comma list of gateway, account-svc, "
                        "otp-svc, sms-worker, admin (dvcctl), host (all)\n");
        return DVCCTL_USAGE;
    }
    char err[512];
    if (cmn_curve_keygen(argv[0], argv[1], argc == 3 ? argv[2] : NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvcctl: keygen: %s\n", err);
        return DVCCTL_FAILED;
    }
    printf("wrote %s/%s.cert (public: copy it to the [curve] clients directory of the hosts "
           "this one connects to, and to [curve] servers of the hosts connecting here) and "
           "%s/%s.cert_secret (secret, mode 0600: this host's [curve] cert)\n",
           argv[1], argv[0], argv[1], argv[0]);
    return DVCCTL_OK;
}
