/* fuzz_config: the INI configuration parser (cmn_config_load_string, the same table
 * and handler as the file loader). Any text either loads, deterministically, or is
 * refused with a one-line "name:line: reason"; the strings of the result are always
 * terminated inside their buffers. A loaded configuration then goes through what
 * sms-worker parses out of its values at start: the settings, the route table
 * (sms_route_parse: every route it keeps is well formed) and the http provider's
 * URL and body templates (sms_tmpl_check, then an expansion that fits or says so),
 * and the same for every further provider of a [sms.NAME] section (its kind known). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_config.h"
#include "fuzz.h"
#include "sms_route.h"
#include "sms_settings.h"
#include "sms_tmpl.h"

#define S_NAME "fuzz.conf"
#define S_NAMED_MAX 8 /* further providers looked at, as sms-worker starts at most */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

#define S_TERMINATED(field) FUZZ_CHECK(memchr((field), '\0', sizeof(field)) != NULL)

/* A kept route: "*" or "+" and digits, 1..SMS_ROUTE_WAYS known providers, weights in
 * range; the route a number matches is "*" or a prefix of it. */
static void s_check_routes(const sms_settings_t *set) {
    static const char *const names[] = {"http", "smpp"};
    sms_route_t routes[SMS_ROUTE_MAX];
    char err[256];
    int n = sms_route_parse(set->routes, names, 2, routes, SMS_ROUTE_MAX, err, sizeof(err));
    FUZZ_CHECK(n >= -1 && n <= SMS_ROUTE_MAX);
    if (n < 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
        return;
    }
    for (int i = 0; i < n; i++) {
        const sms_route_t *r = &routes[i];
        S_TERMINATED(r->prefix);
        FUZZ_CHECK(strcmp(r->prefix, "*") == 0 || (r->prefix[0] == '+' && r->prefix[1] != '\0'));
        for (const char *d = r->prefix + 1; r->prefix[0] == '+' && *d; d++)
            FUZZ_CHECK(isdigit((unsigned char)*d));
        FUZZ_CHECK(r->n >= 1 && r->n <= SMS_ROUTE_WAYS);
        for (int w = 0; w < r->n; w++)
            FUZZ_CHECK(r->prov[w] >= 0 && r->prov[w] < 2 && r->weight[w] >= 0 &&
                       r->weight[w] <= SMS_WEIGHT_MAX);
    }
    static const char phone[] = "+84912345678";
    const sms_route_t *m = sms_route_match(routes, n, phone);
    FUZZ_CHECK(m == NULL || (m >= routes && m < routes + n));
    FUZZ_CHECK(m == NULL || strcmp(m->prefix, "*") == 0 ||
               strncmp(phone, m->prefix, strlen(m->prefix)) == 0);
}

/* A template that checks expands, into a buffer it fits or with -1; one that does not
 * check names its bad placeholder inside the template. */
static void s_check_template(const char *tmpl, sms_esc_t esc) {
    const char *bad = NULL;
    if (sms_tmpl_check(tmpl, &bad) != 0) {
        FUZZ_CHECK(bad != NULL && bad >= tmpl && bad < tmpl + strlen(tmpl));
        return;
    }
    const sms_tmpl_vars_t vars = {.to = "+84912345678",
                                  .text = "DVCQG: Ma OTP \"la\" 123456 & <khong> chia se",
                                  .message_id = "0190f0a1b2c3d4e5",
                                  .sender = "DVCQG",
                                  .coding = "0",
                                  .dlr_url = "http://127.0.0.1:9/dlr?id=1&type=%d"};
    char out[4096];
    int len = sms_tmpl_expand(tmpl, esc, &vars, out, sizeof(out));
    FUZZ_CHECK(len >= -1 && len < (int)sizeof(out));
    if (len >= 0)
        FUZZ_CHECK(strlen(out) == (size_t)len);
}

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
        sms_settings_t *set = malloc(sizeof(*set));
        FUZZ_CHECK(set != NULL);
        sms_settings_load(set, cfg);
        s_check_routes(set);
        s_check_template(set->http_url, SMS_ESC_URL);
        s_check_template(set->http_body, sms_tmpl_body_esc(set->http_content_type));
        char names[S_NAMED_MAX][SMS_SET_NAME];
        int nn = sms_settings_names(cfg, names, S_NAMED_MAX);
        FUZZ_CHECK(nn >= 0 && nn <= S_NAMED_MAX);
        sms_settings_t *named = malloc(sizeof(*named));
        FUZZ_CHECK(named != NULL);
        for (int i = 0; i < nn; i++) {
            S_TERMINATED(names[i]);
            FUZZ_CHECK(sms_settings_for(set, cfg, names[i], named) != SMS_KIND_NONE);
            FUZZ_CHECK(strcmp(named->name, names[i]) == 0);
            S_TERMINATED(named->http_url);
            S_TERMINATED(named->smpp_host);
            s_check_template(named->http_url, SMS_ESC_URL);
            s_check_template(named->http_body, sms_tmpl_body_esc(named->http_content_type));
        }
        free(named);
        free(set);
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
