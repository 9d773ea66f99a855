/* cmn_curve: CURVE encryption and authentication for every ZeroMQ socket of a
 * process, from the [curve] config keys:
 *
 *   enabled            CURVE on every socket (tcp and ipc alike) when true
 *   cert               this host's certificate, as written by `dvcctl keygen NAME DIR`
 *                      (DIR/NAME.cert; its secret half DIR/NAME.cert_secret is read)
 *   clients            directory of public certs allowed to connect (zauth allow-list);
 *                      required when a process binds with CURVE on
 *   servers            directory of public certs of the servers this process connects
 *                      to, named by an endpoint's "@NAME" suffix (cmn_endpoints.h)
 *   allow_plain_local  without CURVE, plaintext on ipc:// and tcp loopback (default true)
 *   allow_plain_remote without CURVE, plaintext on tcp to other hosts (default false:
 *                      such an endpoint stops start-up)
 *   require_roles      a peer whose cert names no roles may call nothing (default false:
 *                      such a peer, a host key of before roles, may call everything)
 *
 * Roles: a cert made with `dvcctl keygen NAME DIR ROLES` carries "roles" metadata
 * (gateway, account-svc, otp-svc, sms-worker, admin; "host" for all). zauth hands the
 * metadata of the allowed cert in the server's clients directory (the server's own copy,
 * not what the peer claims) to every message of that peer, and cmn_service checks it
 * against the roles each method class allows (cmn_service_callers), so a stolen gateway
 * key cannot unlock accounts or send SMS.
 *
 * A server socket gets the host cert and curve_server; czmq's zauth actor (one per
 * process, started with the first server socket) checks each client's public key
 * against the clients directory. A client socket gets the host cert and the server's
 * public key: the endpoint's "@KEY" (40 Z85 characters, or NAME of servers/NAME.cert),
 * or the host cert's own public key when there is none (the server is on this host).
 * Refusals are logged by cmn_service through a socket monitor (cmn_curve_event). */
#ifndef CMN_CURVE_H
#define CMN_CURVE_H

#include <czmq.h>
#include <stddef.h>

#include "cmn_config.h"

typedef struct cmn_curve cmn_curve_t;

/* Reads the [curve] keys of cfg (NULL: CURVE off, plaintext allowed on local
 * endpoints only); loads the cert when enabled. Returns NULL with a reason in err. */
cmn_curve_t *cmn_curve_new(const cmn_config_t *cfg, char *err, size_t errlen);

/* Stops zauth, frees the cert; nullifies *self_p. Tolerates NULL. */
void cmn_curve_destroy(cmn_curve_t **self_p);

/* 1 when CURVE is on. */
int cmn_curve_enabled(const cmn_curve_t *self);

/* Prepares sock, which will bind endpoint: CURVE server with the host cert and zauth
 * running, or a check that plaintext is allowed there. Returns 0, or -1 with a reason
 * in err (naming key, the config key of the endpoint). */
int cmn_curve_server(cmn_curve_t *self, zsock_t *sock, const char *key, const char *endpoint,
                     char *err, size_t errlen);

/* Prepares sock, which will connect to endpoint whose "@KEY" suffix is server_key
 * ("" for none). Returns 0, or -1 with a reason in err. */
int cmn_curve_client(cmn_curve_t *self, zsock_t *sock, const char *key, const char *endpoint,
                     const char *server_key, char *err, size_t errlen);

/* The events a monitor should watch on CURVE sockets (handshake failures). */
#define CMN_CURVE_EVENTS                                                                           \
    (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Describes a handshake failure event (value: its ZMQ_PROTOCOL_ERROR_* or ZAP status)
 * in words for the log: "peer key not allowed (ZAP 400)", "wrong server key?"... */
const char *cmn_curve_event(unsigned event, unsigned value);

/* Roles, as bits. */
enum {
    CMN_ROLE_GATEWAY = 1u << 0,
    CMN_ROLE_ACCOUNT = 1u << 1,
    CMN_ROLE_OTP = 1u << 2,
    CMN_ROLE_SMS = 1u << 3,
    CMN_ROLE_ADMIN = 1u << 4,
    CMN_ROLE_ALL = (1u << 5) - 1,
};

/* The roles of a comma list ("gateway,admin"; "host" is all). Returns the bits, or -1
 * for an empty list or a name that is not a role. */
int cmn_curve_roles_parse(const char *text);

/* The roles of the peer that sent m (a frame received on a server socket): every role
 * without CURVE (plaintext is local, see allow_plain_*), the cert's roles with CURVE,
 * and for a cert that names none every role, or none under require_roles. */
unsigned cmn_curve_peer_roles(const cmn_curve_t *self, zmq_msg_t *m);

/* Writes a new key pair: dir/name.cert (public) and dir/name.cert_secret (0600), with
 * roles (a comma list for cmn_curve_roles_parse, NULL or "" for none) in its metadata.
 * Refuses to overwrite. Returns 0, or -1 with a reason in err. */
int cmn_curve_keygen(const char *name, const char *dir, const char *roles, char *err,
                     size_t errlen);

#endif
