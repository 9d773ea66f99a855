/* cmn_service_setup: making and destroying a service (its ROUTER bound to its entry of
 * the endpoint list, the reply cache, the worker pool), its timers and watched fds, and
 * the signals that stop every loop (SIGHUP's: cmn_service_reload.c). The loop itself is
 * cmn_service.c. */
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_endpoints.h"
#include "cmn_log.h"
#include "cmn_pool.h"
#include "cmn_service.h"
#include "cmn_service_int.h"
#include "cmn_time.h"

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig) {
    (void)sig;
    s_stop = 1;
}

bool cmn_service_stopping(void) { return s_stop != 0; }

/* --- set-up ------------------------------------------------------------------- */

void cmn_service_socket_options(zsock_t *s) {
    zsock_set_maxmsgsize(s, S_MAX_MSG);
    zsock_set_sndhwm(s, 100000);
    zsock_set_rcvhwm(s, 100000);
    zsock_set_linger(s, 0);
    zsock_set_rcvtimeo(s, 0);
    /* ZMTP heartbeats, answered by libzmq's I/O thread, drop the connection to a peer
     * that is dead or frozen within about a second, well inside a request's deadline,
     * so its asks move to another instance (cmn_service_peers.c). */
    zsock_set_heartbeat_ivl(s, 250);
    zsock_set_heartbeat_timeout(s, 1000);
    zsock_set_heartbeat_ttl(s, 1000);
}

