/* lg_http: non-blocking keep-alive client connections (lg_http.h). Level-triggered epoll:
 * a connection asks for EPOLLOUT only while connecting or while a request is partly
 * written, and keeps EPOLLIN whenever its socket is open, so a server that closes an idle
 * connection is noticed at once rather than at the next request. */
#include "lg_http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define S_RECV_START (16 * 1024)
#define S_RECV_MAX (8 * 1024 * 1024)

typedef enum { S_CLOSED, S_CONNECTING, S_SENDING, S_RECEIVING, S_IDLE } s_state_t;

struct lg_conn {
    const lg_target_t *target;
    int epfd;
    uint64_t tag;
    int fd;
    s_state_t state;
    uint32_t interest; /* the events epfd watches now */
    bool head;
    char *out;
    size_t out_len, out_sent, out_cap;
    char *in;
    size_t in_len, in_cap;
    lg_http_resp_t resp;
    bool resp_ready;
    uint64_t connects;
    char error[96];
};

int lg_target_parse(lg_target_t *self, const char *url, char *err, size_t errlen) {
    memset(self, 0, sizeof(*self));
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "URL %s: only http:// URLs", url);
        return -1;
    }
    const char *hp = url + 7;
    const char *slash = strchr(hp, '/');
    size_t hplen = slash ? (size_t)(slash - hp) : strlen(hp);
    if (hplen == 0 || hplen >= LG_HOST_MAX - 8) {
        snprintf(err, errlen, "URL %s: bad host", url);
        return -1;
    }
    char host[LG_HOST_MAX], port[16] = "80";
    memcpy(host, hp, hplen);
    host[hplen] = '\0';
    char *name = host;
    char *colon = NULL;
    if (host[0] == '[') { /* [IPv6]:port */
        char *close = strchr(host, ']');
        if (!close) {
            snprintf(err, errlen, "URL %s: bad IPv6 address", url);
            return -1;
        }
        *close = '\0';
        name = host + 1;
        if (close[1] == ':')
            colon = close + 1;
    } else {
        colon = strrchr(host, ':');
    }
    if (colon) {
        *colon = '\0';
        snprintf(port, sizeof(port), "%s", colon + 1);
    }
    snprintf(self->host, sizeof(self->host), "%.*s", (int)hplen, hp);
    if (slash) {
        size_t bl = strlen(slash);
        while (bl > 0 && slash[bl - 1] == '/')
            bl--;
        if (bl >= sizeof(self->base_path)) {
            snprintf(err, errlen, "URL %s: path too long", url);
            return -1;
        }
        memcpy(self->base_path, slash, bl);
        self->base_path[bl] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "URL %s: %s", url, rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    memcpy(&self->addr, res->ai_addr, res->ai_addrlen);
    self->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

lg_conn_t *lg_conn_new(const lg_target_t *target, int epfd, uint64_t tag) {
    lg_conn_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->target = target;
    self->epfd = epfd;
    self->tag = tag;
    self->fd = -1;
    self->out_cap = 4096;
    self->in_cap = S_RECV_START;
    self->out = malloc(self->out_cap);
    self->in = malloc(self->in_cap);
    if (!self->out || !self->in)
        lg_conn_destroy(&self);
    return self;
}

void lg_conn_close(lg_conn_t *self) {
    if (self->fd >= 0)
        close(self->fd); /* also leaves epfd: the socket is not shared */
    self->fd = -1;
    self->state = S_CLOSED;
    self->interest = 0;
    self->in_len = 0;
    self->resp_ready = false;
}

void lg_conn_destroy(lg_conn_t **self) {
    if (!self || !*self)
        return;
    lg_conn_close(*self);
    free((*self)->out);
    free((*self)->in);
    free(*self);
    *self = NULL;
}

bool lg_conn_busy(const lg_conn_t *self) {
    return self->state == S_CONNECTING || self->state == S_SENDING || self->state == S_RECEIVING ||
           self->resp_ready;
}

const char *lg_conn_error(const lg_conn_t *self) { return self->error; }

uint64_t lg_conn_connects(const lg_conn_t *self) { return self->connects; }

/* Fails the request: records why, closes. */
static lg_conn_status_t s_fail(lg_conn_t *self, const char *what, int err) {
    if (err)
        snprintf(self->error, sizeof(self->error), "%s: %s", what, strerror(err));
    else
        snprintf(self->error, sizeof(self->error), "%s", what);
    lg_conn_close(self);
    return LG_CONN_FAIL;
}

static int s_watch(lg_conn_t *self, uint32_t events) {
    if (events == self->interest)
        return 0;
    struct epoll_event ev = {.events = events, .data.u64 = self->tag};
    int op = self->interest ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(self->epfd, op, self->fd, &ev) != 0)
        return -1;
    self->interest = events;
    return 0;
}

