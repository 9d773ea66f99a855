/* sms_file: the `file` provider, the SMS sink of api.md section 4. Each message
 * is one compact JSON object on its own line (the bytes jansson's compact dump
 * gives, encoded here without a heap object per field). take() only appends the
 * line to the batch's buffer; flush() appends the whole batch with one write(),
 * so readers see whole lines, then fdatasync's it and only then posts each
 * message's outcome, which the worker records in the batch that commits "sent":
 * a crash can repeat a line but never lose one. One write and one sync per batch,
 * not a write per message, is what lets the sink keep up with tens of thousands
 * of messages a second.
 *
 * The file is opened by flush() and closed again after the sync: a sink that was
 * moved away or deleted between batches is simply created again. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_provider.h"

typedef struct {
    sms_provider_t base;
    char *path;
    sms_req_t **taken; /* this batch's requests, answered at flush */
    size_t ntaken, captaken;
    size_t refused; /* this batch's requests that could not be encoded */
    int fd;         /* open during a flush, -1 between batches */
    bool created;   /* created in this batch: its directory entry needs an fsync too */
    char *buf;      /* the batch's lines, written at flush (they hold codes: wiped after) */
    size_t len, cap;
} sms_file_t;

/* mkdir -p of every directory above path's last component (0700, like the data dir). */
static int s_mkdirs(const char *path) {
    char *buf = strdup(path);
    if (!buf)
        return -1;
    int rc = 0;
    for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            CMN_ERROR(NULL, "sms file: mkdir %s: %s", buf, strerror(errno));
            rc = -1;
            break;
        }
        *p = '/';
    }
    free(buf);
    return rc;
}

static int s_fsync_parent(const char *path) {
    char *buf = strdup(path);
    if (!buf)
        return -1;
    char *slash = strrchr(buf, '/');
    const char *dir = ".";
    if (slash == buf)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = buf;
    }
    int rc = -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    if (rc != 0)
        CMN_ERROR(NULL, "sms file: fsync of directory %s: %s", dir, strerror(errno));
    free(buf);
    return rc;
}

