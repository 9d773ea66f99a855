/* cmn_owner: chown of new key files and directories to their directory's owner, as root. */
#include "cmn_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_log.h"

/* The directory part of path into out ("." when there is none). Returns 0 or -1. */
static int s_parent(const char *path, char *out, size_t outlen) {
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash && n == 0)
        n = 1; /* "/x": the root */
    if ((slash ? n : 1) >= outlen)
        return -1;
    if (slash)
        memcpy(out, path, n);
    else
        out[n++] = '.';
    out[n] = '\0';
    return 0;
}

/* The owner of the directory holding path, or -1 (logged). */
static int s_dir_owner(const char *path, struct stat *st) {
    char dir[4096];
    if (s_parent(path, dir, sizeof(dir)) != 0 || stat(dir, st) != 0) {
        CMN_ERROR(NULL, "cannot read the owner of the directory of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cmn_owner_like_dir(int fd, const char *path) {
    if (geteuid() != 0)
        return 0;
    struct stat st;
    if (s_dir_owner(path, &st) != 0)
        return -1;
    if (fchown(fd, st.st_uid, st.st_gid) != 0) {
        CMN_ERROR(NULL, "cannot give %s to its directory's owner (uid %u): %s", path,
                  (unsigned)st.st_uid, strerror(errno));
        return -1;
    }
    if (st.st_uid != 0)
        CMN_INFO(NULL, "%s made as root, given to uid %u (its directory's owner)", path,
                 (unsigned)st.st_uid);
    return 0;
}

int cmn_owner_dir_like_parent(const char *path) {
    if (geteuid() != 0)
        return 0;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        CMN_ERROR(NULL, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = cmn_owner_like_dir(fd, path);
    close(fd);
    return rc;
}

int cmn_owner_mkdir(const char *path, unsigned mode) {
    if (mkdir(path, (mode_t)mode) != 0)
        return errno == EEXIST ? 0 : -1;
    if (cmn_owner_dir_like_parent(path) != 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}
