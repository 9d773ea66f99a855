/* cmn_curve: czmq zcert/zauth behind the [curve] keys; the policy on plaintext. */
#include "cmn_curve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_endpoints.h"
#include "cmn_log.h"

struct cmn_curve {
    int enabled;
    int plain_local, plain_remote;
    int require_roles;
    char clients[CMN_CONFIG_STR];
    char servers[CMN_CONFIG_STR];
    zcert_t *cert;
    zactor_t *auth; /* zauth, started with the first server socket */
};

/* zcert_load reads NAME.cert_secret when it exists: accept either half's path. */
static zcert_t *s_load(const char *path) {
    char base[CMN_CONFIG_STR + 16];
    snprintf(base, sizeof(base), "%s", path);
    size_t n = strlen(base);
    if (n > 7 && strcmp(base + n - 7, "_secret") == 0)
        base[n - 7] = '\0';
    return zcert_load(base);
}

static int s_is_dir(const char *path) {
    struct stat st;
    return path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

cmn_curve_t *cmn_curve_new(const cmn_config_t *cfg, char *err, size_t errlen) {
    cmn_curve_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->plain_local = cfg ? cfg->curve_allow_plain_local : 1;
    self->plain_remote = cfg ? cfg->curve_allow_plain_remote : 0;
    self->require_roles = cfg ? cfg->curve_require_roles : 0;
    if (!cfg || !cfg->curve_enabled)
        return self;
    self->enabled = 1;
    snprintf(self->clients, sizeof(self->clients), "%s", cfg->curve_clients);
    snprintf(self->servers, sizeof(self->servers), "%s", cfg->curve_servers);
    if (!cfg->curve_cert[0]) {
        snprintf(err, errlen,
                 "[curve] cert: required when [curve] enabled = true "
                 "(make one with `dvcctl keygen NAME DIR`)");
        cmn_curve_destroy(&self);
        return NULL;
    }
    self->cert = s_load(cfg->curve_cert);
    if (!self->cert || !zcert_secret_txt(self->cert) ||
        strcmp(zcert_secret_txt(self->cert), "0000000000000000000000000000000000000000") == 0) {
        snprintf(err, errlen,
                 "[curve] cert = \"%s\": cannot read a certificate with its secret "
                 "key (NAME.cert and NAME.cert_secret, from `dvcctl keygen`)",
                 cfg->curve_cert);
        cmn_curve_destroy(&self);
        return NULL;
    }
    if (self->clients[0] && !s_is_dir(self->clients)) {
        snprintf(err, errlen, "[curve] clients = \"%s\": not a directory", self->clients);
        cmn_curve_destroy(&self);
        return NULL;
    }
    if (self->servers[0] && !s_is_dir(self->servers)) {
        snprintf(err, errlen, "[curve] servers = \"%s\": not a directory", self->servers);
        cmn_curve_destroy(&self);
        return NULL;
    }
    return self;
}

void cmn_curve_destroy(cmn_curve_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_curve_t *self = *self_p;
    zactor_destroy(&self->auth);
    zcert_destroy(&self->cert);
    free(self);
    *self_p = NULL;
}

int cmn_curve_enabled(const cmn_curve_t *self) { return self && self->enabled; }

/* Without CURVE: is plaintext allowed on endpoint? */
static int s_plain_ok(const cmn_curve_t *self, const char *key, const char *endpoint, char *err,
                      size_t errlen) {
    int local = cmn_endpoints_is_local(endpoint);
    if (local && !self->plain_local) {
        snprintf(err, errlen,
                 "%s: %s would carry plaintext, and [curve] allow_plain_local = false "
                 "(turn [curve] enabled on)",
                 key, endpoint);
        return -1;
    }
    if (!local && !self->plain_remote) {
        snprintf(err, errlen,
                 "%s: %s is not a loopback or ipc endpoint: it needs [curve] enabled = true "
                 "(or [curve] allow_plain_remote = true, on a trusted network only)",
                 key, endpoint);
        return -1;
    }
    return 0;
}

int cmn_curve_server(cmn_curve_t *self, zsock_t *sock, const char *key, const char *endpoint,
                     char *err, size_t errlen) {
    if (!self->enabled)
        return s_plain_ok(self, key, endpoint, err, errlen);
    if (!self->clients[0]) {
        snprintf(err, errlen,
                 "[curve] clients: required to bind %s with CURVE (a directory of "
                 "the public certs allowed to connect)",
                 endpoint);
        return -1;
    }
    if (!self->auth) {
        self->auth = zactor_new(zauth, NULL);
        if (!self->auth || zstr_sendx(self->auth, "CURVE", self->clients, NULL) != 0 ||
            zsock_wait(self->auth) != 0) {
            snprintf(err, errlen, "cannot start the CURVE authenticator (zauth)");
            zactor_destroy(&self->auth);
            return -1;
        }
    }
    zcert_apply(self->cert, zsock_resolve(sock));
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "dvcid");
    return 0;
}

