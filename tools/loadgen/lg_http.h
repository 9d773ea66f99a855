/* lg_http: the load generator's HTTP/1.1 keep-alive client connections: non-blocking
 * sockets watched by the worker's epoll, one request at a time per connection (no
 * pipelining: each connection plays one user), connecting lazily and again after the server
 * closes. Bytes are written and parsed by lg_http_parse. Each connection belongs to one
 * worker thread. */
#ifndef LG_HTTP_H
#define LG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lg_http_parse.h"

#define LG_HOST_MAX 256
#define LG_BASE_MAX 256

/* Where requests go: from a URL "http://host[:port][/base]". */
typedef struct {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char host[LG_HOST_MAX];      /* the Host header: "host:port" */
    char base_path[LG_BASE_MAX]; /* "" or "/base" without a trailing '/' */
} lg_target_t;

/* Parses url and resolves its host (numeric addresses or names; the first address wins).
 * Returns 0, or -1 with the reason in err. Only http:// (no TLS). */
int lg_target_parse(lg_target_t *self, const char *url, char *err, size_t errlen);

typedef struct lg_conn lg_conn_t;

typedef enum {
    LG_CONN_WAIT, /* nothing finished yet */
    LG_CONN_DONE, /* a whole response is there */
    LG_CONN_FAIL  /* the request failed: lg_conn_error says why; the socket is closed */
} lg_conn_status_t;

/* A closed connection to target whose socket, once open, is watched by epfd with tag as
 * epoll data. NULL when out of memory. Caller owns it; target must outlive it. */
lg_conn_t *lg_conn_new(const lg_target_t *target, int epfd, uint64_t tag);

/* Closes the socket and frees *self; sets it to NULL; tolerates NULL. */
void lg_conn_destroy(lg_conn_t **self);

/* Sends request[0..len) (a whole request from lg_http_request), connecting first if the
 * connection is closed. head: the request is HEAD. Returns 0, or -1 when it cannot even
 * start (lg_conn_error says why; the connection stays closed). */
int lg_conn_send(lg_conn_t *self, const char *request, size_t len, bool head);

/* Handles the epoll events of this connection's socket. On LG_CONN_DONE, *resp describes
 * the response (its body lives in the connection's buffer until lg_conn_finish). Events on
 * an idle connection (the server closing it) close it quietly and return LG_CONN_WAIT. */
lg_conn_status_t lg_conn_event(lg_conn_t *self, uint32_t events, lg_http_resp_t *resp);

/* Done with the response of LG_CONN_DONE: drops it, and closes the connection when the
 * server said it would close. */
void lg_conn_finish(lg_conn_t *self);

/* Closes the socket (a timeout, a failure); the next send connects again. */
void lg_conn_close(lg_conn_t *self);

/* True while a request is out and its response not yet finished. */
bool lg_conn_busy(const lg_conn_t *self);

/* Why the last request failed ("timeout", "connect: Connection refused", "closed", ...). */
const char *lg_conn_error(const lg_conn_t *self);

/* How many times this connection connected (1 for a connection kept alive throughout). */
uint64_t lg_conn_connects(const lg_conn_t *self);

#endif
