/* dvcid_shard: what each Request says about its account shard, as dvcid.proto states it.
 *
 * Every case of Request's oneof carries a "// shard: ..." statement in proto/dvcid.proto;
 * proto/shard.cmake turns them into dvcid_shard_field() at build time and stops the build
 * at a case that has none, so a new request cannot fall silently to "any shard". The
 * gateway (routing), account-svc (its ownership check) and dvcctl (its account commands)
 * all read it through cmn_shard_route(), which turns the field into a key. */
#ifndef DVCID_SHARD_H
#define DVCID_SHARD_H

#include "proto/dvcid.pb-c.h"

typedef enum {
    DVCID_SHARD_BY_NOT_SET = 0, /* no body (body_case not set) */
    DVCID_SHARD_BY_ALL,         /* every shard */
    DVCID_SHARD_BY_ANY,         /* any one shard: an account-svc request with no key */
    DVCID_SHARD_BY_NONE,        /* not an account-svc request */
    DVCID_SHARD_BY_ID_NUMBER,   /* the field is an ID number */
    DVCID_SHARD_BY_ID,          /* the field is a hex id carrying its key (cmn_shard_id_make) */
    DVCID_SHARD_BY_TOKEN        /* the field is a session token carrying its key */
} dvcid_shard_by_t;

/* How req's body chooses its shard; for the keyed kinds sets *field to the string the
 * key comes from (else NULL). req's body must be set as its case says. */
dvcid_shard_by_t dvcid_shard_field(const Dvcid__Request *req, const char **field);

#endif
