/* acct_password: the argon2id job. */
#include "acct_password.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmn_crypto.h"

acct_password_job_t *acct_password_job_new(const char *password, int ops, int mem_mib) {
    acct_password_job_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->password = strdup(password);
    if (!self->password) {
        free(self);
        return NULL;
    }
    self->ops = (unsigned long long)ops;
    self->mem_bytes = (size_t)mem_mib * 1024u * 1024u;
    return self;
}

acct_password_job_t *acct_password_job_verify(const char *password, const char *stored, int ops,
                                              int mem_mib) {
    if (strlen(stored) >= crypto_pwhash_STRBYTES)
        return NULL;
    acct_password_job_t *self = acct_password_job_new(password, ops, mem_mib);
    if (!self)
        return NULL;
    self->verify = 1;
    memcpy(self->stored, stored, strlen(stored) + 1);
    return self;
}

void acct_password_job_destroy(acct_password_job_t **self_p) {
    if (!self_p || !*self_p)
        return;
    acct_password_job_t *self = *self_p;
    if (self->password) {
        cmn_wipe(self->password, strlen(self->password));
        free(self->password);
    }
    free(self);
    *self_p = NULL;
}

void acct_password_job_run(void *arg) {
    acct_password_job_t *self = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t len = strlen(self->password);
    if (self->verify) {
        self->ok = crypto_pwhash_str_verify(self->stored, self->password, len) == 0;
        /* ASVS: a hash made with weaker parameters is replaced at the next sign-in. */
        if (self->ok &&
            crypto_pwhash_str_needs_rehash(self->stored, self->ops, self->mem_bytes) != 0)
            self->rehashed =
                crypto_pwhash_str(self->hash, self->password, len, self->ops, self->mem_bytes) == 0;
    } else {
        self->failed =
            crypto_pwhash_str(self->hash, self->password, len, self->ops, self->mem_bytes) != 0;
    }
    cmn_wipe(self->password, len);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    self->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}
