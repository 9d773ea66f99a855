/* acct_password: argon2id hashing (crypto_pwhash_str) as a pool job, so a hash
 * (tens of ms, 64 MiB) never runs on the loop that serves other requests. */
#ifndef ACCT_PASSWORD_H
#define ACCT_PASSWORD_H

#include <sodium.h>
#include <stddef.h>

typedef struct {
    char *password; /* malloc'd copy, wiped and freed by acct_password_job_destroy */
    unsigned long long ops;
    size_t mem_bytes;
    int verify;                          /* verify against stored instead of hashing */
    char stored[crypto_pwhash_STRBYTES]; /* verify: the hash to check against */
    char hash[crypto_pwhash_STRBYTES];   /* hash: the new hash; verify: a rehash, if any */
    int failed;                          /* hashing failed (out of memory) */
    int ok;                              /* verify: the password matches */
    int rehashed;
    double seconds; /* argon2id time of the job, for the histogram */ /* verify: hash holds a hash
                                                                         at today's parameters */
} acct_password_job_t;

/* A job that hashes password. NULL on failure. */
acct_password_job_t *acct_password_job_new(const char *password, int ops, int mem_mib);

/* A job that checks password against stored (a crypto_pwhash_str string) and, when it
 * matches a hash weaker than ops/mem_mib, also rehashes it. NULL on failure. */
acct_password_job_t *acct_password_job_verify(const char *password, const char *stored, int ops,
                                              int mem_mib);
void acct_password_job_destroy(acct_password_job_t **self_p);

/* Pool work function: runs the job and wipes the password. */
void acct_password_job_run(void *job);

#endif
