/* cmn_endpoints: where the instances of one service listen, read from one config
 * value. Shards are separated by '|', the instances of a shard by commas and/or
 * whitespace:
 *
 *     tcp://10.0.0.2:7101, tcp://10.0.0.2:7102 | tcp://10.0.0.3:7101
 *
 * is 2 shards: shard 0 has instances 0 and 1, shard 1 has instance 0. Shard and
 * instance numbers are 0-based (a process started with --shard S --instance I binds
 * the endpoint [S][I] of its own list). A plain single endpoint is 1 shard x 1 instance.
 *
 * An endpoint may end in "@KEY" (the first '@' after "tcp://" starts it): the CURVE public key of
 * the server listening there, either 40 Z85 characters or the name of a public cert (NAME.cert) in
 * the [curve] servers directory; cmn_curve resolves it. Without it, a connecting process expects
 * the server to use its own [curve] cert (same host, same cert).
 *
 * Errors name the config key given to cmn_endpoints_new, e.g. "[account] endpoint". */
#ifndef CMN_ENDPOINTS_H
#define CMN_ENDPOINTS_H

#include <stddef.h>

#define CMN_EP_MAX_SHARDS 64
#define CMN_EP_MAX_INSTANCES 16
#define CMN_EP_LEN 256    /* longest endpoint, NUL included */
#define CMN_EP_KEY_LEN 64 /* longest "@KEY" suffix (without '@'), NUL included */

typedef struct cmn_endpoints cmn_endpoints_t;

/* Parses value. key names the config key for messages. Returns NULL with a one-line
 * reason in err when value is empty or malformed (unknown transport, empty shard,
 * too many shards or instances, an endpoint too long, a bad "@KEY"). */
cmn_endpoints_t *cmn_endpoints_new(const char *key, const char *value, char *err, size_t errlen);

/* Frees; nullifies *self_p. Tolerates NULL. */
void cmn_endpoints_destroy(cmn_endpoints_t **self_p);

/* The config key name given to cmn_endpoints_new; lives as long as self. */
const char *cmn_endpoints_name(const cmn_endpoints_t *self);

/* How many shards (>= 1). */
int cmn_endpoints_shards(const cmn_endpoints_t *self);

/* How many instances shard has (>= 1), or 0 when shard is out of range. */
int cmn_endpoints_instances(const cmn_endpoints_t *self, int shard);

/* The endpoint [shard][instance] without its "@KEY", or NULL when out of range.
 * Lives as long as self. */
const char *cmn_endpoints_get(const cmn_endpoints_t *self, int shard, int instance);

/* The "@KEY" of [shard][instance] without '@', "" when it has none, NULL when out of
 * range. Lives as long as self. */
const char *cmn_endpoints_server_key(const cmn_endpoints_t *self, int shard, int instance);

/* Total endpoints over every shard. */
int cmn_endpoints_count(const cmn_endpoints_t *self);

/* 1 when endpoint may carry plaintext on a trusted path: ipc://, inproc://, or tcp to
 * a loopback address (127.x.x.x, [::1], localhost); 0 otherwise. */
int cmn_endpoints_is_local(const char *endpoint);

#endif
