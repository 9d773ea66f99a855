/* dvcctl account / unlock / rotate-key: what account-svc owns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_keys.h"
#include "acct_service.h"
#include "cmn_main.h"
#include "cmn_shard.h"
#include "dvcctl.h"

static void s_time(uint64_t ms, char *out, size_t outlen) {
    time_t t = (time_t)(ms / 1000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int dvcctl_account(const cmn_config_t *cfg, int argc, char **argv) {
    if (argc != 1) {
        fprintf(stderr, "usage: dvcctl account ID_NUMBER\n");
        return DVCCTL_USAGE;
    }
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__AdminAccountGet m = DVCID__ADMIN_ACCOUNT_GET__INIT;
    m.id_number = argv[0];
    req.body_case = DVCID__REQUEST__BODY_ADMIN_ACCOUNT_GET;
    req.admin_account_get = &m;
    req.trace_id = "dvcctl";
    Dvcid__Reply *r = NULL;
    int rc = dvcctl_call_account(cfg, &req, &r);
    if (rc != DVCCTL_OK)
        return rc;
    if (r->body_case != DVCID__REPLY__BODY_ADMIN_ACCOUNT) {
        dvcid__reply__free_unpacked(r, NULL);
        return DVCCTL_FAILED;
    }
    const Dvcid__AdminAccountReply *a = r->admin_account;
    char created[32], until[32];
    s_time(a->created_ms, created, sizeof(created));
    printf("account   %s\nname      %s\ncreated   %s\nphones   ", a->id_number_masked, a->full_name,
           created);
    for (size_t i = 0; i < a->n_phones; i++)
        printf(" %s%s", a->phones[i]->phone_masked, a->phones[i]->primary ? " (primary)" : "");
    printf("\nfailures  %u\n", a->failures);
    if (a->locked_until_ms && a->locked_until_ms > (uint64_t)time(NULL) * 1000u) {
        s_time(a->locked_until_ms, until, sizeof(until));
        printf("locked    until %s\n", until);
    } else {
        printf("locked    no\n");
    }
    dvcid__reply__free_unpacked(r, NULL);
    return DVCCTL_OK;
}

int dvcctl_unlock(const cmn_config_t *cfg, int argc, char **argv) {
    if (argc != 1) {
        fprintf(stderr, "usage: dvcctl unlock ID_NUMBER\n");
        return DVCCTL_USAGE;
    }
    Dvcid__Request req = DVCID__REQUEST__INIT;
    Dvcid__AdminUnlock m = DVCID__ADMIN_UNLOCK__INIT;
    m.id_number = argv[0];
    req.body_case = DVCID__REQUEST__BODY_ADMIN_UNLOCK;
    req.admin_unlock = &m;
    req.trace_id = "dvcctl";
    Dvcid__Reply *r = NULL;
    int rc = dvcctl_call_account(cfg, &req, &r);
    if (rc == DVCCTL_OK) {
        printf("unlocked\n");
        dvcid__reply__free_unpacked(r, NULL);
    }
    return rc;
}

int dvcctl_rotate_key(const cmn_config_t *cfg, int argc, char **argv) {
    char *end = NULL;
    long shard = argc == 1 ? strtol(argv[0], &end, 10) : 0;
    if (argc > 1 || (argc == 1 && (*end || shard < 0 || shard >= CMN_SHARD_MAX))) {
        fprintf(stderr, "usage: dvcctl rotate-key [SHARD]  (the account shard on this host; "
                        "default 0)\n");
        return DVCCTL_USAGE;
    }
    char dir[600], keys[640], kid[32];
    if (acct_service_data_dir(cfg, (int)shard, dir, sizeof(dir)) != 0)
        return DVCCTL_FAILED;
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    if (acct_keys_create(keys, kid, sizeof(kid)) != 0) {
        fprintf(stderr, "dvcctl: cannot create a key in %s\n", keys);
        return DVCCTL_FAILED;
    }
    printf("new signing key %s in %s\nit signs once account-svc reloads (systemctl reload "
           "dvcid-account-svc, or kill -HUP: no restart needed) and is in the JWKS from then; "
           "the old key stays in the JWKS until its file is deleted\n",
           kid, keys);
    return DVCCTL_OK;
}
