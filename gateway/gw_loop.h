/* gw_loop: the gateway's HTTP event threads. Each thread runs its own libmicrohttpd
 * daemon in external epoll mode, and all of them accept from one listening socket.
 *
 * Why not MHD's own threads: in libmicrohttpd 0.9.75 (Debian 12), an internal epoll
 * thread whose epoll_wait returns exactly 128 events (MAX_EVENTS) calls epoll_wait
 * again, with the full timeout, before it handles any of them. When nothing else
 * happens (every client of that thread is waiting for its answer), up to 128 ready
 * requests then wait for an unrelated event or the connection timeout: 128 or 256
 * keep-alive clients on one thread hang for seconds (docs/BENCHMARKS.md). Here
 * MHD_run() is called with nothing to wait for, and the thread itself waits on the
 * daemon's epoll descriptor, which is readable whenever anything is ready, and on an
 * eventfd of its own: in external mode MHD_resume_connection() wakes nobody, so
 * whoever resumes a connection then calls gw_loop_wake() with its thread. */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <microhttpd.h>
#include <sys/socket.h>

typedef struct gw_loop gw_loop_t;
typedef struct gw_loop_thread gw_loop_thread_t;

/* Starts one daemon for a thread: flags and options are the caller's, but it must
 * pass MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD, MHD_OPTION_LISTEN_SOCKET
 * listen_fd and MHD_OPTION_CONNECTION_LIMIT limit. Returns the daemon, or NULL. */
typedef struct MHD_Daemon *(gw_loop_start_fn)(int listen_fd, unsigned limit, void *arg);

/* Binds and listens on addr (backlog 4096), raises this process's soft limit of open
 * files to its hard limit, and makes `threads` daemons with start(); the connection
 * limit (open-file limit less a reserve) is shared between them. Nothing is served
 * before gw_loop_start(). Returns NULL on failure (logged). */
gw_loop_t *gw_loop_new(const struct sockaddr *addr, socklen_t addrlen, unsigned threads,
                       gw_loop_start_fn *start, void *arg);

/* Starts the threads (SIGINT and SIGTERM blocked in them). Returns 0, or -1 (logged):
 * then gw_loop_destroy() stops the threads that did start. */
int gw_loop_start(gw_loop_t *self);

/* Connections accepted at most, over all threads. */
unsigned gw_loop_connection_limit(const gw_loop_t *self);

/* The thread that runs daemon (from MHD_CONNECTION_INFO_DAEMON), or NULL. Valid until
 * gw_loop_destroy(). */
gw_loop_thread_t *gw_loop_thread_of(gw_loop_t *self, const struct MHD_Daemon *daemon);

/* Wakes thread (NULL is ignored): call it after MHD_resume_connection(), from any
 * thread. A thread already woken and not yet past its next MHD_run() is not written to
 * again, so a burst of resumes costs one eventfd write, not one each. */
void gw_loop_wake(gw_loop_thread_t *thread);

/* Stops accepting new connections (each thread quiesces its daemon); connections
 * already open go on being served. Returns at once. */
void gw_loop_quiesce(gw_loop_t *self);

/* Stops the threads, then each daemon (every connection is closed and completed, on
 * this thread), closes the listening socket and frees the loop; nullifies *self_p.
 * No connection may be suspended any more. Tolerates NULL. */
void gw_loop_destroy(gw_loop_t **self_p);

#endif
