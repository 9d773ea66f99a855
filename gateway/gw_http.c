/* gw_http: libmicrohttpd glue. MHD calls s_access several times per request: once
 * with the headers, once per piece of body, once when the body is complete, and
 * once more after the bridge resumes the connection. s_exchange_t carries the
 * request through those calls and is freed in s_completed, which MHD calls exactly
 * once per request, whether it was answered or the client went away. */
#include "gw_http.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "gw_csrf.h"
#include "gw_errors.h"
#include "gw_loop.h"
#include "gw_metrics.h"
#include "gw_page.h"
#include "gw_request.h"
#include "gw_routes.h"
#include "gw_session.h"
#include "gw_str.h"
#include "gw_trace.h"

#define S_CONNECTION_TIMEOUT_S 15u
#define S_DISCARD_MAX (1024 * 1024) /* body bytes read past the cap before hanging up */
#define S_LOG_PATH 200
#define S_SLOW_MS 1000  /* an answer this late is logged as a warning */
#define S_DRAIN_MS 1000 /* at shut-down, how long answers already made may take to go out */

struct gw_http {
    gw_loop_t *loop;
    gw_loop_t *mgmt;     /* gateway.management_listen: /metrics, /readyz details; or NULL */
    bool public_metrics; /* gateway.public_metrics: the public listener serves them too */
    gw_bridge_t *bridge;
    const gw_client_ip_t *ips;
    const cmn_config_t *cfg; /* the process's, alive as long as the gateway runs */
    int timeout_ms;
    bool cookie_secure; /* gateway.cookie_secure: behind HTTPS, the cookie says so */
    char allowed_origins[CMN_CONFIG_STR]; /* gateway.allowed_origins (gw_csrf) */
    atomic_int active; /* requests between their first call and their completion */
};

typedef struct {
    gw_http_t *http;
    const gw_route_t *route;
    char id[GW_ID_MAX + 1];
    char token[GW_SESSION_TOKEN_MAX + 1]; /* session routes; wiped once handed on */
    gw_trace_t tr; /* the trace id of the logs and hops, and the ids answered */
    char client_ip[GW_IP_MAX];
    char method[16];
    char path[S_LOG_PATH + 1];
    uint64_t start_ms;
    char *body;
    size_t len, cap;
    bool too_large;
    size_t discarded;
    gw_answer_t early; /* decided from the headers, sent once the request is read */
    gw_job_t *job;     /* set while the bridge has the request */
    bool mgmt;         /* came to the management listener */
    unsigned status;   /* what was sent; 0 while nothing */
} s_exchange_t;

/* --- helpers ----------------------------------------------------------------- */

bool gw_http_is_json(const char *ct) {
    static const char type[] = "application/json";
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, type, sizeof(type) - 1) != 0)
        return false;
    ct += sizeof(type) - 1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (*ct == '\0')
        return true;
    if (*ct != ';')
        return false;
    /* Parameters: only a charset matters, and JSON is UTF-8. */
    const char *cs = strcasestr(ct, "charset=");
    if (!cs)
        return true;
    cs += 8;
    if (*cs == '"')
        cs++;
    return strncasecmp(cs, "utf-8", 5) == 0 &&
           (cs[5] == '\0' || cs[5] == '"' || cs[5] == ';' || cs[5] == ' ');
}

int gw_http_listen_addr(const char *listen, struct sockaddr_storage *addr, socklen_t *len) {
    char host[CMN_CONFIG_STR];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon[1] == '\0' || (size_t)(colon - listen) >= sizeof(host))
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    const char *port = colon + 1;
    char *name = host;
    size_t hlen = strlen(host);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        name++;
    } else if (strchr(host, ':')) {
        return -1; /* a bare IPv6 address needs brackets */
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    hints.ai_family = name == host ? AF_UNSPEC : AF_INET6;
    if (*name == '\0' || strcmp(name, "*") == 0) {
        name = NULL;
        hints.ai_family = AF_INET;
    }
    struct addrinfo *res = NULL;
    if (getaddrinfo(name, port, &hints, &res) != 0 || !res)
        return -1;
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    CMN_WARN(NULL, "http: %s", msg);
}

/* Collects every X-Forwarded-For header, comma joined, as one list. */
static enum MHD_Result s_xff_each(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value) {
    (void)kind;
    if (key && value && strcasecmp(key, "X-Forwarded-For") == 0 &&
        gw_client_ip_xff_add(cls, value) != 0)
        return MHD_NO; /* overflowed: the rest cannot help */
    return MHD_YES;
}

/* The first Cookie header whose session cookie is well formed wins (HTTP/2
 * front ends may split one Cookie header into several). */
