/* otp_service: otp-svc's request handlers (issue, resend, verify, ping) and the
 * timers that sweep old challenges and resend the outbox. */
#ifndef OTP_SERVICE_H
#define OTP_SERVICE_H

#include "cmn_config.h"
#include "cmn_service.h"

typedef struct otp_service otp_service_t;

/* Opens otp-svc's LMDB under storage.dir/otp, its keys, its socket and its peer
 * sms-worker. NULL on failure (logged). */
otp_service_t *otp_service_new(const cmn_config_t *cfg);
/* --check-config: what otp-svc parses beyond the keys (the pumping defence's lists).
 * Returns 0 or -1 with why in err. */
int otp_service_config_check(const cmn_config_t *cfg, char *err, size_t errlen);
void otp_service_destroy(otp_service_t **self_p);

/* Serves until SIGTERM. Returns 0 or -1. */
int otp_service_run(otp_service_t *self);

#endif
