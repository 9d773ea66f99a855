/* fuzz_client_ip: who the client is (gw_client_ip): the gateway.trusted_proxies
 * list, and the X-Forwarded-For header any client can send. Input: three lines,
 *   trusted CIDRs, the socket peer, the X-Forwarded-For value (the rest);
 * the same bytes are also read as a socket address. The answer is always a
 * terminated string: the peer itself unless the peer is trusted, otherwise the peer
 * or an address that appears in the header. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "gw_client_ip.h"

enum { F_CIDRS, F_PEER, F_XFF, F_COUNT };

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

static void s_sockaddr(const uint8_t *data, size_t size) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, data, size < sizeof(ss) ? size : sizeof(ss));
    char out[GW_IP_MAX];
    memset(out, 'x', sizeof(out));
    gw_client_ip_from_sockaddr((const struct sockaddr *)&ss, out, sizeof(out));
    FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        FUZZ_CHECK(out[0] == '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    s_sockaddr(data, size);
    char *text = fuzz_cstr(data, size);
    char *f[F_COUNT];
    fuzz_fields(text, f, F_COUNT);
    gw_client_ip_t *ips = gw_client_ip_new(f[F_CIDRS]);
    if (ips) {
        bool trusted = gw_client_ip_trusted(ips, f[F_PEER]);
        for (int with_xff = 0; with_xff < 2; with_xff++) {
            const char *xff = with_xff ? f[F_XFF] : NULL;
            char out[GW_IP_MAX];
            memset(out, 'x', sizeof(out));
            gw_client_ip_resolve(ips, f[F_PEER], xff, out, sizeof(out));
            FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
            /* An untrusted peer, or no header: the peer (cut to fit) is the client. */
            if (!trusted || !xff)
                FUZZ_CHECK(strncmp(out, f[F_PEER], sizeof(out) - 1) == 0);
            else if (strncmp(out, f[F_PEER], sizeof(out) - 1) != 0)
                FUZZ_CHECK(out[0] != '\0' && strstr(xff, out) != NULL);
        }
        gw_client_ip_destroy(&ips);
        FUZZ_CHECK(ips == NULL);
    }
    free(text);
    return 0;
}
