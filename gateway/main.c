/* gateway: the HTTP front door of dvcid. HTTP threads (libmicrohttpd) turn each
 * request into one dvcid Request; the main thread runs the bridge loop that asks
 * account-svc over ZeroMQ and wakes the waiting connection with the answer. */
#include "cmn_main.h"
#include "gw_bridge.h"
#include "gw_client_ip.h"
#include "gw_http.h"

int main(int argc, char **argv) {
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "gateway",
                            "dvcid gateway: the HTTP/JSON API and web page, in front of "
                            "account-svc.",
                            &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    gw_client_ip_t *ips = gw_client_ip_new(cfg.gateway_trusted_proxies);
    gw_bridge_t *bridge = ips ? gw_bridge_new(&cfg) : NULL;
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
