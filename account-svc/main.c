/* account-svc: accounts, registration flows and captchas. */
#include "acct_service.h"
#include "cmn_main.h"

int main(int argc, char **argv) {
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "account-svc",
                            "Owns accounts, registration flows and captchas; asks otp-svc for "
                            "one-time codes.",
                            &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    acct_service_t *svc = acct_service_new(&cfg);
    if (!svc)
        return 1;
    rc = acct_service_run(svc);
    acct_service_destroy(&svc);
    return rc == 0 ? 0 : 1;
}
