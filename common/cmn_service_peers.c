/* cmn_service_peers: the peers a service asks, as groups of instances.
 *
 * Each instance is one DEALER (ZMQ_IMMEDIATE: a send fails at once when it has no
 * connection) with a socket monitor. An instance is live after a handshake succeeded
 * and until its connection drops; ZMTP heartbeats (cmn_service_socket_options) drop
 * the connection of a peer that stops answering, killed or frozen (SIGSTOP), within
 * about a second. An ask goes to the live instance with the fewest asks in flight
 * (round robin among equals). When an instance drops, each ask still waiting on it is
 * sent again, the same bytes (same origin and request id), to another instance of the
 * group; the service there answers a repeat from its reply cache, so a request whose
 * first answer was lost is answered, not done twice. */
#include <stdio.h>
#include <string.h>

#include "cmn_log.h"
#include "cmn_service_int.h"
#include "cmn_time.h"

#define S_PEER_EVENTS (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | CMN_CURVE_EVENTS)
#define S_FAIL_LOG_MS 10000 /* one handshake-failure line per instance per 10 s */

/* --- monitors ------------------------------------------------------------------ */

int cmn_peers_monitor(zsock_t *sock, int events, zsock_t **mon) {
    char ep[64];
    snprintf(ep, sizeof(ep), "inproc://cmn-monitor-%p", (void *)sock);
    *mon = NULL;
    if (zmq_socket_monitor(zsock_resolve(sock), ep, events) != 0)
        return -1;
    zsock_t *pair = zsock_new(ZMQ_PAIR);
    if (!pair || zsock_connect(pair, "%s", ep) != 0) {
        zsock_destroy(&pair);
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
        return -1;
    }
    zsock_set_rcvtimeo(pair, 0);
    *mon = pair;
    return 0;
}

void cmn_peers_unmonitor(zsock_t *sock, zsock_t **mon) {
    if (!*mon)
        return;
    if (sock)
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    zsock_destroy(mon);
}

int cmn_peers_event(zsock_t *mon, unsigned *event, unsigned *value, char *addr, size_t addrlen) {
    zmsg_t *m = zmsg_recv(mon);
    if (!m)
        return -1;
    zframe_t *f = zmsg_first(m);
    zframe_t *a = zmsg_next(m);
    int rc = -1;
    if (f && zframe_size(f) == 6) {
        uint16_t ev;
        uint32_t val;
        memcpy(&ev, zframe_data(f), 2);
        memcpy(&val, zframe_data(f) + 2, 4);
        *event = ev;
        *value = val;
        size_t n = a ? zframe_size(a) : 0;
        if (n >= addrlen)
            n = addrlen - 1;
        if (n)
            memcpy(addr, zframe_data(a), n);
        addr[n] = '\0';
        rc = 0;
    }
    zmsg_destroy(&m);
    return rc;
}

/* --- groups -------------------------------------------------------------------- */

/* Connects instance i of group g to endpoint (server_key: its "@KEY" or ""). */
static int s_connect(cmn_service_t *self, s_peer_t *g, int i, const char *endpoint,
                     const char *server_key) {
    s_inst_t *in = &g->inst[i];
    memset(in, 0, sizeof(*in));
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return -1;
    cmn_service_socket_options(s);
    /* Without a live connection a send fails at once, so the ask goes to another
     * instance or is answered UNAVAILABLE instead of queueing into the void. */
    zsock_set_immediate(s, 1);
    zsock_set_reconnect_ivl(s, 100);
    zsock_set_reconnect_ivl_max(s, 1000);
    char err[512], key[64];
    snprintf(key, sizeof(key), "%s endpoint", g->name);
    if (cmn_curve_client(self->curve, s, key, endpoint, server_key, err, sizeof(err)) != 0) {
        CMN_ERROR(NULL, "%s", err);
        zsock_destroy(&s);
        return -1;
    }
    if (cmn_peers_monitor(s, S_PEER_EVENTS, &in->monitor) != 0 ||
        zsock_connect(s, "%s", endpoint) < 0) {
        CMN_ERROR(NULL, "cannot connect to %s at %s: %s", g->name, endpoint,
                  zmq_strerror(zmq_errno()));
        cmn_peers_unmonitor(s, &in->monitor);
        zsock_destroy(&s);
        return -1;
    }
    in->sock = s;
    snprintf(in->endpoint, sizeof(in->endpoint), "%s", endpoint);
    return 0;
}

/* Adds a group for shard of eps. Returns its index or -1. */
static int s_group(cmn_service_t *self, const char *name, const cmn_endpoints_t *eps, int shard) {
    if (self->npeers == S_MAX_PEERS) {
        CMN_ERROR(NULL, "more than %d peer groups", S_MAX_PEERS);
        return -1;
    }
    s_peer_t *g = &self->peers[self->npeers];
    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name);
    int n = cmn_endpoints_instances(eps, shard);
    for (int i = 0; i < n; i++) {
        if (s_connect(self, g, i, cmn_endpoints_get(eps, shard, i),
                      cmn_endpoints_server_key(eps, shard, i)) != 0) {
            for (int j = 0; j < i; j++) {
                cmn_peers_unmonitor(g->inst[j].sock, &g->inst[j].monitor);
                zsock_destroy(&g->inst[j].sock);
            }
            return -1;
        }
        g->ninst = i + 1;
    }
    return self->npeers++;
}