typedef struct {
    char *out;
    size_t outlen;
    bool found;
} s_cookie_scan_t;

static enum MHD_Result s_cookie_each(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    s_cookie_scan_t *scan = cls;
    if (key && value && strcasecmp(key, MHD_HTTP_HEADER_COOKIE) == 0 &&
        gw_session_cookie(value, GW_SESSION_COOKIE, scan->out, scan->outlen) == 0) {
        scan->found = true;
        return MHD_NO; /* stop iterating */
    }
    return MHD_YES;
}

/* The session token of the request into out ("" when there is none). */
static bool s_session_token(struct MHD_Connection *conn, char *out, size_t outlen) {
    const char *authz =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (gw_session_bearer(authz, out, outlen) == 0)
        return true;
    s_cookie_scan_t scan = {out, outlen, false};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, s_cookie_each, &scan);
    if (!scan.found && outlen > 0)
        out[0] = '\0';
    return scan.found;
}

/* The client address into out. Returns -1 when a trusted proxy's X-Forwarded-For
 * list is longer than GW_XFF_MAX: the request is refused (400) rather than counted
 * against an address the client chose. */
static int s_client_ip(gw_http_t *self, struct MHD_Connection *conn, char *out, size_t outlen) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[GW_IP_MAX];
    gw_client_ip_from_sockaddr(info ? info->client_addr : NULL, peer, sizeof(peer));
    gw_xff_t xff = {.list = "", .overflow = false};
    if (gw_client_ip_trusted(self->ips, peer))
        MHD_get_connection_values(conn, MHD_HEADER_KIND, s_xff_each, &xff);
    gw_client_ip_resolve(self->ips, peer, xff.list[0] ? xff.list : NULL, out, outlen);
    return xff.overflow ? -1 : 0;
}

/* May this request change state (gw_csrf)? */
static bool s_same_site(const gw_http_t *self, struct MHD_Connection *conn) {
    return gw_csrf_allowed(self->allowed_origins,
                           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
                           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site"));
}

/* --- answers ------------------------------------------------------------------- */

static enum MHD_Result s_queue(s_exchange_t *ex, struct MHD_Connection *conn, gw_answer_t *ans) {
    struct MHD_Response *resp =
        ans->body ? MHD_create_response_from_buffer(ans->len, ans->body, MHD_RESPMEM_MUST_FREE)
                  : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        gw_answer_clear(ans);
        return MHD_NO;
    }
    bool has_body = ans->body != NULL;
    ans->body = NULL; /* the response owns it now */
    /* A 204 has no content, so no type. */
    if (has_body)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                ans->content_type ? ans->content_type : GW_CT_JSON);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            ans->cache_control ? ans->cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Request-Id", ex->tr.request_id);
    if (ex->tr.traceparent[0])
        MHD_add_response_header(resp, "traceparent", ex->tr.traceparent);
    if (ans->retry_after) {
        char s[GW_STR_INT_MAX + 1];
        s[gw_str_int(s, ans->retry_after)] = '\0';
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    if (ans->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ans->allow);
    if (ans->set_cookie[0]) {
        if (ex->http->cookie_secure) {
            size_t n = strlen(ans->set_cookie);
            snprintf(ans->set_cookie + n, sizeof(ans->set_cookie) - n, "; Secure");
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, ans->set_cookie);
    }
    enum MHD_Result rc = MHD_queue_response(conn, ans->status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES)
        ex->status = ans->status;
    gw_answer_clear(ans);
    return rc;
}

static enum MHD_Result s_queue_error(s_exchange_t *ex, struct MHD_Connection *conn,
                                     const gw_error_t *e) {
    gw_answer_t ans = {0};
    gw_errors_answer(&ans, e, NULL, -1, -1);
    return s_queue(ex, conn, &ans);
}

/* --- the stages of a request --------------------------------------------------- */

/* First call: the headers are in, no body yet. A body too large or not JSON is
 * refused at once, unread (MHD then closes the connection). Answers that need no
 * body (404, 405, local routes) wait for the end of the request instead, so the
 * connection stays open for the next one. */
