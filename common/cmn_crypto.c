/* cmn_crypto: libsodium behind a few calls, so keys, hashes and codes are made
 * one way everywhere. */
#include "cmn_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_log.h"
#include "cmn_owner.h"

int cmn_crypto_init(void) {
    /* libsodium's default source on Linux is one getrandom() system call per call; ids,
     * nonces and codes take several per request. Its internal generator (ChaCha20 keyed
     * from getrandom(), per thread, re-keyed after fork) gives the same guarantees without
     * entering the kernel each time. Must precede sodium_init(). */
    if (randombytes_set_implementation(&randombytes_internal_implementation) != 0) {
        CMN_ERROR(NULL, "cannot select libsodium's internal random generator");
        return -1;
    }
    if (sodium_init() < 0) {
        CMN_ERROR(NULL, "sodium_init failed");
        return -1;
    }
    return 0;
}

static int s_read_all(int fd, uint8_t *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int cmn_key_load(const char *path, uint8_t key[CMN_KEY_BYTES]) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        int rc = s_read_all(fd, key, CMN_KEY_BYTES);
        close(fd);
        if (rc != 0)
            CMN_ERROR(NULL, "key file %s is shorter than %d bytes", path, CMN_KEY_BYTES);
        return rc;
    }
    if (errno != ENOENT) {
        CMN_ERROR(NULL, "cannot open key file %s: %s", path, strerror(errno));
        return -1;
    }
    /* Write to a temporary name of this process and link it in place, so a crash never
     * leaves half a key and, of instances starting together on one directory, the
     * first key linked is the one every instance uses. */
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return -1;
    randombytes_buf(key, CMN_KEY_BYTES);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        CMN_ERROR(NULL, "cannot create key file %s: %s", tmp, strerror(errno));
        return -1;
    }
    /* Made as root (a service run by hand): the service's user must read it later. */
    int ok = write(fd, key, CMN_KEY_BYTES) == CMN_KEY_BYTES && cmn_owner_like_dir(fd, path) == 0 &&
             fsync(fd) == 0;
    close(fd);
    int linked = ok ? link(tmp, path) : -1;
    int why = errno;
    unlink(tmp);
    if (linked != 0 && ok && why == EEXIST)
        return cmn_key_load(path, key); /* another instance made it first: use that one */
    if (linked != 0) {
        CMN_ERROR(NULL, "cannot write key file %s: %s", path, strerror(why));
        return -1;
    }
    CMN_INFO(NULL, "created key file %s", path);
    return 0;
}

void cmn_hash_keyed(const uint8_t key[CMN_KEY_BYTES], const void *const *parts, const size_t *lens,
                    size_t nparts, uint8_t out[CMN_HASH_BYTES]) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, CMN_KEY_BYTES, CMN_HASH_BYTES);
    for (size_t i = 0; i < nparts; i++) {
        /* Length-prefix each part so ("ab","c") and ("a","bc") differ. */
        uint8_t len8[8];
        uint64_t l = lens[i];
        for (int b = 0; b < 8; b++)
            len8[b] = (uint8_t)(l >> (8 * b));
        crypto_generichash_update(&st, len8, sizeof(len8));
        crypto_generichash_update(&st, parts[i], lens[i]);
    }
    crypto_generichash_final(&st, out, CMN_HASH_BYTES);
}

int cmn_hash_equal(const uint8_t a[CMN_HASH_BYTES], const uint8_t b[CMN_HASH_BYTES]) {
    return sodium_memcmp(a, b, CMN_HASH_BYTES) == 0;
}

void cmn_random_code(int len, char *out) {
    uint32_t bound = 1;
    for (int i = 0; i < len; i++)
        bound *= 10u;
    uint32_t v = randombytes_uniform(bound);
    for (int i = len - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10u);
        v /= 10u;
    }
    out[len] = '\0';
}

void cmn_wipe(void *p, size_t len) { sodium_memzero(p, len); }

int cmn_seal(const uint8_t key[CMN_KEY_BYTES], const uint8_t *msg, size_t len, uint8_t **out,
             size_t *outlen) {
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    uint8_t *box = malloc(n);
    if (!box)
        return -1;
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, msg, len, box, key);
    *out = box;
    *outlen = n;
    return 0;
}

int cmn_unseal(const uint8_t key[CMN_KEY_BYTES], const uint8_t *box, size_t len, uint8_t **out,
               size_t *outlen) {
    if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return -1;
    size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    uint8_t *msg = malloc(n ? n : 1);
    if (!msg)
        return -1;
    if (crypto_secretbox_open_easy(msg, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box, key) != 0) {
        free(msg);
        return -1;
    }
    *out = msg;
    *outlen = n;
    return 0;
}
