/* cmn_owner and its callers (issue 20.3): key files made as root in a directory of
 * another user (dvcid) belong to that user, so the services can read them: a new
 * signing key (acct_keys_create: account-svc --new-signing-key, dvcctl rotate-key), its
 * keys directory, and the key files of cmn_key_load (replies.key, captcha.key). Run as
 * another user, the files stay that user's; the root-only part is then skipped (77)
 * after the rest has been checked. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acct_keys.h"
#include "cmn_crypto.h"
#include "cmn_owner.h"
#include "tap.h"

#define S_UID 65534 /* nobody: any owner other than root */
#define S_GID 65534

static int s_owner(const char *path, uid_t *uid, gid_t *gid, mode_t *mode) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    *uid = st.st_uid;
    *gid = st.st_gid;
    *mode = st.st_mode & 07777;
    return 0;
}

/* "uid:gid mode" of the signing key of kid in keys ("" when none), as stat(1) says it. */
static void s_key_stat(const char *keys, const char *kid, char *out, size_t outlen) {
    out[0] = '\0';
    DIR *d = opendir(keys);
    char suffix[64], path[512];
    snprintf(suffix, sizeof(suffix), "-%s.key", kid);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        size_t n = strlen(e->d_name), m = strlen(suffix);
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", keys, e->d_name);
        if (n > m && strcmp(e->d_name + n - m, suffix) == 0 && stat(path, &st) == 0)
            snprintf(out, outlen, "%u:%u %o\n", (unsigned)st.st_uid, (unsigned)st.st_gid,
                     (unsigned)(st.st_mode & 07777));
    }
    if (d)
        closedir(d);
}

int main(void) {
    char dir[] = "/tmp/dvcid-owner-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    cmn_crypto_init();
    int root = geteuid() == 0;
    /* The state directory belongs to the service's user (dvcid on a host; nobody here). */
    uid_t want_uid = root ? S_UID : geteuid();
    gid_t want_gid = root ? S_GID : getegid();
    if (root)
        CHECK(chown(dir, S_UID, S_GID) == 0, "chown the state dir");
    char path[256], keys[256], kid[32];
    uint8_t key[CMN_KEY_BYTES];
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;

    /* A key file made by cmn_key_load (replies.key). */
    snprintf(path, sizeof(path), "%s/replies.key", dir);
    CHECK(cmn_key_load(path, key) == 0, "replies.key created");
    CHECK(s_owner(path, &uid, &gid, &mode) == 0 && mode == 0600, "replies.key 0600 (%o)", mode);
    CHECK(uid == want_uid && gid == want_gid, "replies.key owner %u:%u, want %u:%u", (unsigned)uid,
          (unsigned)gid, (unsigned)want_uid, (unsigned)want_gid);

    /* A signing key and the keys directory it makes (dvcctl rotate-key). */
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    CHECK(acct_keys_create(keys, kid, sizeof(kid)) == 0, "signing key created");
    CHECK(s_owner(keys, &uid, &gid, &mode) == 0 && mode == 0700, "keys/ 0700 (%o)", mode);
    CHECK(uid == want_uid && gid == want_gid, "keys/ owner %u:%u", (unsigned)uid, (unsigned)gid);
    acct_keys_t *loaded = acct_keys_new(keys);
    CHECK(loaded != NULL, "the new key loads");
    acct_keys_destroy(&loaded);
    if (root) { /* what matters: the service's user reads both at its next start */
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            acct_keys_t *k = NULL;
            int ok = setgid(S_GID) == 0 && setuid(S_UID) == 0 &&
                     (k = acct_keys_new(keys)) != NULL && cmn_key_load(path, key) == 0;
            acct_keys_destroy(&k);
            _exit(ok ? 0 : 1);
        }
        int status = 0;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                  WEXITSTATUS(status) == 0,
              "uid %d reads the keys root made (status %d)", S_UID, status);
    }
    char line[64];
    s_key_stat(keys, kid, line, sizeof(line));
    char want[64];
    snprintf(want, sizeof(want), "%u:%u 600\n", (unsigned)want_uid, (unsigned)want_gid);
    CHECK(strcmp(line, want) == 0, "signing key %s: %s, want %s", kid, line, want);

    /* A second key in a keys/ that exists: owned like it too. */
    CHECK(acct_keys_create(keys, kid, sizeof(kid)) == 0, "second signing key");
    s_key_stat(keys, kid, line, sizeof(line));
    CHECK(strcmp(line, want) == 0, "second key: %s", line);

    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    int rc = TEST_DONE();
    if (rc == 0 && !root) {
        printf("SKIP: not root: the chown to another owner is not tested\n");
        return 77;
    }
    return rc;
}