static int s_open(sms_file_t *self) {
    self->fd = open(self->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (self->fd < 0 && errno == ENOENT) {
        if (s_mkdirs(self->path) != 0)
            return -1;
        self->fd = open(self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        self->created = true;
    }
    if (self->fd < 0) {
        CMN_ERROR(NULL, "sms file: open %s: %s", self->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Room for add more bytes in the batch's buffer. Returns 0 or -1. */
static int s_reserve(sms_file_t *self, size_t add) {
    if (self->len + add <= self->cap)
        return 0;
    size_t cap = self->cap ? self->cap : 16384;
    while (cap < self->len + add)
        cap *= 2;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    /* Moved by hand rather than realloc'd: the old copy holds codes and is wiped. */
    if (self->len)
        memcpy(buf, self->buf, self->len);
    if (self->buf)
        cmn_wipe(self->buf, self->cap);
    free(self->buf);
    self->buf = buf;
    self->cap = cap;
    return 0;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is not one (overlong forms,
 * surrogates and code points past U+10FFFF included): what jansson refuses too. */
static size_t s_utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (n <= 1)
        return n;
    uint32_t cp = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Appends "str" as a JSON string, escaped as jansson's compact dump escapes it. */
static int s_put_str(sms_file_t *self, const char *str) {
    size_t n = strlen(str);
    if (s_reserve(self, n * 6 + 2) != 0)
        return -1;
    char *out = self->buf + self->len;
    *out++ = '"';
    const unsigned char *p = (const unsigned char *)str;
    while (*p) {
        size_t k = s_utf8_len(p);
        if (k == 0)
            return -1;
        unsigned char c = *p;
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (esc) {
            memcpy(out, esc, 2);
            out += 2;
        } else if (c < 0x20) {
            snprintf(out, 7, "\\u%04X", c);
            out += 6;
        } else {
            memcpy(out, p, k);
            out += k;
        }
        p += k;
    }
    *out++ = '"';
    self->len = (size_t)(out - self->buf);
    return 0;
}

static int s_put_raw(sms_file_t *self, const char *s) {
    size_t n = strlen(s);
    if (s_reserve(self, n) != 0)
        return -1;
    memcpy(self->buf + self->len, s, n);
    self->len += n;
    return 0;
}

/* Appends req's line to the batch; nothing is written before flush(). Returns 0 or -1. */
static int s_put_line(sms_file_t *self, const sms_req_t *req) {
    char at[32];
    cmn_time_iso(req->submitted_ms, at, sizeof(at));
    size_t mark = self->len;
    const char *keys[] = {
        "{\"at\":", ",\"to\":", ",\"purpose\":", ",\"text\":", ",\"message_id\":"};
    const char *vals[] = {at, req->to, req->purpose, req->text, req->message_id};
    int rc = 0;
    for (size_t i = 0; i < 5 && rc == 0; i++)
        rc = s_put_raw(self, keys[i]) == 0 && s_put_str(self, vals[i]) == 0 ? 0 : -1;
    if (rc == 0)
        rc = s_put_raw(self, "}\n");
    if (rc != 0) {
        cmn_wipe(self->buf + mark, self->len - mark);
        self->len = mark;
    }
    return rc;
}

static void s_take(sms_provider_t *base, sms_req_t *req) {
    sms_file_t *self = (sms_file_t *)base;
    if (self->ntaken == self->captaken) {
        size_t cap = self->captaken ? self->captaken * 2 : 256;
        sms_req_t **t = realloc(self->taken, cap * sizeof(sms_req_t *));
        if (!t) {
            sms_provider_post(base, SMS_RES_FAILED, req, NULL, "out of memory");
            sms_req_free(req);
            self->refused++;
            return;
        }
        self->taken = t;
        self->captaken = cap;
    }
    if (s_put_line(self, req) != 0) {
        /* A field that is not valid UTF-8 cannot be a JSON string: this line goes nowhere. */
        CMN_ERROR(NULL, "sms file: cannot encode message_id=%s", req->message_id);
        sms_provider_post(base, SMS_RES_FAILED, req, NULL, "cannot encode");
        sms_req_free(req);
        self->refused++;
        return;
    }
    self->taken[self->ntaken++] = req;
}

/* Writes the batch's lines with one write() (more only after a short write); on failure
 * cuts what was appended off again, so the sink stays whole lines and nothing of a failed
 * batch counts. Returns 0 or -1. */
static int s_write_all(sms_file_t *self) {
    off_t start = lseek(self->fd, 0, SEEK_END);
    size_t off = 0;
    int err = 0;
    while (off < self->len) {
        ssize_t n = write(self->fd, self->buf + off, self->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : ENOSPC;
            break;
        }
        off += (size_t)n;
    }
    if (!err)
        return 0;
    if (off > 0 && (start < 0 || ftruncate(self->fd, start) != 0))
        CMN_ERROR(NULL, "sms file: cutting off a torn batch: %s", strerror(errno));
    CMN_ERROR(NULL, "sms file: write %s: %s", self->path, strerror(err));
    return -1;
}

/* Writes and syncs the batch. Returns 0 or -1. */
static int s_write_batch(sms_file_t *self) {
    int rc = 0;
    if (self->len > 0)
        rc = self->fd < 0 && s_open(self) != 0 ? -1 : s_write_all(self);
    cmn_wipe(self->buf, self->len);
    self->len = 0;
    if (self->fd < 0)
        return rc;
    if (rc == 0 && fdatasync(self->fd) != 0) {
        CMN_ERROR(NULL, "sms file: fdatasync %s: %s", self->path, strerror(errno));
        rc = -1;
    }
    if (close(self->fd) != 0 && rc == 0) {
        CMN_ERROR(NULL, "sms file: close %s: %s", self->path, strerror(errno));
        rc = -1;
    }
    self->fd = -1;
    if (self->created && rc == 0)
        rc = s_fsync_parent(self->path);
    self->created = false;
    return rc;
}

/* Durable in the sink, then answered: a message counts as sent only once its line is
 * synced. A batch that took messages and could not write them, or whose every message was
 * refused, leaves the sink failing (the worker is not ready) until one that works. */
static void s_flush(sms_provider_t *base) {
    sms_file_t *self = (sms_file_t *)base;
    bool written = s_write_batch(self) == 0;
    for (size_t i = 0; i < self->ntaken; i++) {
        sms_provider_post(base, written ? SMS_RES_ACCEPTED : SMS_RES_FAILED, self->taken[i], NULL,
                          written ? NULL : "the sink cannot be written");
        sms_req_free(self->taken[i]);
    }
    base->failing = !written || (self->ntaken == 0 && self->refused > 0);
    self->ntaken = 0;
    self->refused = 0;
}

static void s_free(sms_provider_t *base) {
    sms_file_t *self = (sms_file_t *)base;
    if (self->fd >= 0)
        close(self->fd);
    for (size_t i = 0; i < self->ntaken; i++)
        sms_req_free(self->taken[i]);
    free(self->taken);
    if (self->buf)
        cmn_wipe(self->buf, self->cap);
    free(self->buf);
    free(self->path);
    free(self);
}

static const sms_provider_ops_t s_ops = {.take = s_take, .flush = s_flush, .free = s_free};

sms_provider_t *sms_file_new(const char *path, int prov, cmn_chan_t *results) {
    if (!path || !path[0]) {
        CMN_ERROR(NULL, "sms file: sms.file is empty");
        return NULL;
    }
    sms_file_t *self = calloc(1, sizeof(*self));
    if (!self || !(self->path = strdup(path))) {
        free(self);
        CMN_ERROR(NULL, "sms file: out of memory");
        return NULL;
    }
    self->fd = -1;
    sms_provider_t *base = &self->base;
    /* No queue, no thread: init cannot fail. Open once now so a wrong path or permission
     * stops start-up, not the first SMS. */
    if (sms_provider_init(base, &s_ops, "file", prov, results, 0) != 0 || s_open(self) != 0 ||
        s_write_batch(self) != 0) {
        sms_provider_destroy(&base);
        return NULL;
    }
    return base;
}
