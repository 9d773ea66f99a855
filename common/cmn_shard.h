/* cmn_shard: which account shard owns a record.
 *
 * Everything about one account (the account, its flows, sessions, lockout counter)
 * lives on one shard, chosen by a 16-bit shard key taken from a hash of the ID
 * number. Flow ids and session tokens carry that key in clear (bytes 6-7 of an id,
 * after its 6 bytes of time; bytes 0-1 of a token), so any gateway routes a later
 * step without a lookup and without state of its own.
 *
 * shard = key mod N. Going from N to 2N shards, every record of shard k stays on k
 * or moves to k + N, so a split is: copy shard k to k + N, switch, prune each side
 * (docs/SHARDING.md). The hash is unkeyed on purpose: the map must be the same on
 * every host and survive key rotation; it decides placement only, never access. */
#ifndef CMN_SHARD_H
#define CMN_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmn_id.h"
#include "proto/dvcid.pb-c.h"

#define CMN_SHARD_MAX 64 /* shards one deployment may name */

/* The shard key of an ID number (any string: a malformed one still gets a shard,
 * which then refuses it with the same error any shard would give). */
uint16_t cmn_shard_key_of_id_number(const char *id_number);

/* The shard of key among nshards (nshards >= 1). */
int cmn_shard_of(uint16_t key, int nshards);

/* A random key that lands on shard among nshards: for records with no ID number
 * yet (captchas), so they stay where they were made and still split cleanly. */
uint16_t cmn_shard_key_random(int shard, int nshards);

/* Ids: a new time-ordered id whose bytes 6-7 carry key; the key an id carries. */
void cmn_shard_id_make(uint8_t id[CMN_ID_BYTES], uint16_t key);
void cmn_shard_id_set_key(uint8_t id[CMN_ID_BYTES], uint16_t key);
uint16_t cmn_shard_id_key(const uint8_t id[CMN_ID_BYTES]);

/* The key of a hex id as the gateway sees it in a path: false when hex does not
 * start with 16 hex digits (the step then goes to any shard, which answers 404). */
bool cmn_shard_hex_key(const char *hex, uint16_t *key);

/* The key of a session token (base64url of 32 bytes whose first two are the key):
 * false when the token is too short or not base64url. */
bool cmn_shard_token_key(const char *token, uint16_t *key);

/* The data directory name of a shard of service base: base itself with one shard,
 * "base-S" with several (one LMDB environment each; a split copies one to another). */
void cmn_shard_dir(const char *base, int shard, int nshards, char *out, size_t outlen);

/* Where a request to account-svc goes: to the shard of its key, to any shard (a
 * new captcha), or to every shard (readiness, metrics, signing keys), as dvcid.proto
 * states for its oneof case (proto/dvcid_shard.h). A keyed request whose key cannot
 * be read (a malformed flow id) goes to any shard, which answers it as unknown. */
typedef enum { CMN_SHARD_ANY = 0, CMN_SHARD_KEYED, CMN_SHARD_ALL } cmn_shard_route_t;
cmn_shard_route_t cmn_shard_route(const Dvcid__Request *req, uint16_t *key);

#endif