/* Binds the ROUTER on the endpoint [shard][instance] of the service's list. */
static int s_bind(cmn_service_t *self, const cmn_service_opts_t *opts) {
    char err[512], key[64];
    int shard = self->cfg ? self->cfg->proc_shard : 0;
    int inst = self->cfg ? self->cfg->proc_instance : 0;
    snprintf(key, sizeof(key), "%s", opts->bind_key ? opts->bind_key : "endpoint");
    cmn_endpoints_t *eps = cmn_endpoints_new(key, opts->bind, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        return -1;
    }
    const char *ep = cmn_endpoints_get(eps, shard, inst);
    int rc = -1;
    if (!ep) {
        CMN_ERROR(NULL,
                  "--shard %d --instance %d: %s has %d shards, shard %d has %d instances "
                  "(both numbered from 0)",
                  shard, inst, key, cmn_endpoints_shards(eps), shard,
                  cmn_endpoints_instances(eps, shard));
        goto done;
    }
    self->router = zsock_new(ZMQ_ROUTER);
    if (!self->router)
        goto done;
    cmn_service_socket_options(self->router);
    zsock_set_router_handover(self->router, 1);
    if (cmn_curve_server(self->curve, self->router, key, ep, err, sizeof(err)) != 0) {
        CMN_ERROR(NULL, "%s", err);
        goto done;
    }
    if (cmn_peers_monitor(self->router, CMN_CURVE_EVENTS, &self->router_monitor) != 0 ||
        zsock_bind(self->router, "%s", ep) < 0) {
        CMN_ERROR(NULL, "cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
        goto done;
    }
    CMN_INFO(NULL, "listening on %s (shard %d, instance %d%s)", ep, shard, inst,
             cmn_curve_enabled(self->curve) ? ", CURVE" : "");
    rc = 0;
done:
    cmn_endpoints_destroy(&eps);
    return rc;
}

/* Series that say what runs: the version, and each test setting (1: on), so an alert
 * sees a host left in test mode (cmn_config_test_mode). */
void cmn_service_static_metrics(cmn_service_t *self) {
    char labels[96];
    snprintf(labels, sizeof(labels), "version=\"%s\"", DVCID_VERSION);
    cmn_metrics_set(self->metrics, "dvcid_build_info", labels, 1,
                    "The dvcid version this process runs (always 1)");
    if (!self->cfg)
        return;
    const char *on[CMN_CONFIG_TEST_SETTINGS];
    int n = cmn_config_test_mode(self->cfg, on, CMN_CONFIG_TEST_SETTINGS);
    for (int i = 0; i < CMN_CONFIG_TEST_SETTINGS; i++) {
        int set = 0;
        for (int k = 0; k < n; k++)
            set |= on[k] == cmn_config_test_names[i];
        snprintf(labels, sizeof(labels), "setting=\"%s\"", cmn_config_test_names[i]);
        cmn_metrics_set(self->metrics, "dvcid_test_mode", labels, set,
                        "A test setting in force (1): file SMS provider, test phone prefix, "
                        "test code, captcha test answer");
    }
}

static const cmn_route_t s_default_routes[] = {
    {DVCID__REQUEST__BODY_PING, cmn_service_on_ping},
    {DVCID__REQUEST__BODY_METRICS_GET, cmn_service_on_metrics},
};

cmn_service_t *cmn_service_new(const cmn_service_opts_t *opts) {
    /* Our own handlers: czmq's would swallow SIGTERM into zsys_interrupted. */
    zsys_handler_set(NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cmn_service_reload_signal() != 0)
        CMN_WARN(NULL, "cannot set up SIGHUP (reload): %s", strerror(errno));

    cmn_service_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    snprintf(self->name, sizeof(self->name), "%s", opts->name);
    self->routes = opts->routes;
    self->nroutes = opts->nroutes;
    for (size_t i = opts->nroutes; i-- > 0;) /* the first of a body wins, as in a scan */
        if (opts->routes[i].body >= 0 && opts->routes[i].body < S_BODIES)
            self->route_of[opts->routes[i].body] = &opts->routes[i];
    /* Ping and MetricsGet: every service answers them (its own handlers or these), and
     * they change nothing (never cached, run below the disk's low-water mark). */
    for (size_t i = 0; i < sizeof(s_default_routes) / sizeof(s_default_routes[0]); i++) {
        Dvcid__Request__BodyCase body = s_default_routes[i].body;
        if (!self->route_of[body])
            self->route_of[body] = &s_default_routes[i];
        self->read_only |= (uint64_t)1 << body;
    }
    self->admit = opts->admit;
    self->reload = opts->reload;
    self->self = opts->self;
    self->db = opts->db;
    self->cfg = opts->cfg;
    if (self->db && self->cfg)
        cmn_db_limits_set(self->db, (uint64_t)self->cfg->storage_max_map_mib << 20,
                          (uint64_t)self->cfg->storage_min_free_mib << 20);
    self->next_request_id = (uint64_t)randombytes_random() << 20;
    while (!self->origin) /* 0 means "no origin": a client without idempotency */
        randombytes_buf(&self->origin, sizeof(self->origin));
    self->metrics = cmn_metrics_new(opts->name);
    self->asks = cmn_asks_new();
    char err[512];
    if (self->metrics && self->asks)
        self->curve = cmn_curve_new(opts->cfg, err, sizeof(err));
    if (!self->metrics || !self->asks || !self->curve) {
        if (self->metrics && self->asks)
            CMN_ERROR(NULL, "%s", err);
        cmn_metrics_destroy(&self->metrics);
        cmn_asks_destroy(&self->asks);
        free(self);
        return NULL;
    }
    char inst[16];
    snprintf(inst, sizeof(inst), "%d-%d", self->cfg ? self->cfg->proc_shard : 0,
             self->cfg ? self->cfg->proc_instance : 0);
    cmn_metrics_set_instance(self->metrics, inst);
    cmn_service_static_metrics(self);
    cmn_service_reload_metrics(self);
    if (opts->bind && s_bind(self, opts) != 0) {
        cmn_service_destroy(&self);
        return NULL;
    }
    if (self->db && cmn_service_replies_open(self) != 0) {
        cmn_service_destroy(&self);
        return NULL;
    }
    if (opts->workers > 0 || opts->worker_queue > 0) {
        self->pool = cmn_pool_new(opts->workers, opts->worker_queue);
        if (!self->pool) {
            CMN_ERROR(NULL, "cannot start the worker pool");
            cmn_service_destroy(&self);
            return NULL;
        }
    }
    return self;
}

static void s_drop_job(void *tag, void *arg) {
    (void)arg; /* the job's arg belongs to its done function, which will not run */
    free(tag);
}

void cmn_service_destroy(cmn_service_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_service_t *self = *self_p;
    cmn_pool_destroy(&self->pool, s_drop_job);
    for (size_t i = 0; i < self->nout; i++) {
        zframe_destroy(&self->out[i].identity);
        free(self->out[i].data);
    }
    free(self->out);
    cmn_service_later_clear(self);
    free(self->later);
    cmn_asks_destroy(&self->asks);
    cmn_peers_close(self);
    cmn_peers_unmonitor(self->router, &self->router_monitor);
    zsock_destroy(&self->router);
    cmn_curve_destroy(&self->curve);
    cmn_metrics_destroy(&self->metrics);
    free(self->items);
    free(self);
    *self_p = NULL;
}

int cmn_service_read_only(cmn_service_t *self, Dvcid__Request__BodyCase body) {
    if (body < 0 || body >= S_BODIES)
        return -1;
    self->read_only |= (uint64_t)1 << body;
    return 0;
}

int cmn_service_callers(cmn_service_t *self, const cmn_caller_t *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (rows[i].body < 0 || rows[i].body >= S_BODIES || rows[i].roles == 0 ||
            rows[i].roles > CMN_ROLE_ALL)
            return -1;
        self->callers[rows[i].body] = (unsigned char)rows[i].roles;
    }
    return 0;
}

int cmn_service_every(cmn_service_t *self, int interval_ms, cmn_timer_fn *fn) {
    if (self->ntimers == S_MAX_TIMERS)
        return -1;
    s_timer_t *t = &self->timers[self->ntimers];
    t->interval_ms = interval_ms;
    t->due_mono = cmn_time_mono_ms() + (uint64_t)interval_ms;
    t->fn = fn;
    return self->ntimers++;
}

void cmn_service_wake(cmn_service_t *self, int timer_id) {
    if (timer_id >= 0 && timer_id < self->ntimers)
        self->timers[timer_id].due_mono = 0;
}

int cmn_service_watch(cmn_service_t *self, int fd, cmn_fd_fn *fn, void *arg) {
    if (self->nwatches == S_MAX_WATCHES)
        return -1;
    self->watches[self->nwatches++] = (s_watch_t){fd, fn, arg};
    return 0;
}
