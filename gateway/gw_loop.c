/* gw_loop: HTTP event threads over libmicrohttpd in external epoll mode (gw_loop.h).
 *
 * One turn of a thread: MHD_run() handles whatever is ready without blocking (its
 * epoll_wait has a zero timeout, so the 128-event re-wait costs nothing), then the
 * thread sleeps in poll() on the daemon's epoll descriptor and on its own eventfd, for
 * at most what MHD_get_timeout() allows. In external mode MHD has no ITC of its own, so
 * whoever resumes a connection writes to the eventfd of the thread that runs it
 * (gw_loop_wake); quiesce and stop write to every thread's.
 *
 * Wakes are coalesced: `woken` is set by the first waker, which writes the eventfd, and
 * cleared by the thread just before MHD_run(). A waker that finds it set skips the
 * write: its resume happened before the flag is cleared, so the MHD_run() that follows
 * the clear sees it. */
#include "gw_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmn_log.h"

#define S_BACKLOG 4096
#define S_FD_RESERVE 256    /* open files kept for LMDB, ZeroMQ, logs, the bridge */
#define S_LIMIT_MAX 100000u /* connections at most, whatever the open-file limit */
#define S_WAIT_MAX_MS 1000  /* longest sleep of a thread with nothing to do */

enum { S_RUN, S_QUIESCE, S_STOP };

typedef struct gw_loop_thread {
    gw_loop_t *loop;
    struct MHD_Daemon *daemon;
    int epfd;
    int wake_fd;       /* eventfd: resumes, quiesce and stop */
    atomic_bool woken; /* the eventfd was written since the last MHD_run() began */
    pthread_t thread;
    bool started;
} s_thread_t;

struct gw_loop {
    int listen_fd;
    atomic_int phase;
    unsigned limit;
    unsigned nthreads;
    s_thread_t *threads;
};

