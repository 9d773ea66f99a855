/* dvcctl: the ops team's command. Each command is one function over the loaded
 * configuration; it prints to stdout, errors to stderr, and returns the exit code
 * (0 done, 1 failed, 2 bad usage, 3 a service did not answer). */
#ifndef DVCCTL_H
#define DVCCTL_H

#include "cmn_config.h"
#include "proto/dvcid.pb-c.h"

enum { DVCCTL_OK = 0, DVCCTL_FAILED = 1, DVCCTL_USAGE = 2, DVCCTL_UNREACHABLE = 3 };

typedef int(dvcctl_cmd_fn)(const cmn_config_t *cfg, int argc, char **argv);

int dvcctl_status(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_account(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_unlock(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_dead_list(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_dead_retry(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_sms_status(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_rotate_key(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_keygen(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_shards(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_shard_prune(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_import(const cmn_config_t *cfg, int argc, char **argv);
int dvcctl_sms(const cmn_config_t *cfg, int argc, char **argv);

/* Unix ms as UTC ISO 8601 into out ("-" for 0); returns out. */
const char *dvcctl_time(uint64_t ms, char *out, size_t outlen);

/* The instance list of one shard of eps (cmn_endpoints syntax, "@KEY"s kept). */
typedef struct cmn_endpoints cmn_endpoints_t;
void dvcctl_shard_list(const cmn_endpoints_t *eps, int shard, char *out, size_t outlen);

/* dvcctl_call to the account shard that owns req's key (any instance that answers). */
int dvcctl_call_account(const cmn_config_t *cfg, Dvcid__Request *req, Dvcid__Reply **reply);

/* Sends req to endpoint and waits; prints the failure and returns DVCCTL_UNREACHABLE
 * or DVCCTL_FAILED (an error reply, explained) when it does not work out. */
int dvcctl_call(const cmn_config_t *cfg, const char *endpoint, Dvcid__Request *req,
                Dvcid__Reply **reply);

#endif
