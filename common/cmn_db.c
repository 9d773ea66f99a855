/* cmn_db: one LMDB environment per service, opened with durable commits. */
#include "cmn_db.h"

#include <errno.h>
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "cmn_time.h"

#include "cmn_log.h"

#define S_MAX_DBS 16

struct cmn_db {
    MDB_env *env;
    MDB_dbi dbi[S_MAX_DBS];
    int ndbi;
    char dir[4096];
    uint64_t max_map, min_free;
    uint64_t disk_free, disk_size, disk_checked_ms; /* statvfs, at most once a second */
};

static _Thread_local uint64_t s_faults;
static _Thread_local int s_map_full;
static _Thread_local uint64_t s_writes;

uint64_t cmn_db_faults(void) { return s_faults; }
uint64_t cmn_db_writes(void) { return s_writes; }

/* A write's LMDB code, counted as a write when it went through. */
static int s_wrote(int rc) {
    if (rc == 0)
        s_writes++;
    return rc;
}

int cmn_db_wrote(int rc) { return s_wrote(rc); }

int cmn_db_map_full_take(void) {
    int was = s_map_full;
    s_map_full = 0;
    return was;
}

int cmn_db_note(int rc) {
    switch (rc) {
    case MDB_MAP_FULL:
        s_map_full = 1;
        /* fall through */
    case MDB_TXN_FULL:
    case MDB_PAGE_FULL:
    case MDB_CURSOR_FULL:
    case MDB_BAD_TXN:
    case MDB_MAP_RESIZED:
    case MDB_READERS_FULL:
    case EIO:
    case ENOSPC:
    case ENOMEM:
    case EDQUOT:
        s_faults++;
        break;
    default:
        break;
    }
    return rc;
}

cmn_db_t *cmn_db_new(const char *dir, size_t map_mib, const char *const *names, int nnames) {
    if (nnames > S_MAX_DBS)
        return NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        CMN_ERROR(NULL, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    cmn_db_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    snprintf(self->dir, sizeof(self->dir), "%s", dir);
    self->max_map = (uint64_t)map_mib << 20;
    self->disk_checked_ms = 0;
    int rc = mdb_env_create(&self->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(self->env, S_MAX_DBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(self->env, map_mib * 1024u * 1024u);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(self->env, 256);
    /* No MDB_NOSYNC / MDB_NOMETASYNC / MDB_MAPASYNC: every commit is durable. */
    if (rc == 0)
        rc = mdb_env_open(self->env, dir, MDB_NOTLS, 0600);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot open LMDB in %s: %s", dir, mdb_strerror(rc));
        cmn_db_destroy(&self);
        return NULL;
    }
    int dead = 0;
    mdb_reader_check(self->env, &dead);
    if (dead)
        CMN_WARN(NULL, "cleared %d stale LMDB reader slots in %s", dead, dir);
    MDB_txn *txn = NULL;
    rc = cmn_db_txn_begin(self, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < nnames; i++)
        rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &self->dbi[i]);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot open databases in %s: %s", dir, mdb_strerror(rc));
        cmn_db_destroy(&self);
        return NULL;
    }
    self->ndbi = nnames;
    return self;
}

void cmn_db_destroy(cmn_db_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_db_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env);
    free(self);
    *self_p = NULL;
}

MDB_env *cmn_db_env(cmn_db_t *self) { return self->env; }

MDB_dbi cmn_db_dbi(cmn_db_t *self, int i) { return i >= 0 && i < self->ndbi ? self->dbi[i] : 0; }

int cmn_db_reader_check(cmn_db_t *self) {
    int dead = 0;
    int rc = mdb_reader_check(self->env, &dead);
    return rc == 0 ? dead : -1;
}

void cmn_db_limits_set(cmn_db_t *self, uint64_t max_map, uint64_t min_free) {
    MDB_envinfo info;
    uint64_t now = mdb_env_info(self->env, &info) == 0 ? info.me_mapsize : 0;
    self->max_map = max_map > now ? max_map : now;
    self->min_free = min_free;
    self->disk_checked_ms = 0;
}