int cmn_service_peer(cmn_service_t *self, const char *name, const char *endpoints) {
    char err[512], key[64];
    snprintf(key, sizeof(key), "%s endpoint", name);
    cmn_endpoints_t *eps = cmn_endpoints_new(key, endpoints, err, sizeof(err));
    if (!eps) {
        CMN_ERROR(NULL, "%s", err);
        return -1;
    }
    int rc = -1;
    if (cmn_endpoints_shards(eps) != 1)
        CMN_ERROR(NULL,
                  "%s: %d shards where one shard's instances were expected "
                  "(use cmn_service_peer_shards)",
                  key, cmn_endpoints_shards(eps));
    else
        rc = s_group(self, name, eps, 0);
    cmn_endpoints_destroy(&eps);
    return rc;
}

int cmn_service_peer_shards(cmn_service_t *self, const char *name, const cmn_endpoints_t *eps,
                            int *first_peer) {
    int n = cmn_endpoints_shards(eps);
    if (self->npeers + n > S_MAX_PEERS) {
        CMN_ERROR(NULL, "%s: %d shards, more than the %d peer groups left", name, n,
                  S_MAX_PEERS - self->npeers);
        return -1;
    }
    int first = self->npeers;
    for (int s = 0; s < n; s++) {
        char gname[32];
        snprintf(gname, sizeof(gname), n > 1 ? "%s/%d" : "%s", name, s);
        if (s_group(self, gname, eps, s) < 0)
            return -1;
    }
    if (first_peer)
        *first_peer = first;
    return n;
}

int cmn_service_peer_instances(cmn_service_t *self, int peer) {
    return peer >= 0 && peer < self->npeers ? self->peers[peer].ninst : 0;
}

bool cmn_service_peer_instance_live(cmn_service_t *self, int peer, int inst) {
    return peer >= 0 && peer < self->npeers && inst >= 0 && inst < self->peers[peer].ninst &&
           self->peers[peer].inst[inst].up;
}

int cmn_service_peer_live(cmn_service_t *self, int peer) {
    int n = 0;
    for (int i = 0; peer >= 0 && peer < self->npeers && i < self->peers[peer].ninst; i++)
        n += self->peers[peer].inst[i].up;
    return n;
}

void cmn_peers_close(cmn_service_t *self) {
    for (int p = 0; p < self->npeers; p++) {
        for (int i = 0; i < self->peers[p].ninst; i++) {
            s_inst_t *in = &self->peers[p].inst[i];
            cmn_peers_unmonitor(in->sock, &in->monitor);
            zsock_destroy(&in->sock);
        }
    }
    self->npeers = 0;
}

/* --- sending and failover ------------------------------------------------------ */

static int s_try(cmn_service_t *self, cmn_ask_t *a, int i) {
    s_inst_t *in = &self->peers[a->peer].inst[i];
    if (!a->data || zmq_send(zsock_resolve(in->sock), a->data, a->len, ZMQ_DONTWAIT) < 0)
        return -1;
    a->inst = i;
    in->inflight++;
    return 0;
}

int cmn_peers_send(cmn_service_t *self, cmn_ask_t *a, int avoid) {
    s_peer_t *g = &self->peers[a->peer];
    a->inst = -1;
    if (a->pin > 0) /* that instance or none: its own metrics are asked, not any copy's */
        return a->pin - 1 < g->ninst && a->pin - 1 != avoid ? s_try(self, a, a->pin - 1) : -1;
    /* Live instances first, fewest in flight; then any other (a connection may be up
     * before its event was read). */
    int order[CMN_EP_MAX_INSTANCES], n = 0;
    for (int k = 0; k < g->ninst; k++) {
        int i = (int)((g->rr + (unsigned)k) % (unsigned)g->ninst);
        if (i != avoid && g->inst[i].up)
            order[n++] = i;
    }
    for (int x = 1; x < n; x++) /* insertion sort by in flight: n is small */
        for (int y = x; y > 0 && g->inst[order[y]].inflight < g->inst[order[y - 1]].inflight; y--) {
            int t = order[y];
            order[y] = order[y - 1];
            order[y - 1] = t;
        }
    for (int k = 0; k < g->ninst; k++) {
        int i = (int)((g->rr + (unsigned)k) % (unsigned)g->ninst);
        if (i != avoid && !g->inst[i].up)
            order[n++] = i;
    }
    g->rr++;
    for (int k = 0; k < n; k++)
        if (s_try(self, a, order[k]) == 0)
            return 0;
    return -1;
}

void cmn_peers_done(cmn_service_t *self, const cmn_ask_t *a) {
    if (a->peer >= 0 && a->peer < self->npeers && a->inst >= 0 &&
        self->peers[a->peer].inst[a->inst].inflight > 0)
        self->peers[a->peer].inst[a->inst].inflight--;
}