static enum MHD_Result s_on_headers(s_exchange_t *ex, struct MHD_Connection *conn) {
    char allow[sizeof(ex->early.allow)];
    gw_match_t m = gw_routes_match(ex->method, ex->path, &ex->route, ex->id, allow, sizeof(allow));
    if (m == GW_MATCH_NOT_FOUND) {
        gw_errors_answer_status(&ex->early, DVCID__STATUS__STATUS_NOT_FOUND);
        return MHD_YES;
    }
    if (m == GW_MATCH_BAD_METHOD) {
        gw_errors_answer(&ex->early, gw_errors_http(GW_ERR_METHOD_NOT_ALLOWED), NULL, -1, -1);
        memcpy(ex->early.allow, allow, sizeof(allow));
        return MHD_YES;
    }
    /* What only ops may see stays off the public listener (issue 21.3): /metrics is not
     * there (unless gateway.public_metrics), and /readyz there says only ready or not (a
     * ping down the chain). The management listener serves /metrics, /readyz with every
     * backend instance's state, and /healthz: nothing of the API. */
    bool ops = ex->mgmt || ex->http->public_metrics;
    bool probe =
        strcmp(ex->route->pattern, "/readyz") == 0 || strcmp(ex->route->pattern, "/healthz") == 0;
    if (((ex->route->flags & GW_ROUTE_MANAGEMENT) && !ops) ||
        (ex->mgmt && !probe && !(ex->route->flags & GW_ROUTE_MANAGEMENT))) {
        gw_errors_answer_status(&ex->early, DVCID__STATUS__STATUS_NOT_FOUND);
        return MHD_YES;
    }
    if (ex->mgmt && strcmp(ex->route->pattern, "/readyz") == 0)
        ex->route = gw_routes_ready_details();
    if (!ex->route->build) {
        gw_local_t in = {MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                         ex->http->cfg};
        ex->route->local(&ex->early, &in);
        return MHD_YES;
    }
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > GW_HTTP_BODY_MAX)
        return s_queue_error(ex, conn, gw_errors_http(GW_ERR_PAYLOAD_TOO_LARGE));
    /* Every POST changes something: one from another site's page is refused, body or
     * not, cookie or not (a bodyless POST needs no content type, so the JSON check
     * below does not cover it). */
    if (strcmp(ex->route->method, "POST") == 0 && !s_same_site(ex->http, conn))
        return s_queue_error(ex, conn, gw_errors_http(GW_ERR_CROSS_SITE));
    if (declared > 0 || te) {
        const char *ct =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!gw_http_is_json(ct))
            return s_queue_error(ex, conn, gw_errors_http(GW_ERR_UNSUPPORTED_MEDIA_TYPE));
    }
    /* No token, no question to account-svc: the 401 waits for the end of the body. */
    if ((ex->route->flags & GW_ROUTE_SESSION) &&
        !s_session_token(conn, ex->token, sizeof(ex->token)))
        gw_routes_unauthorized(ex->route, &ex->early);
    return MHD_YES;
}

/* A piece of body: kept up to the cap; past it counted and dropped, so the 413 can
 * still be sent, until too much has been dropped. */