static void *s_run(void *arg) {
    s_thread_t *t = arg;
    gw_loop_t *loop = t->loop;
    bool quiesced = false;
    for (;;) {
        int phase = atomic_load(&loop->phase);
        if (phase == S_STOP)
            break;
        if (phase == S_QUIESCE && !quiesced) {
            /* The listening socket stays open (gw_loop_destroy closes it once). */
            (void)MHD_quiesce_daemon(t->daemon);
            quiesced = true;
        }
        /* An exchange, not a store: it reads the waker's exchange, so what the waker did
         * before (the resume) happens before this MHD_run(). */
        (void)atomic_exchange(&t->woken, false);
        MHD_run(t->daemon);
        int wait = S_WAIT_MAX_MS;
        MHD_UNSIGNED_LONG_LONG due = 0;
        if (MHD_get_timeout(t->daemon, &due) == MHD_YES && due < (MHD_UNSIGNED_LONG_LONG)wait)
            wait = (int)due;
        struct pollfd p[2] = {{.fd = t->epfd, .events = POLLIN},
                              {.fd = t->wake_fd, .events = POLLIN}};
        if (poll(p, 2, wait) < 0 && errno != EINTR) {
            CMN_ERROR(NULL, "http thread: poll: %s", strerror(errno));
            break;
        }
        uint64_t n;
        if ((p[1].revents & POLLIN) && read(t->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
            CMN_WARN(NULL, "http thread: eventfd read: %s", strerror(errno));
    }
    return NULL;
}

/* Raises the soft open-file limit to the hard one; returns the connections that fit. */
static unsigned s_connection_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1000;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    rlim_t n = rl.rlim_cur > 2 * S_FD_RESERVE ? rl.rlim_cur - S_FD_RESERVE : rl.rlim_cur / 2;
    return n > S_LIMIT_MAX ? S_LIMIT_MAX : (unsigned)n;
}

static int s_listen(const struct sockaddr *addr, socklen_t addrlen) {
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (addr->sa_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    if (bind(fd, addr, addrlen) != 0 || listen(fd, S_BACKLOG) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

gw_loop_t *gw_loop_new(const struct sockaddr *addr, socklen_t addrlen, unsigned threads,
                       gw_loop_start_fn *start, void *arg) {
    gw_loop_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->listen_fd = -1;
    atomic_init(&self->phase, S_RUN);
    self->nthreads = threads ? threads : 1;
    self->threads = calloc(self->nthreads, sizeof(*self->threads));
    if (!self->threads) {
        free(self);
        return NULL;
    }
    for (unsigned i = 0; i < self->nthreads; i++) {
        self->threads[i].wake_fd = -1;
        atomic_init(&self->threads[i].woken, false);
    }
    for (unsigned i = 0; i < self->nthreads; i++) {
        self->threads[i].wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (self->threads[i].wake_fd < 0) {
            CMN_ERROR(NULL, "eventfd: %s", strerror(errno));
            goto fail;
        }
    }
    self->listen_fd = s_listen(addr, addrlen);
    if (self->listen_fd < 0) {
        CMN_ERROR(NULL, "cannot listen: %s", strerror(errno));
        goto fail;
    }
    self->limit = s_connection_limit();
    unsigned each = self->limit / self->nthreads ? self->limit / self->nthreads : 1;
    for (unsigned i = 0; i < self->nthreads; i++) {
        s_thread_t *t = &self->threads[i];
        t->loop = self;
        t->daemon = start(self->listen_fd, each, arg);
        const union MHD_DaemonInfo *info =
            t->daemon ? MHD_get_daemon_info(t->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
        if (!info) {
            CMN_ERROR(NULL, "cannot start HTTP daemon %u", i);
            goto fail;
        }
        t->epfd = info->epoll_fd;
    }
    return self;
fail:
    gw_loop_destroy(&self);
    return NULL;
}

int gw_loop_start(gw_loop_t *self) {
    /* Signals go to the main thread, whose loop handles them: the HTTP threads inherit
     * this mask, so a SIGTERM never lands where nobody polls for it. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = 0;
    for (unsigned i = 0; i < self->nthreads && rc == 0; i++) {
        rc = pthread_create(&self->threads[i].thread, NULL, s_run, &self->threads[i]);
        self->threads[i].started = rc == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        CMN_ERROR(NULL, "cannot start an HTTP thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

unsigned gw_loop_connection_limit(const gw_loop_t *self) { return self->limit; }

gw_loop_thread_t *gw_loop_thread_of(gw_loop_t *self, const struct MHD_Daemon *daemon) {
    for (unsigned i = 0; i < self->nthreads; i++)
        if (self->threads[i].daemon == daemon)
            return &self->threads[i];
    return NULL;
}

static void s_write(int fd) {
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        CMN_WARN(NULL, "eventfd write: %s", strerror(errno));
}

void gw_loop_wake(gw_loop_thread_t *thread) {
    if (thread && !atomic_exchange(&thread->woken, true))
        s_write(thread->wake_fd);
}

static void s_phase(gw_loop_t *self, int phase) {
    atomic_store(&self->phase, phase);
    for (unsigned i = 0; i < self->nthreads; i++)
        s_write(self->threads[i].wake_fd); /* always: the phase is read before MHD_run() */
}

void gw_loop_quiesce(gw_loop_t *self) { s_phase(self, S_QUIESCE); }

void gw_loop_destroy(gw_loop_t **self_p) {
    if (!self_p || !*self_p)
        return;
    gw_loop_t *self = *self_p;
    s_phase(self, S_STOP);
    for (unsigned i = 0; i < self->nthreads; i++) {
        s_thread_t *t = &self->threads[i];
        if (t->started)
            pthread_join(t->thread, NULL);
        if (t->daemon) {
            /* Quiesced first, so MHD_stop_daemon leaves the shared socket open. */
            (void)MHD_quiesce_daemon(t->daemon);
            MHD_stop_daemon(t->daemon);
        }
        if (t->wake_fd >= 0)
            close(t->wake_fd);
    }
    free(self->threads);
    if (self->listen_fd >= 0)
        close(self->listen_fd);
    free(self);
    *self_p = NULL;
}