/* The server's public key in Z85 for a "@KEY" suffix, into out[41]. */
static int s_server_key(cmn_curve_t *self, const char *key, const char *endpoint,
                        const char *server_key, char out[41], char *err, size_t errlen) {
    if (!server_key[0]) {
        snprintf(out, 41, "%s", zcert_public_txt(self->cert));
        return 0;
    }
    uint8_t bin[32];
    if (strlen(server_key) == 40 && zmq_z85_decode(bin, server_key)) {
        snprintf(out, 41, "%s", server_key);
        return 0;
    }
    char path[CMN_CONFIG_STR + CMN_EP_KEY_LEN + 8];
    snprintf(path, sizeof(path), "%s/%s.cert", self->servers, server_key);
    zcert_t *c = self->servers[0] ? zcert_load(path) : NULL;
    if (!c) {
        snprintf(err, errlen, "%s: %s@%s: no server cert %s (set [curve] servers)", key, endpoint,
                 server_key, self->servers[0] ? path : "NAME.cert");
        return -1;
    }
    snprintf(out, 41, "%s", zcert_public_txt(c));
    zcert_destroy(&c);
    return 0;
}

int cmn_curve_client(cmn_curve_t *self, zsock_t *sock, const char *key, const char *endpoint,
                     const char *server_key, char *err, size_t errlen) {
    if (!self->enabled) {
        if (server_key && server_key[0])
            CMN_WARN(NULL, "%s: %s has a server key but [curve] enabled = false", key, endpoint);
        return s_plain_ok(self, key, endpoint, err, errlen);
    }
    char z85[41];
    if (s_server_key(self, key, endpoint, server_key ? server_key : "", z85, err, errlen) != 0)
        return -1;
    zcert_apply(self->cert, zsock_resolve(sock));
    zsock_set_curve_serverkey(sock, z85);
    return 0;
}

const char *cmn_curve_event(unsigned event, unsigned value) {
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return value == 400   ? "peer's public key is not allowed (ZAP 400)"
               : value == 300 ? "authenticator not reachable (ZAP 300)"
                              : "refused by the authenticator";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
            return "cryptographic error (wrong server key, or a peer without the right cert)";
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            return "security mismatch (CURVE on one side only)";
        return "protocol error in the handshake";
    }
    /* libzmq gives no detail when the greeting itself does not match: a plaintext
     * peer on a CURVE socket (or the other way round), or not ZeroMQ at all. */
    return "handshake failed without detail (CURVE on one side only, or not a dvcid peer)";
}

static const struct {
    const char *name;
    unsigned bits;
} s_roles[] = {{"gateway", CMN_ROLE_GATEWAY}, {"account-svc", CMN_ROLE_ACCOUNT},
               {"otp-svc", CMN_ROLE_OTP},     {"sms-worker", CMN_ROLE_SMS},
               {"admin", CMN_ROLE_ADMIN},     {"host", CMN_ROLE_ALL}};

int cmn_curve_roles_parse(const char *text) {
    unsigned bits = 0;
    const char *p = text;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        const char *a = p, *b = p + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        size_t i = 0;
        for (; i < sizeof(s_roles) / sizeof(s_roles[0]); i++)
            if (strlen(s_roles[i].name) == (size_t)(b - a) &&
                memcmp(s_roles[i].name, a, (size_t)(b - a)) == 0)
                break;
        if (i == sizeof(s_roles) / sizeof(s_roles[0]))
            return -1;
        bits |= s_roles[i].bits;
        p += n + (p[n] == ',');
    }
    return bits ? (int)bits : -1;
}

unsigned cmn_curve_peer_roles(const cmn_curve_t *self, zmq_msg_t *m) {
    if (!self || !self->enabled)
        return CMN_ROLE_ALL;
    const char *roles = zmq_msg_gets(m, "roles");
    if (!roles)
        return self->require_roles ? 0 : CMN_ROLE_ALL;
    int bits = cmn_curve_roles_parse(roles);
    return bits < 0 ? 0 : (unsigned)bits; /* a cert with a role we do not know: none */
}

int cmn_curve_keygen(const char *name, const char *dir, const char *roles, char *err,
                     size_t errlen) {
    char path[1024], secret[1100];
    if (roles && roles[0] && cmn_curve_roles_parse(roles) < 0) {
        snprintf(err, errlen,
                 "roles \"%s\": a comma list of gateway, account-svc, otp-svc, sms-worker, "
                 "admin, host",
                 roles);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || (*p == '.' && p != name))) {
            snprintf(err, errlen, "name \"%s\": use letters, digits, '-', '_' and '.'", name);
            return -1;
        }
    }
    if (!name[0] || (size_t)snprintf(path, sizeof(path), "%s/%s.cert", dir, name) >= sizeof(path)) {
        snprintf(err, errlen, "bad name or directory");
        return -1;
    }
    snprintf(secret, sizeof(secret), "%s_secret", path);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (access(path, F_OK) == 0 || access(secret, F_OK) == 0) {
        snprintf(err, errlen, "%s already exists: not overwritten", path);
        return -1;
    }
    zcert_t *c = zcert_new();
    if (!c) {
        snprintf(err, errlen, "cannot make a key pair");
        return -1;
    }
    zcert_set_meta(c, "name", "%s", name);
    zcert_set_meta(c, "made-by", "dvcctl keygen");
    if (roles && roles[0])
        zcert_set_meta(c, "roles", "%s", roles);
    mode_t old = umask(077); /* the secret half is never readable by others */
    int rc = zcert_save(c, path);
    umask(old);
    zcert_destroy(&c);
    if (rc != 0 || chmod(secret, 0600) != 0 || chmod(path, 0644) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