static void s_disk_check(cmn_db_t *self, int force) {
    uint64_t now = cmn_time_mono_ms();
    if (!force && self->disk_checked_ms && now - self->disk_checked_ms < 1000)
        return;
    struct statvfs vfs;
    if (statvfs(self->dir, &vfs) == 0) {
        self->disk_free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        self->disk_size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
    }
    self->disk_checked_ms = now ? now : 1;
}

int cmn_db_usage(cmn_db_t *self, cmn_db_usage_t *u) {
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(self->env, &info) != 0 || mdb_env_stat(self->env, &st) != 0)
        return -1;
    s_disk_check(self, 0);
    u->used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    u->map = info.me_mapsize;
    u->max_map = self->max_map;
    u->disk_free = self->disk_free;
    u->disk_size = self->disk_size;
    u->min_free = self->min_free;
    return 0;
}

int cmn_db_grow(cmn_db_t *self, int force) {
    cmn_db_usage_t u;
    if (cmn_db_usage(self, &u) != 0)
        return -1;
    if (!force && u.used < u.map / 5 * 4)
        return 0;
    if (u.map >= self->max_map)
        return 0;
    uint64_t want = u.map * 2 < self->max_map ? u.map * 2 : self->max_map;
    int rc = mdb_env_set_mapsize(self->env, (size_t)want);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot grow the LMDB map of %s to %llu MiB: %s", self->dir,
                  (unsigned long long)(want >> 20), mdb_strerror(rc));
        return -1;
    }
    CMN_INFO(NULL, "LMDB map of %s grown from %llu to %llu MiB (%llu MiB in use)", self->dir,
             (unsigned long long)(u.map >> 20), (unsigned long long)(want >> 20),
             (unsigned long long)(u.used >> 20));
    return 1;
}

int cmn_db_writable(cmn_db_t *self) {
    if (!self->min_free)
        return 1;
    s_disk_check(self, 0);
    return !self->disk_size || self->disk_free >= self->min_free;
}

int cmn_db_roomy(cmn_db_t *self) {
    cmn_db_usage_t u;
    if (cmn_db_usage(self, &u) != 0)
        return 0;
    /* The current map: this batch commits within it (growth comes between batches). */
    uint64_t room = u.map > u.used ? u.map - u.used : 0;
    return room >= CMN_DB_SPARE && (!u.disk_size || u.disk_free >= u.min_free + CMN_DB_SPARE);
}

int cmn_db_txn_begin(cmn_db_t *self, MDB_txn *parent, unsigned flags, MDB_txn **txn) {
    int rc = mdb_txn_begin(self->env, parent, flags, txn);
    if (rc == MDB_MAP_RESIZED && !parent) {
        /* Another process grew the map: adopt its size (0 reads it from the file). */
        rc = mdb_env_set_mapsize(self->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin(self->env, NULL, flags, txn);
    }
    if (rc != 0)
        *txn = NULL;
    return cmn_db_note(rc);
}

/* LMDB's put flags for a cmn_db put's noover (CMN_DB_NOOVER, CMN_DB_APPEND). */
static unsigned s_put_flags(int noover) {
    return (noover ? MDB_NOOVERWRITE : 0u) | ((noover & CMN_DB_APPEND) ? MDB_APPEND : 0u);
}

static int s_rc(int rc, const char *what) {
    cmn_db_note(rc);
    if (rc == 0)
        return CMN_DB_OK;
    if (rc == MDB_NOTFOUND)
        return CMN_DB_NOTFOUND;
    if (rc == MDB_KEYEXIST)
        return CMN_DB_EXISTS;
    CMN_ERROR(NULL, "LMDB %s: %s", what, mdb_strerror(rc));
    return CMN_DB_ERROR;
}

int cmn_db_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *val) {
    MDB_val k = {klen, (void *)key};
    return s_rc(mdb_get(txn, dbi, &k, val), "get");
}

int cmn_db_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *val,
               size_t vlen, int noover) {
    MDB_val k = {klen, (void *)key};
    MDB_val v = {vlen, (void *)val};
    return s_rc(s_wrote(mdb_put(txn, dbi, &k, &v, s_put_flags(noover))), "put");
}

int cmn_db_del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen) {
    MDB_val k = {klen, (void *)key};
    return s_rc(s_wrote(mdb_del(txn, dbi, &k, NULL)), "del");
}

