/* cmn_ipkey: inet_pton, keep 8 bytes, inet_ntop. */
#include "cmn_ipkey.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

void cmn_ipkey(const char *ip, char *out, size_t outlen) {
    if (outlen == 0)
        return;
    struct in6_addr a6;
    char text[INET6_ADDRSTRLEN];
    if (ip && inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            if (inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text))) {
                snprintf(out, outlen, "%s", text);
                return;
            }
        } else {
            memset(&a6.s6_addr[8], 0, 8);
            /* Four zero groups are the longest zero run, so inet_ntop always ends
             * the text with "::". */
            if (inet_ntop(AF_INET6, &a6, text, sizeof(text))) {
                snprintf(out, outlen, "%s/64", text);
                return;
            }
        }
    }
    snprintf(out, outlen, "%s", ip ? ip : "");
}
