/* otp-svc: OTP challenges and their SMS outbox. */
#include "cmn_main.h"
#include "otp_service.h"

int main(int argc, char **argv) {
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "otp-svc",
                            "Issues, resends and verifies OTP challenges; hands their SMS to "
                            "sms-worker through a durable outbox.",
                            otp_service_config_check, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    otp_service_t *svc = otp_service_new(&cfg);
    if (!svc)
        return 1;
    rc = otp_service_run(svc);
    otp_service_destroy(&svc);
    return rc == 0 ? 0 : 1;
}
