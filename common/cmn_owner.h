/* cmn_owner: key files made by root belong to the directory's owner. An operator runs
 * `account-svc --new-signing-key`, `dvcctl rotate-key` or a service by hand as root; a
 * 0600 key file that root then owns is unreadable to the services (user dvcid) at their
 * next start, and sign-ins stop. Whatever creates a file or directory under a service's
 * state gives it the owner of the directory it is made in. */
#ifndef CMN_OWNER_H
#define CMN_OWNER_H

/* When this process runs as root, gives the open file fd the owner and group of the
 * directory that holds path (the file's own name; only its directory part is read).
 * Does nothing for another user (its files are already its own, as the services' are).
 * Returns 0, or -1 (logged) when the directory cannot be read or the chown fails. */
int cmn_owner_like_dir(int fd, const char *path);

/* The same for a directory just made at path, from its parent. Returns 0 or -1. */
int cmn_owner_dir_like_parent(const char *path);

/* mkdir(path, mode), the new directory owned like its parent (as above); one that exists
 * already is left as it is. Returns 0, or -1 with errno set. */
int cmn_owner_mkdir(const char *path, unsigned mode);

#endif
