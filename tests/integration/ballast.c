/* dvcid-ballast: fills a running service's LMDB environment with a table of filler until
 * only a given room is left in its map, so that test_storage_full.py reaches a full store
 * after hundreds of requests instead of tens of thousands (each slow under the
 * sanitizers). LMDB lets a second process write to the environment: the service sees the
 * table as any other commit, and never opens it.
 *
 *   dvcid-ballast DIR LEAVE_KIB
 *
 * Exits 0 once the map's used pages come within LEAVE_KIB of its size, 1 on an error. */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_VALUE = 1000, S_PER_TXN = 8 };

static int s_used_room(MDB_env *env, size_t *used, size_t *map) {
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0)
        return -1;
    *used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
    *map = info.me_mapsize;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: dvcid-ballast DIR LEAVE_KIB\n");
        return 1;
    }
    size_t leave = (size_t)strtoul(argv[2], NULL, 10) * 1024;
    MDB_env *env = NULL;
    int rc = mdb_env_create(&env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(env, 32);
    /* Opened at one page (LMDB raises it to the pages in use), then the map size the
     * environment records, the service's: a commit of ours records ours, and a larger one
     * would grow the service's map past its limit. */
    if (rc == 0)
        rc = mdb_env_set_mapsize(env, 4096);
    if (rc == 0)
        rc = mdb_env_open(env, argv[1], MDB_NOTLS, 0600);
    if (rc == 0)
        rc = mdb_env_set_mapsize(env, 0);
    uint8_t value[S_VALUE];
    memset(value, 0x5a, sizeof(value));
    uint64_t n = 0;
    size_t used = 0, map = 0;
    while (rc == 0 && (rc = s_used_room(env, &used, &map)) == 0 && used + leave < map) {
        MDB_txn *txn = NULL;
        MDB_dbi dbi;
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc == 0)
            rc = mdb_dbi_open(txn, "ballast", MDB_CREATE, &dbi);
        for (int i = 0; rc == 0 && i < S_PER_TXN; i++, n++) {
            MDB_val k = {sizeof(n), &n}, v = {sizeof(value), value};
            rc = mdb_put(txn, dbi, &k, &v, 0);
        }
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else if (txn)
            mdb_txn_abort(txn);
    }
    if (rc != 0)
        fprintf(stderr, "dvcid-ballast %s: %s\n", argv[1],
                rc < 0 ? "no env info" : mdb_strerror(rc));
    else
        printf("dvcid-ballast %s: %llu values, %zu of %zu bytes used\n", argv[1],
               (unsigned long long)n, used, map);
    if (env)
        mdb_env_close(env);
    return rc == 0 ? 0 : 1;
}