int cmn_db_put_msg(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, const void *msg,
                   int noover) {
    const ProtobufCMessage *m = msg;
    size_t len = protobuf_c_message_get_packed_size(m);
    MDB_val k = {klen, (void *)key};
    MDB_val v = {len, NULL};
    /* MDB_RESERVE lets protobuf-c pack straight into the page. */
    int rc = mdb_put(txn, dbi, &k, &v, MDB_RESERVE | s_put_flags(noover));
    if (rc == 0)
        protobuf_c_message_pack(m, v.mv_data);
    return s_rc(s_wrote(rc), "put");
}

int cmn_db_each(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen, cmn_db_each_fn *fn,
                void *arg) {
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return s_rc(rc, "cursor open");
    MDB_val k = {plen, (void *)prefix}, v;
    int answer = CMN_DB_EACH_NEXT;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) {
            rc = MDB_NOTFOUND; /* past the prefix: the end */
            break;
        }
        answer = fn(&k, &v, arg);
        if (answer == CMN_DB_EACH_STOP || answer < 0)
            break;
        /* After a delete LMDB's cursor stands on the next record, which MDB_NEXT returns. */
        if (answer == CMN_DB_EACH_DELETE && (rc = s_wrote(mdb_cursor_del(cur, 0))) != 0)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return s_rc(rc, "each");
    if (answer < 0)
        return -1;
    return answer == CMN_DB_EACH_STOP ? 1 : 0;
}

/* Moves cur to the first record of the group after the one k is in (keys ordered by
 * memcmp: the group prefix plus one, as a big-endian number). Returns an LMDB code;
 * MDB_NOTFOUND when k is in the last group. */
static int s_next_group(MDB_cursor *cur, MDB_val *k, MDB_val *v, size_t group_len) {
    uint8_t next[CMN_DB_KEY_MAX];
    if (group_len == 0 || group_len > sizeof(next) || k->mv_size < group_len)
        return MDB_NOTFOUND;
    memcpy(next, k->mv_data, group_len);
    size_t i = group_len;
    while (i > 0 && ++next[i - 1] == 0)
        i--;
    if (i == 0)
        return MDB_NOTFOUND; /* 0xff...ff: no group after it */
    k->mv_size = group_len;
    k->mv_data = next;
    return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

int cmn_db_sweep(MDB_txn *txn, MDB_dbi dbi, uint64_t now, cmn_db_expired_fn *expired,
                 const void *arg, cmn_db_sweep_pos_t *pos) {
    if (pos && !pos->started && now < pos->next_lap_ms) {
        pos->behind = 0;
        return 0; /* resting between passes */
    }
    MDB_cursor *cur;
    if (cmn_db_note(mdb_cursor_open(txn, dbi, &cur)) != 0)
        return -1;
    MDB_val k, v;
    int rc;
    if (pos && pos->started) {
        k.mv_size = pos->klen;
        k.mv_data = pos->key;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    int n = 0;
    size_t seen = 0;
    if (pos)
        pos->behind = 0;
    while (rc == 0) {
        if (pos && seen == CMN_DB_SWEEP_BUDGET) {
            if (k.mv_size <= sizeof(pos->key)) {
                memcpy(pos->key, k.mv_data, k.mv_size);
                pos->klen = k.mv_size;
                pos->behind = 1;
            }
            pos->started = pos->behind;
            break;
        }
        seen++;
        if (!expired(&v, now, arg)) {
            if (pos && pos->ordered) {
                /* The rest of this group (or table) expires later. */
                rc = s_next_group(cur, &k, &v, pos->group_len);
                continue;
            }
        } else if (cmn_db_note(s_wrote(mdb_cursor_del(cur, 0))) == 0) {
            n++;
        } else {
            rc = -1; /* the transaction is dead after a failed write */
            break;
        }
        /* After a delete LMDB's cursor stands on the next record, which MDB_NEXT returns. */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND && pos) {
        pos->started = 0; /* the end of a pass: the next begins at the first record */
        pos->next_lap_ms = now + (pos->lap_ms ? pos->lap_ms : CMN_DB_SWEEP_LAP_MS);
    }
    return rc == 0 || rc == MDB_NOTFOUND ? n : -1;
}