typedef struct {
    cmn_service_t *self;
    int peer, inst; /* asks on this instance (inst -1: on none) move */
    int moved, stuck;
} s_move_t;

static void s_move_one(cmn_ask_t *a, void *arg) {
    s_move_t *m = arg;
    if (a->peer != m->peer || a->inst != m->inst)
        return;
    cmn_peers_done(m->self, a);
    if (cmn_peers_send(m->self, a, m->inst) == 0)
        m->moved++;
    else
        m->stuck++; /* waits for an instance to come up, or its deadline */
}

/* Sends the asks waiting on instance inst of group p (inst -1: on none) elsewhere. */
static void s_move(cmn_service_t *self, int p, int inst) {
    s_move_t m = {self, p, inst, 0, 0};
    cmn_asks_each(self->asks, s_move_one, &m);
    if (m.moved) {
        char labels[64];
        snprintf(labels, sizeof(labels), "peer=\"%s\"", self->peers[p].name);
        cmn_metrics_add(self->metrics, "dvcid_asks_resent_total", labels, (double)m.moved,
                        "Requests sent again to another instance after theirs dropped");
    }
    if (m.moved || m.stuck)
        CMN_WARN(NULL, "%s: %d requests in flight sent to another instance, %d wait for one",
                 self->peers[p].name, m.moved, m.stuck);
}

static void s_on_event(cmn_service_t *self, int p, int i, unsigned event, unsigned value) {
    s_peer_t *g = &self->peers[p];
    s_inst_t *in = &g->inst[i];
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (!in->up)
            CMN_INFO(NULL, "%s instance %d (%s) is up", g->name, i, in->endpoint);
        in->up = 1;
        s_move(self, p, -1); /* asks that found no instance go now */
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (in->up)
            CMN_WARN(NULL, "%s instance %d (%s) dropped: no new requests go there", g->name, i,
                     in->endpoint);
        in->up = 0;
        s_move(self, p, i);
        /* libzmq reconnects after a lost connection, but not after a protocol error (a
         * reply over the size cap, say): that session ends for good. Connecting again by
         * hand covers both; a reconnect libzmq had pending is replaced by this one. */
        if (zsock_disconnect(in->sock, "%s", in->endpoint) == 0 &&
            zsock_connect(in->sock, "%s", in->endpoint) != 0)
            CMN_ERROR(NULL, "%s instance %d (%s): cannot connect again", g->name, i, in->endpoint);
    } else {
        in->up = 0;
        uint64_t now = cmn_time_mono_ms();
        if (!in->fail_log_mono || now - in->fail_log_mono >= S_FAIL_LOG_MS) {
            CMN_WARN(NULL, "%s instance %d (%s): handshake refused: %s", g->name, i, in->endpoint,
                     cmn_curve_event(event, value));
            in->fail_log_mono = now;
        }
        cmn_metrics_add(self->metrics, "dvcid_handshake_failures_total", "side=\"client\"", 1,
                        "ZeroMQ handshakes that failed (CURVE keys, mechanism mismatch)");
    }
}

int cmn_peers_nitems(const cmn_service_t *self) {
    int n = 0;
    for (int p = 0; p < self->npeers; p++)
        n += 2 * self->peers[p].ninst;
    return n;
}

int cmn_peers_fill(cmn_service_t *self, zmq_pollitem_t *items) {
    int n = 0;
    for (int p = 0; p < self->npeers; p++) {
        for (int i = 0; i < self->peers[p].ninst; i++) {
            s_inst_t *in = &self->peers[p].inst[i];
            items[n++] = (zmq_pollitem_t){zsock_resolve(in->sock), 0, ZMQ_POLLIN, 0};
            items[n++] = (zmq_pollitem_t){zsock_resolve(in->monitor), 0, ZMQ_POLLIN, 0};
        }
    }
    return n;
}

void cmn_peers_turn(cmn_service_t *self, const zmq_pollitem_t *items) {
    int n = 0;
    for (int p = 0; p < self->npeers; p++) {
        for (int i = 0; i < self->peers[p].ninst; i++, n += 2) {
            s_inst_t *in = &self->peers[p].inst[i];
            /* Events first: a drop moves the asks before new replies are read. */
            if (items[n + 1].revents & ZMQ_POLLIN) {
                unsigned ev, val;
                char addr[256];
                while (cmn_peers_event(in->monitor, &ev, &val, addr, sizeof(addr)) == 0)
                    s_on_event(self, p, i, ev, val);
            }
            if (items[n].revents & ZMQ_POLLIN) {
                void *sock = zsock_resolve(in->sock);
                zmq_msg_t f[1];
                for (int k = 0; k < S_BATCH_MAX && cmn_service_batch_open(self); k++) {
                    int frames = cmn_service_recv(sock, f, 1);
                    if (frames == 0)
                        break;
                    cmn_service_on_peer_reply(self, f, frames);
                    cmn_service_recv_close(f, frames, 1);
                }
            }
        }
    }
}
