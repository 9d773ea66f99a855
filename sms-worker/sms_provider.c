/* sms_provider: picks the provider the configuration names. Config load already
 * refuses values it does not know; this refuses the ones not built yet. */
#include "sms_provider.h"

#include <string.h>

#include "cmn_log.h"

sms_provider_t *sms_provider_new(const cmn_config_t *cfg) {
    if (strcmp(cfg->sms_provider, "file") == 0)
        return sms_file_new(cfg->sms_file);
    CMN_ERROR(NULL, "sms provider \"%s\" is not available in this build", cfg->sms_provider);
    return NULL;
}

void sms_provider_destroy(sms_provider_t **self_p) {
    if (self_p && *self_p)
        (*self_p)->destroy(self_p);
}
