/* lg_ceiling: the machine's own ceilings that a dvcid run is compared with, measured the way
 * the services spend them: argon2id password checks (libsodium, as account-svc does them)
 * on every core, and durable LMDB commits (one put, one synced commit per transaction, as a
 * service's group commit does at least once per batch) on the data directory's disk. */
#ifndef LG_CEILING_H
#define LG_CEILING_H

/* `dvcid-load argon2 [--ops N] [--mem-mib M] [--threads T] [--duration S] [--json]`:
 * argv[0] is "argon2". Returns the exit status. */
int lg_ceiling_argon2(int argc, char **argv);

/* `dvcid-load commits --dir DIR [--duration S] [--value-bytes N] [--json]`: argv[0] is
 * "commits". DIR is created if missing; the LMDB files are removed afterwards. Returns the
 * exit status. */
int lg_ceiling_commits(int argc, char **argv);

/* `dvcid-load smpp-ceiling --host H --port P [--system-id S] [--password W] [--source S]
 * [--window W] [--count N] [--timeout S] [--json]`: argv[0] is "smpp-ceiling". A plain SMPP
 * client (bind_transceiver, a window of submit_sm) against an SMSC: the submit_sm/s that
 * sms-worker's `smpp` provider is compared with. Returns the exit status. */
int lg_ceiling_smpp(int argc, char **argv);

/* A whole decimal number in [lo, hi] into *out: 0, or -1 for anything else. */
int lg_ceiling_long(const char *v, long lo, long hi, long *out);

#endif