static enum MHD_Result s_on_data(s_exchange_t *ex, const char *data, size_t *size) {
    size_t n = *size;
    *size = 0;
    if (!ex->too_large && ex->len + n > GW_HTTP_BODY_MAX) {
        ex->too_large = true;
        free(ex->body);
        ex->body = NULL;
    }
    if (ex->too_large) {
        ex->discarded += n;
        return ex->discarded > S_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (ex->len + n > ex->cap) { /* grow by doubling; most bodies are a few hundred bytes */
        size_t cap = ex->cap ? ex->cap : 1024;
        while (cap < ex->len + n)
            cap *= 2;
        if (cap > GW_HTTP_BODY_MAX)
            cap = GW_HTTP_BODY_MAX;
        char *grown = realloc(ex->body, cap);
        if (!grown)
            return MHD_NO;
        ex->body = grown;
        ex->cap = cap;
    }
    memcpy(ex->body + ex->len, data, n);
    ex->len += n;
    return MHD_YES;
}

/* The HTTP thread that runs conn, on the public or the management listener. */
static gw_loop_thread_t *s_thread_of(gw_http_t *self, struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    if (!info)
        return NULL;
    gw_loop_thread_t *t = gw_loop_thread_of(self->loop, info->daemon);
    return t || !self->mgmt ? t : gw_loop_thread_of(self->mgmt, info->daemon);
}

/* The body is complete: build the Request and hand it to the bridge. */
static enum MHD_Result s_on_complete(s_exchange_t *ex, struct MHD_Connection *conn) {
    if (ex->too_large)
        return s_queue_error(ex, conn, gw_errors_http(GW_ERR_PAYLOAD_TOO_LARGE));
    gw_answer_t ans = {0};
    gw_request_t *req = gw_request_new(ex->tr.trace, ex->client_ip, ex->id,
                                       cmn_time_now_ms() + (uint64_t)ex->http->timeout_ms);
    if (!req)
        return s_queue_error(ex, conn, gw_errors_status(DVCID__STATUS__STATUS_INTERNAL));
    gw_request_set_token(req, ex->token); /* both GW_SESSION_TOKEN_MAX + 1: always fits */
    gw_request_set_accept_language(
        req, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
    cmn_wipe(ex->token, sizeof(ex->token));
    int rc = gw_routes_build(ex->route, req, ex->body, ex->len, &ans);
    free(ex->body);
    ex->body = NULL;
    if (rc != 0) {
        gw_request_destroy(&req);
        return s_queue(ex, conn, &ans);
    }
    gw_loop_thread_t *thread = s_thread_of(ex->http, conn);
    ex->job = gw_bridge_submit(ex->http->bridge, conn, thread, ex->route, &req);
    if (!ex->job) {
        gw_request_destroy(&req);
        return s_queue_error(ex, conn, gw_errors_status(DVCID__STATUS__STATUS_UNAVAILABLE));
    }
    return MHD_YES;
}

/* Resumed by the bridge: the answer is there. */
static enum MHD_Result s_on_resumed(s_exchange_t *ex, struct MHD_Connection *conn) {
    gw_answer_t ans = {0};
    if (!gw_bridge_job_take(ex->job, &ans)) {
        CMN_ERROR(ex->tr.trace, "resumed without an answer");
        return s_queue_error(ex, conn, gw_errors_status(DVCID__STATUS__STATUS_INTERNAL));
    }
    return s_queue(ex, conn, &ans);
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls) {
    (void)version;
    gw_http_t *self = cls;
    s_exchange_t *ex = *req_cls;
    if (!ex) {
        ex = calloc(1, sizeof(*ex));
        if (!ex)
            return MHD_NO;
        *req_cls = ex;
        atomic_fetch_add(&self->active, 1);
        ex->http = self;
        ex->start_ms = cmn_time_mono_ms();
        gw_str_copy(ex->method, sizeof(ex->method), method);
        gw_str_copy(ex->path, sizeof(ex->path), url);
        gw_trace_from(&ex->tr, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"),
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent"));
        if (self->mgmt) {
            const union MHD_ConnectionInfo *info =
                MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
            ex->mgmt = info && gw_loop_thread_of(self->mgmt, info->daemon) != NULL;
        }
        if (s_client_ip(self, conn, ex->client_ip, sizeof(ex->client_ip)) != 0) {
            gw_errors_answer_status(&ex->early, DVCID__STATUS__STATUS_INVALID_REQUEST);
            return MHD_YES;
        }
        if (strlen(url) > S_LOG_PATH) { /* longer than any route: keep the log line short */
            gw_errors_answer_status(&ex->early, DVCID__STATUS__STATUS_NOT_FOUND);
            return MHD_YES;
        }
        return s_on_headers(ex, conn);
    }
    if (ex->status) { /* answered early: whatever body follows is not ours to read */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0 && ex->early.status) { /* a body nobody will read */
        ex->discarded += *upload_data_size;
        *upload_data_size = 0;
        return ex->discarded > S_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    if (*upload_data_size > 0)
        return s_on_data(ex, upload_data, upload_data_size);
    if (ex->early.status) {
        /* The web page and its files: answered from the binary, with their own headers. */
        int page = ex->mgmt ? 0 : gw_page_queue(conn, method, url, &ex->tr);
        if (page != 0) {
            ex->status = page > 0 ? (unsigned)page : 0;
            return page > 0 ? MHD_YES : MHD_NO;
        }
        return s_queue(ex, conn, &ex->early);
    }
    if (ex->job)
        return s_on_resumed(ex, conn);
    return s_on_complete(ex, conn);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                        enum MHD_RequestTerminationCode toe) {
    gw_http_t *self = cls;
    (void)conn;
    s_exchange_t *ex = *req_cls;
    if (!ex)
        return;
    *req_cls = NULL;
    unsigned long long ms = (unsigned long long)(cmn_time_mono_ms() - ex->start_ms);
    if (ex->status)
        gw_metrics_count(gw_bridge_metrics(self->bridge), ex->route, ex->status,
                         (double)ms / 1000.0);
    /* One line per request costs a write() and ~7k instructions in every process it
     * crosses: the ordinary ones are debug, what ops must see stays (server errors, slow
     * answers, connections that ended before their answer). Counts are in /metrics. */
    bool ok = ex->status && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    if (!ok)
        CMN_WARN(ex->tr.trace, "%s %s %u %llums (connection ended early: %d)", ex->method, ex->path,
                 ex->status, ms, (int)toe);
    else if (ex->status >= 500 || ms >= S_SLOW_MS)
        CMN_WARN(ex->tr.trace, "%s %s %u %llums", ex->method, ex->path, ex->status, ms);
    else
        CMN_DEBUG(ex->tr.trace, "%s %s %u %llums", ex->method, ex->path, ex->status, ms);
    gw_bridge_job_release(&ex->job);
    gw_answer_clear(&ex->early);
    cmn_wipe(ex->token, sizeof(ex->token));
    free(ex->body);
    free(ex);
    atomic_fetch_sub(&self->active, 1);
}

/* --- life cycle ------------------------------------------------------------------ */

/* Starts the daemon of one HTTP thread (gw_loop_start_fn). */
static struct MHD_Daemon *s_start_daemon(int listen_fd, unsigned limit, void *arg) {
    gw_http_t *self = arg;
    /* External epoll: gw_loop's thread runs it, and is woken by the bridge after a
     * resume. The logger first, so MHD never prints on its own. */
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(flags, 0, NULL, NULL, s_access, self, MHD_OPTION_EXTERNAL_LOGGER,
                            s_mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
                            S_CONNECTION_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
                            MHD_OPTION_END);
}

/* The management listener: one thread, its own socket (gateway.management_listen). */
static int s_mgmt_start(gw_http_t *self, const cmn_config_t *cfg) {
    struct sockaddr_storage addr;
    socklen_t alen;
    if (gw_http_listen_addr(cfg->gateway_management_listen, &addr, &alen) != 0) {
        CMN_ERROR(NULL, "gateway.management_listen: \"%s\" is not host:port (\"\" for none)",
                  cfg->gateway_management_listen);
        return -1;
    }
    self->mgmt = gw_loop_new((struct sockaddr *)&addr, alen, 1, s_start_daemon, self);
    if (!self->mgmt || gw_loop_start(self->mgmt) != 0) {
        CMN_ERROR(NULL, "cannot serve management HTTP on %s (gateway.management_listen)",
                  cfg->gateway_management_listen);
        gw_loop_destroy(&self->mgmt);
        return -1;
    }
    CMN_INFO(NULL, "management HTTP (/metrics, /readyz with details) on %s%s",
             cfg->gateway_management_listen,
             self->public_metrics ? "; the public listener serves them too (public_metrics)" : "");
    return 0;
}

gw_http_t *gw_http_new(const cmn_config_t *cfg, gw_bridge_t *bridge, const gw_client_ip_t *ips) {
    struct sockaddr_storage addr;
    socklen_t alen;
    if (gw_http_listen_addr(cfg->gateway_listen, &addr, &alen) != 0) {
        CMN_ERROR(NULL, "gateway.listen: \"%s\" is not host:port", cfg->gateway_listen);
        return NULL;
    }
    gw_http_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->bridge = bridge;
    self->ips = ips;
    self->cfg = cfg;
    self->timeout_ms = cfg->gateway_timeout_ms;
    self->cookie_secure = cfg->gateway_cookie_secure != 0;
    snprintf(self->allowed_origins, sizeof(self->allowed_origins), "%s",
             cfg->gateway_allowed_origins);
    unsigned threads = cfg->gateway_threads > 1 ? (unsigned)cfg->gateway_threads : 1;
    /* Started once self->loop is set: the access handler reads it. */
    self->loop = gw_loop_new((struct sockaddr *)&addr, alen, threads, s_start_daemon, self);
    if (!self->loop || gw_loop_start(self->loop) != 0) {
        CMN_ERROR(NULL, "cannot serve HTTP on %s", cfg->gateway_listen);
        gw_loop_destroy(&self->loop);
        free(self);
        return NULL;
    }
    CMN_INFO(NULL, "HTTP on %s (%u threads, up to %u connections)", cfg->gateway_listen, threads,
             gw_loop_connection_limit(self->loop));
    self->public_metrics = cfg->gateway_public_metrics != 0;
    if (cfg->gateway_management_listen[0] && s_mgmt_start(self, cfg) != 0) {
        gw_http_destroy(&self);
        return NULL;
    }
    return self;
}

void gw_http_destroy(gw_http_t **self_p) {
    if (!self_p || !*self_p)
        return;
    gw_http_t *self = *self_p;
    /* Stop accepting, then let the answers gw_bridge_close() made reach their clients
     * before every connection is cut. */
    gw_loop_quiesce(self->loop);
    if (self->mgmt)
        gw_loop_quiesce(self->mgmt);
    uint64_t until = cmn_time_mono_ms() + S_DRAIN_MS;
    while (atomic_load(&self->active) > 0 && cmn_time_mono_ms() < until)
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    gw_loop_destroy(&self->mgmt);
    gw_loop_destroy(&self->loop);
    free(self);
    *self_p = NULL;
}
