/* fuzz_config: the INI configuration parser (cmn_config_load_string, the same table
 * and handler as the file loader). Any text either loads, deterministically, or is
 * refused with a one-line "name:line: reason"; the strings of the result are always
 * terminated inside their buffers. */
#include <stdlib.h>
#include <string.h>

#include "cmn_config.h"
#include "fuzz.h"

#define S_NAME "fuzz.conf"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

#define S_TERMINATED(field) FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_cstr(data, size);
    cmn_config_t *cfg = malloc(sizeof(*cfg));
    cmn_config_t *again = malloc(sizeof(*again));
    FUZZ_CHECK(cfg != NULL && again != NULL);
    char err[512], err2[512];
    memset(err, 'x', sizeof(err));
    memset(err2, 'x', sizeof(err2));

    cmn_config_defaults(cfg);
    int rc = cmn_config_load_string(cfg, S_NAME, text, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -1);
    cmn_config_defaults(again);
    int rc2 = cmn_config_load_string(again, S_NAME, text, err2, sizeof(err2));
    FUZZ_CHECK(rc2 == rc);
    if (rc == 0) {
        /* Both start from the zeroed defaults, so even padding must agree. */
        FUZZ_CHECK(memcmp(cfg, again, sizeof(*cfg)) == 0);
        S_TERMINATED(cfg->gateway_listen);
        S_TERMINATED(cfg->gateway_trusted_proxies);
        S_TERMINATED(cfg->storage_dir);
        S_TERMINATED(cfg->account_endpoint);
        S_TERMINATED(cfg->otp_endpoint);
        S_TERMINATED(cfg->sms_endpoint);
        S_TERMINATED(cfg->sms_provider);
        S_TERMINATED(cfg->sms_file);
        S_TERMINATED(cfg->sms_http_url);
        S_TERMINATED(cfg->sms_http_body);
        S_TERMINATED(cfg->log_level);
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        FUZZ_CHECK(strncmp(err, S_NAME ":", strlen(S_NAME ":")) == 0);
        FUZZ_CHECK(strcmp(err, err2) == 0);
        FUZZ_CHECK(strchr(err, '\n') == NULL);
    }
    free(again);
    free(cfg);
    free(text);
    return 0;
}
