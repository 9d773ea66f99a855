/* cmn_client: one request, one reply, waiting: for command-line tools (dvcctl), never
 * for services (they use cmn_service_ask). A DEALER connects to an endpoint, with
 * CURVE when cfg's [curve] says so, sends the request and waits up to timeout_ms for
 * its reply. */
#ifndef CMN_CLIENT_H
#define CMN_CLIENT_H

#include <stddef.h>

#include "cmn_config.h"
#include "proto/dvcid.pb-c.h"

/* endpoints: a cmn_endpoints list; the instances of its shard 0 are tried in turn.
 * cfg NULL: no CURVE. Returns 0 with *reply (free with dvcid__reply__free_unpacked),
 * or -1 when nothing answered in time (a message is written to err). */
int cmn_client_call(const cmn_config_t *cfg, const char *endpoints, Dvcid__Request *req,
                    int timeout_ms, Dvcid__Reply **reply, char *err, size_t errlen);

#endif
