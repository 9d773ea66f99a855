/* sms_file: the `file` provider, the SMS sink of api.md section 4. Each message
 * is one compact JSON object on its own line, appended with a single write() so a
 * reader never sees half a line; the batch is fdatasync'd in flush(), before the
 * worker commits "sent", so a crash can repeat a line but never lose one.
 *
 * The file is opened at the first message of a batch and closed by flush(): a
 * sink that was moved away or deleted between batches is simply created again. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
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
    int fd;       /* open during a batch, -1 between batches */
    bool created; /* created in this batch: its directory entry needs an fsync too */
    bool broken;  /* open failed in this batch: fail the rest without trying again */
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

/* The line for msg, '\n' included; malloc'd (caller wipes and frees). NULL if a
 * field is not valid UTF-8 (jansson refuses it) or memory runs out. */
static char *s_line(const sms_msg_t *msg, size_t *len) {
    char at[32];
    cmn_time_iso(msg->at_ms, at, sizeof(at));
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "at", at, "to", msg->to, "purpose",
                            msg->purpose, "text", msg->text, "message_id", msg->message_id);
    if (!obj)
        return NULL;
    char *json = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!json)
        return NULL;
    size_t n = strlen(json);
    char *line = malloc(n + 2);
    if (line) {
        memcpy(line, json, n);
        line[n] = '\n';
        line[n + 1] = '\0';
        *len = n + 1;
    }
    cmn_wipe(json, n);
    free(json);
    return line;
}

static int s_send(sms_provider_t *base, const sms_msg_t *msg) {
    sms_file_t *self = (sms_file_t *)base;
    size_t len = 0;
    char *line = s_line(msg, &len);
    if (!line) {
        CMN_ERROR(NULL, "sms file: cannot encode message_id=%s", msg->message_id);
        return -1;
    }
    int rc = -1;
    if (self->fd < 0 && !self->broken && s_open(self) != 0)
        self->broken = true;
    if (self->fd >= 0) {
        ssize_t n;
        do
            n = write(self->fd, line, len);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)len)
            rc = 0;
        else {
            int err = n < 0 ? errno : ENOSPC;
            /* Cut a torn line off, so the sink stays one JSON object per line. */
            off_t end = n > 0 ? lseek(self->fd, 0, SEEK_END) : -1;
            if (end >= n && n > 0 && ftruncate(self->fd, end - n) != 0)
                CMN_ERROR(NULL, "sms file: truncating a torn line: %s", strerror(errno));
            CMN_ERROR(NULL, "sms file: write %s: %s", self->path, strerror(err));
        }
    }
    cmn_wipe(line, len);
    free(line);
    return rc;
}

static int s_flush(sms_provider_t *base) {
    sms_file_t *self = (sms_file_t *)base;
    self->broken = false;
    if (self->fd < 0)
        return 0;
    int rc = 0;
    if (fdatasync(self->fd) != 0) {
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

static void s_destroy(sms_provider_t **self_p) {
    if (!self_p || !*self_p)
        return;
    sms_file_t *self = (sms_file_t *)*self_p;
    if (self->fd >= 0)
        close(self->fd);
    free(self->path);
    free(self);
    *self_p = NULL;
}

sms_provider_t *sms_file_new(const char *path) {
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
    self->base.name = "file";
    self->base.send = s_send;
    self->base.flush = s_flush;
    self->base.destroy = s_destroy;
    self->fd = -1;
    /* Open once now so a wrong path or permission stops start-up, not the first SMS. */
    if (s_open(self) != 0 || s_flush(&self->base) != 0) {
        sms_provider_t *base = &self->base;
        s_destroy(&base);
        return NULL;
    }
    return &self->base;
}
