/* gateway: the HTTP front door of dvcid. HTTP threads (libmicrohttpd) turn each
 * request into one dvcid Request; the main thread runs the bridge loop that asks
 * account-svc over ZeroMQ and wakes the waiting connection with the answer. */
#include <stdio.h>

#include "cmn_main.h"
#include "gw_bridge.h"
#include "gw_client_ip.h"
#include "gw_http.h"

/* --check-config: what the gateway parses at its start besides the keys' bounds. Its
 * own keys ([gateway]) are read once, at the start: a reload keeps them. */
static int s_check(const cmn_config_t *cfg, char *err, size_t errlen) {
    struct sockaddr_storage addr;
    socklen_t alen;
    if (gw_http_listen_addr(cfg->gateway_listen, &addr, &alen) != 0) {
        snprintf(err, errlen, "[gateway] listen = \"%s\": not host:port", cfg->gateway_listen);
        return -1;
    }
    if (cfg->gateway_management_listen[0] &&
        gw_http_listen_addr(cfg->gateway_management_listen, &addr, &alen) != 0) {
        snprintf(err, errlen, "[gateway] management_listen = \"%s\": not host:port",
                 cfg->gateway_management_listen);
        return -1;
    }
    gw_client_ip_t *ips = gw_client_ip_new(cfg->gateway_trusted_proxies);
    if (!ips) {
        snprintf(err, errlen, "[gateway] trusted_proxies = \"%s\": not a list of CIDRs",
                 cfg->gateway_trusted_proxies);
        return -1;
    }
    gw_client_ip_destroy(&ips);
    return 0;
}

int main(int argc, char **argv) {
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "gateway",
                            "dvcid gateway: the HTTP/JSON API and web page, in front of "
                            "account-svc.",
                            s_check, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    /* The HTTP threads read cfg at any time: a reload (SIGHUP, on the bridge's loop)
     * writes the loop's copy only, never a struct another thread reads. What the threads
     * read cannot change live anyway ([gateway], [token] issuer: cmn_config_keep_fixed). */
    static cmn_config_t loop_cfg;
    loop_cfg = cfg;
    gw_client_ip_t *ips = gw_client_ip_new(cfg.gateway_trusted_proxies);
    gw_bridge_t *bridge = ips ? gw_bridge_new(&loop_cfg) : NULL;
    gw_http_t *http = bridge ? gw_http_new(&cfg, bridge, ips) : NULL;
    rc = http ? gw_bridge_run(bridge) : -1;
    /* Order matters: answer what still waits, so MHD can stop; then stop MHD, so no
     * connection refers to a job; then free the jobs the loop still held. */
    if (bridge)
        gw_bridge_close(bridge);
    gw_http_destroy(&http);
    gw_bridge_destroy(&bridge);
    gw_client_ip_destroy(&ips);
    return rc == 0 ? 0 : 1;
}