/* Writes what is left of the request; moves to S_RECEIVING once all is out. */
static lg_conn_status_t s_write(lg_conn_t *self) {
    while (self->out_sent < self->out_len) {
        ssize_t n = send(self->fd, self->out + self->out_sent, self->out_len - self->out_sent,
                         MSG_NOSIGNAL);
        if (n > 0) {
            self->out_sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            self->state = S_SENDING;
            if (s_watch(self, EPOLLIN | EPOLLOUT | EPOLLRDHUP) != 0)
                return s_fail(self, "epoll_ctl", errno);
            return LG_CONN_WAIT;
        }
        return s_fail(self, "send", n < 0 ? errno : EPIPE);
    }
    self->state = S_RECEIVING;
    if (s_watch(self, EPOLLIN | EPOLLRDHUP) != 0)
        return s_fail(self, "epoll_ctl", errno);
    return LG_CONN_WAIT;
}

static int s_connect(lg_conn_t *self) {
    int fd = socket(self->target->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return s_fail(self, "socket", errno), -1;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    self->fd = fd;
    self->connects++;
    if (connect(fd, (const struct sockaddr *)&self->target->addr, self->target->addrlen) == 0) {
        self->state = S_SENDING;
        return 0;
    }
    if (errno != EINPROGRESS)
        return s_fail(self, "connect", errno), -1;
    self->state = S_CONNECTING;
    if (s_watch(self, EPOLLOUT | EPOLLRDHUP) != 0)
        return s_fail(self, "epoll_ctl", errno), -1;
    return 0;
}

int lg_conn_send(lg_conn_t *self, const char *request, size_t len, bool head) {
    if (lg_conn_busy(self)) {
        snprintf(self->error, sizeof(self->error), "connection busy");
        return -1;
    }
    if (len > self->out_cap) {
        char *bigger = realloc(self->out, len);
        if (!bigger) {
            snprintf(self->error, sizeof(self->error), "out of memory");
            return -1;
        }
        self->out = bigger;
        self->out_cap = len;
    }
    memcpy(self->out, request, len);
    self->out_len = len;
    self->out_sent = 0;
    self->head = head;
    self->in_len = 0;
    self->error[0] = '\0';
    if (self->fd < 0 && s_connect(self) != 0)
        return -1;
    if (self->state == S_CONNECTING)
        return 0;
    self->state = S_SENDING;
    return s_write(self) == LG_CONN_FAIL ? -1 : 0;
}

/* Reads what the socket has and parses; DONE when a response is whole. */
static lg_conn_status_t s_read(lg_conn_t *self, lg_http_resp_t *resp) {
    bool eof = false;
    for (;;) {
        if (self->in_len == self->in_cap) {
            if (self->in_cap >= S_RECV_MAX)
                return s_fail(self, "response too large", 0);
            char *bigger = realloc(self->in, self->in_cap * 2);
            if (!bigger)
                return s_fail(self, "out of memory", 0);
            self->in = bigger;
            self->in_cap *= 2;
        }
        ssize_t n = recv(self->fd, self->in + self->in_len, self->in_cap - self->in_len, 0);
        if (n > 0) {
            self->in_len += (size_t)n;
            if (self->in_len < self->in_cap)
                break; /* the socket is most likely empty now: parse before asking again */
            continue;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        return s_fail(self, "recv", errno);
    }
    int rc = lg_http_parse(self->in, self->in_len, eof, self->head, resp);
    if (rc == 1) {
        self->resp = *resp;
        self->resp_ready = true;
        return LG_CONN_DONE;
    }
    if (rc < 0)
        return s_fail(self, self->in_len == 0 && eof ? "closed" : "bad response", 0);
    if (eof)
        return s_fail(self, "closed", 0);
    return LG_CONN_WAIT;
}

lg_conn_status_t lg_conn_event(lg_conn_t *self, uint32_t events, lg_http_resp_t *resp) {
    switch (self->state) {
    case S_CLOSED:
        return LG_CONN_WAIT;
    case S_IDLE:
        /* The server closed an idle connection (or sent what nobody asked for). */
        lg_conn_close(self);
        return LG_CONN_WAIT;
    case S_CONNECTING: {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr)
            return s_fail(self, "connect", soerr);
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return LG_CONN_WAIT;
        self->state = S_SENDING;
        lg_conn_status_t st = s_write(self);
        if (st != LG_CONN_WAIT || !(events & EPOLLIN))
            return st;
        return s_read(self, resp);
    }
    case S_SENDING:
        if (events & EPOLLOUT) {
            lg_conn_status_t st = s_write(self);
            if (st == LG_CONN_FAIL)
                return st;
        }
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            return s_read(self, resp); /* an early answer (413...) or the end */
        return LG_CONN_WAIT;
    case S_RECEIVING:
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            return s_read(self, resp);
        return LG_CONN_WAIT;
    }
    return LG_CONN_WAIT;
}

void lg_conn_finish(lg_conn_t *self) {
    if (!self->resp_ready)
        return;
    bool close_it = self->resp.close || self->resp.total != self->in_len;
    self->resp_ready = false;
    self->in_len = 0;
    if (close_it) {
        lg_conn_close(self);
        return;
    }
    self->state = S_IDLE;
    if (s_watch(self, EPOLLIN | EPOLLRDHUP) != 0)
        lg_conn_close(self);
}
