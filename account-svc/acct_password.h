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
    char hash[crypto_pwhash_STRBYTES];
    int failed;
} acct_password_job_t;

/* Copies password. NULL on failure. */
acct_password_job_t *acct_password_job_new(const char *password, int ops, int mem_mib);
void acct_password_job_destroy(acct_password_job_t **self_p);

/* Pool work function: hashes job->password into job->hash and wipes the password. */
void acct_password_job_run(void *job);

#endif
