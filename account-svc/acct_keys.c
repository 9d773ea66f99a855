/* acct_keys: key files, JWKS entries and compact JWS with crypto_sign_detached. */
#include "acct_keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_owner.h"
#include "cmn_time.h"

#define S_MAX_KEYS 16
#define S_KID_LEN 16
#define S_B64(n) sodium_base64_ENCODED_LEN((n), sodium_base64_VARIANT_URLSAFE_NO_PADDING)

typedef struct {
    char name[64];
    char kid[S_KID_LEN];
    char x[S_B64(crypto_sign_PUBLICKEYBYTES)];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
} s_key_t;

struct acct_keys {
    s_key_t keys[S_MAX_KEYS];
    size_t n;
};

static void s_b64(const uint8_t *bin, size_t len, char *out, size_t outlen) {
    sodium_bin2base64(out, outlen, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* kid: base64url of 8 bytes of BLAKE2b over the public key. */
static void s_kid(const uint8_t *pk, char kid[S_KID_LEN]) {
    uint8_t h[8];
    crypto_generichash(h, sizeof(h), pk, crypto_sign_PUBLICKEYBYTES, NULL, 0);
    s_b64(h, sizeof(h), kid, S_KID_LEN);
}

int acct_keys_create(const char *dir, char *kid, size_t kidlen) {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char k[S_KID_LEN], path[600], tmp[640];
    if (cmn_owner_mkdir(dir, 0700) != 0) /* as root: the state dir's owner's */
        return -1;
    crypto_sign_keypair(pk, sk);
    s_kid(pk, k);
    snprintf(path, sizeof(path), "%s/%013llu-%s.key", dir, (unsigned long long)cmn_time_now_ms(),
             k);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    /* Run as root (account-svc --new-signing-key, dvcctl rotate-key), the key goes to the
     * owner of keys/ (dvcid): a root-owned 0600 key would stop sign-ins at the next start. */
    int ok = fd >= 0 && write(fd, sk, sizeof(sk)) == (ssize_t)sizeof(sk) &&
             cmn_owner_like_dir(fd, path) == 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    cmn_wipe(sk, sizeof(sk));
    if (!ok || rename(tmp, path) != 0) {
        CMN_ERROR(NULL, "cannot write signing key %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    snprintf(kid, kidlen, "%s", k);
    CMN_INFO(NULL, "created signing key %s", path);
    return 0;
}

/* Newest first: file names start with the creation time. */
static int s_by_name_desc(const void *a, const void *b) {
    return -strcmp(((const s_key_t *)a)->name, ((const s_key_t *)b)->name);
}

static int s_load(acct_keys_t *self, const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) && self->n < S_MAX_KEYS) {
        size_t len = strlen(e->d_name);
        if (len < 5 || len >= sizeof(self->keys[0].name) ||
            strcmp(e->d_name + len - 4, ".key") != 0)
            continue;
        s_key_t *k = &self->keys[self->n];
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t got = fd >= 0 ? read(fd, k->sk, sizeof(k->sk)) : -1;
        if (fd >= 0)
            close(fd);
        if (got != (ssize_t)sizeof(k->sk)) {
            CMN_ERROR(NULL, "signing key %s is unreadable", path);
            closedir(d);
            return -1;
        }
        uint8_t pk[crypto_sign_PUBLICKEYBYTES];
        crypto_sign_ed25519_sk_to_pk(pk, k->sk);
        s_kid(pk, k->kid);
        s_b64(pk, sizeof(pk), k->x, sizeof(k->x));
        memcpy(k->name, e->d_name, len + 1); /* len < sizeof(name), checked above */
        self->n++;
    }
    closedir(d);
    qsort(self->keys, self->n, sizeof(s_key_t), s_by_name_desc);
    return 0;
}

acct_keys_t *acct_keys_new(const char *dir) {
    acct_keys_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    char kid[S_KID_LEN];
    if (cmn_owner_mkdir(dir, 0700) != 0)
        goto fail;
    /* Instances starting together on one directory: one makes the first key, the others
     * wait on the lock and load it. */
    int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        if (lock >= 0)
            close(lock);
        goto fail;
    }
    int bad =
        s_load(self, dir) != 0 ||
        (self->n == 0 && (acct_keys_create(dir, kid, sizeof(kid)) != 0 || s_load(self, dir) != 0));
    close(lock); /* releases the lock */
    if (bad || self->n == 0)
        goto fail;
    CMN_INFO(NULL, "%zu signing key(s); kid %s signs", self->n, self->keys[0].kid);
    return self;
fail:
    CMN_ERROR(NULL, "cannot load the signing keys in %s", dir);
    acct_keys_destroy(&self);
    return NULL;
}

void acct_keys_destroy(acct_keys_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_wipe(*self_p, sizeof(**self_p));
    free(*self_p);
    *self_p = NULL;
}

size_t acct_keys_count(const acct_keys_t *self) { return self->n; }
const char *acct_keys_kid(const acct_keys_t *self, size_t i) {
    return i < self->n ? self->keys[i].kid : NULL;
}
const char *acct_keys_x(const acct_keys_t *self, size_t i) {
    return i < self->n ? self->keys[i].x : NULL;
}

/* base64url of a JSON object's compact text. Returns a malloc'd string or NULL. */
static char *s_b64_json(json_t *obj) {
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    if (!text)
        return NULL;
    size_t len = strlen(text), outlen = S_B64(len);
    char *out = malloc(outlen);
    if (out)
        s_b64((const uint8_t *)text, len, out, outlen);
    free(text);
    return out;
}

int acct_keys_sign(const acct_keys_t *self, const cmn_config_t *cfg, const char *sub,
                   uint64_t now_ms, char **out) {
    const s_key_t *k = &self->keys[0];
    json_int_t iat = (json_int_t)(now_ms / 1000u);
    char *head =
        s_b64_json(json_pack("{s:s, s:s, s:s}", "alg", "EdDSA", "typ", "JWT", "kid", k->kid));
    char *body = s_b64_json(json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:[s,s]}", "iss", cfg->token_issuer, "aud", cfg->token_audience,
        "sub", sub, "iat", iat, "exp", iat + cfg->token_access_ttl, "amr", "pwd", "otp"));
    int rc = -1;
    if (head && body) {
        size_t hl = strlen(head), bl = strlen(body);
        size_t siglen = S_B64(crypto_sign_BYTES);
        char *jwt = malloc(hl + 1 + bl + 1 + siglen);
        if (jwt) {
            memcpy(jwt, head, hl);
            jwt[hl] = '.';
            memcpy(jwt + hl + 1, body, bl + 1);
            uint8_t sig[crypto_sign_BYTES];
            crypto_sign_detached(sig, NULL, (const uint8_t *)jwt, hl + 1 + bl, k->sk);
            jwt[hl + 1 + bl] = '.';
            s_b64(sig, sizeof(sig), jwt + hl + 1 + bl + 1, siglen);
            *out = jwt;
            rc = 0;
        }
    }
    free(head);
    free(body);
    return rc;
}
