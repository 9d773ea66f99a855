/* sms_smpp: the `smpp` provider, an SMPP 3.4 ESME bound as transceiver. One
 * thread owns the TCP link and a window of up to sms.smpp_window submit_sm
 * awaiting their submit_sm_resp; requests come in through a channel whose
 * eventfd it polls with the socket. libsmpp34 packs and unpacks the PDUs (its
 * error state is process-wide, so only this thread calls it); the socket, the
 * 4-byte length framing and the state machine are here.
 *
 * The link: connect -> bind_transceiver -> bound; enquire_link when idle; any
 * error, unbind or timeout drops it and a new one is tried with backoff (0.5 s
 * doubling to sms.smpp_reconnect_ms). When it drops, every submit_sm still
 * waiting for its resp is reported SMS_RES_UNKNOWN (the SMSC may have it: it is
 * retried, at-least-once), and while it is down new requests are reported
 * SMS_RES_FAILED at once (never sent: the router may use another provider).
 * ESME_RTHROTTLED and ESME_RMSGQFUL pause submits for a second. deliver_sm with
 * a delivery receipt becomes an SMS_RES_RECEIPT matched by the SMSC's id. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* libsmpp34's command ids and status codes (its packing is in sms_pdu.c). */
#include <smpp34.h>

#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_pdu.h"
#include "sms_provider.h"

#define S_PDU_MAX 65536
#define S_WINDOW_MAX 256
#define S_THROTTLE_MS 1000
#define S_BACKOFF_MIN_MS 500
/* A provider's name for the log before it has its own copy. */
#define S_NAME(s) ((s)->name[0] ? (s)->name : "smpp")

typedef enum { S_DOWN, S_CONNECTING, S_BINDING, S_BOUND } s_state_t;

typedef struct {
    uint32_t seq;
    sms_req_t *req;
    uint64_t sent_ms; /* monotonic */
} s_slot_t;

typedef struct {
    sms_provider_t base;
    sms_settings_t set;
    /* the link (thread-owned) */
    int fd;
    s_state_t state;
    bool failed_once; /* a link attempt failed: requests fail fast while down */
    uint32_t seq;
    uint64_t since_ms; /* when the state was entered (monotonic) */
    uint64_t next_connect_ms;
    uint32_t backoff_ms;
    uint64_t last_io_ms;
    uint64_t enquire_ms; /* an enquire_link out since then, 0 for none */
    uint64_t throttle_until_ms;
    s_slot_t win[S_WINDOW_MAX];
    int nwin;
    uint8_t rbuf[S_PDU_MAX];
    size_t rlen;
    uint8_t *wbuf;
    size_t wlen, wcap;
} sms_smpp_t;

/* --- output ---------------------------------------------------------------------- */

static int s_queue_bytes(sms_smpp_t *self, const uint8_t *data, size_t len) {
    if (self->wlen + len > self->wcap) {
        size_t cap = self->wcap ? self->wcap : 4096;
        while (cap < self->wlen + len)
            cap *= 2;
        uint8_t *n = realloc(self->wbuf, cap);
        if (!n)
            return -1;
        self->wbuf = n;
        self->wcap = cap;
    }
    memcpy(self->wbuf + self->wlen, data, len);
    self->wlen += len;
    return 0;
}

static uint32_t s_next_seq(sms_smpp_t *self) {
    self->seq = self->seq >= 0x7FFFFFFF ? 1 : self->seq + 1; /* 0 is refused by libsmpp34 */
    return self->seq;
}

/* A PDU of a header only (enquire_link, generic_nack, the resps without body). */
static int s_send_header(sms_smpp_t *self, uint32_t id, uint32_t status, uint32_t seq) {
    uint8_t h[16];
    sms_pdu_header(id, status, seq, h);
    return s_queue_bytes(self, h, sizeof(h));
}

/* --- the link ---------------------------------------------------------------------- */

static void s_enter(sms_smpp_t *self, s_state_t st) {
    self->state = st;
    self->since_ms = cmn_time_mono_ms();
}

/* Drops the link: every submit awaiting its resp may be at the SMSC (UNKNOWN). */
static void s_drop(sms_smpp_t *self, const char *why) {
    if (self->state == S_BOUND || self->nwin > 0)
        CMN_WARN(NULL, "sms %s: link to %s:%d lost (%s); %d submits unanswered", self->set.name,
                 self->set.smpp_host, self->set.smpp_port, why, self->nwin);
    else
        CMN_WARN(NULL, "sms %s: link to %s:%d failed: %s", self->set.name, self->set.smpp_host,
                 self->set.smpp_port, why);
    for (int i = 0; i < self->nwin; i++) {
        sms_provider_post(&self->base, SMS_RES_UNKNOWN, self->win[i].req, NULL, why);
        sms_req_free(self->win[i].req);
    }
    self->nwin = 0;
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
    self->rlen = self->wlen = 0;
    self->enquire_ms = 0;
    self->failed_once = true;
    s_enter(self, S_DOWN);
    self->backoff_ms = self->backoff_ms ? self->backoff_ms * 2 : S_BACKOFF_MIN_MS;
    if (self->backoff_ms > (uint32_t)self->set.smpp_reconnect_ms)
        self->backoff_ms = (uint32_t)self->set.smpp_reconnect_ms;
    self->next_connect_ms = cmn_time_mono_ms() + self->backoff_ms;
}

static void s_connect(sms_smpp_t *self) {
    char port[16];
    snprintf(port, sizeof(port), "%d", self->set.smpp_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(self->set.smpp_host, port, &hints, &ai);
    if (rc != 0) {
        s_drop(self, gai_strerror(rc));
        return;
    }
    self->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->fd >= 0) {
        int one = 1;
        setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        rc = connect(self->fd, ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(ai);
    if (self->fd < 0 || (rc != 0 && errno != EINPROGRESS)) {
        s_drop(self, strerror(errno));
        return;
    }
    s_enter(self, S_CONNECTING);
}

/* The socket connected: bind as transceiver. */
static void s_bind(sms_smpp_t *self) {
    uint8_t buf[SMS_PDU_MAX];
    int n = sms_pdu_bind(s_next_seq(self), self->set.smpp_system_id, self->set.smpp_password, buf,
                         sizeof(buf));
    int rc = n < 0 ? -1 : s_queue_bytes(self, buf, (size_t)n);
    memset(buf, 0, sizeof(buf));
    if (rc != 0) {
        s_drop(self, "cannot pack bind_transceiver");
        return;
    }
    s_enter(self, S_BINDING);
}

/* Packs and queues req as submit_sm in the window. Returns 0, or -1 (req failed). */
static int s_submit(sms_smpp_t *self, sms_req_t *req) {
    uint8_t buf[SMS_PDU_MAX];
    int n = sms_pdu_submit(s_next_seq(self), self->set.smpp_source, req->to, req->text, buf,
                           sizeof(buf));
    int rc = n < 0 ? -1 : s_queue_bytes(self, buf, (size_t)n);
    memset(buf, 0, sizeof(buf)); /* it holds the code */
    if (rc != 0) {
        sms_provider_post(&self->base, n == -2 ? SMS_RES_REJECTED : SMS_RES_FAILED, req, NULL,
                          n == -2 ? "text cannot be encoded" : "cannot pack submit_sm");
        return -1;
    }
    s_slot_t *slot = &self->win[self->nwin++];
    slot->seq = self->seq;
    slot->req = req;
    slot->sent_ms = cmn_time_mono_ms();
    return 0;
}

/* --- input ------------------------------------------------------------------------ */

static uint32_t s_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int s_slot(sms_smpp_t *self, uint32_t seq) {
    for (int i = 0; i < self->nwin; i++)
        if (self->win[i].seq == seq)
            return i;
    return -1;
}

static void s_submit_resp(sms_smpp_t *self, uint32_t status, uint32_t seq, const uint8_t *body,
                          size_t blen) {
    int i = s_slot(self, seq);
    if (i < 0) {
        CMN_DEBUG(NULL, "sms %s: submit_sm_resp for unknown sequence %u", self->set.name, seq);
        return;
    }
    sms_req_t *req = self->win[i].req;
    self->win[i] = self->win[--self->nwin];
    char ref[SMS_REF_MAX], why[SMS_WHY_MAX];
    sms_pdu_submit_ref(body, blen, ref, sizeof(ref));
    if (status == ESME_ROK) /* the usual answer: not formatted per message */
        sms_copy(why, sizeof(why), "submit_sm_resp status 0x00000000");
    else
        snprintf(why, sizeof(why), "submit_sm_resp status 0x%08x", status);
    sms_res_kind_t kind = sms_pdu_submit_status(status);
    if (kind == SMS_RES_THROTTLED)
        self->throttle_until_ms = cmn_time_mono_ms() + S_THROTTLE_MS;
    sms_provider_post(&self->base, kind, req, kind == SMS_RES_ACCEPTED ? ref : NULL, why);
    sms_req_free(req);
}

static void s_deliver(sms_smpp_t *self, const uint8_t *pdu, size_t len, uint32_t seq) {
    char ref[SMS_REF_MAX] = "";
    sms_dlr_t dlr = SMS_DLR_NONE;
    int rc = sms_pdu_receipt(pdu, len, ref, sizeof(ref), &dlr);
    if (rc < 0)
        CMN_WARN(NULL, "sms %s: deliver_sm does not unpack", self->set.name);
    else if (rc == 0)
        CMN_DEBUG(NULL, "sms %s: deliver_sm that is not a receipt ignored", self->set.name);
    if (rc == 1 && ref[0]) {
        sms_res_t *res = calloc(1, sizeof(*res));
        if (res) {
            res->kind = SMS_RES_RECEIPT;
            res->prov = self->base.prov;
            res->dlr = dlr;
            res->at_ms = cmn_time_now_ms();
            sms_copy(res->ref, sizeof(res->ref), ref);
            if (cmn_chan_push(self->base.results, res) != 0)
                free(res);
        }
    }
    uint8_t buf[64];
    int n = sms_pdu_deliver_resp(seq, rc < 0 ? ESME_RSYSERR : ESME_ROK, buf, sizeof(buf));
    if (n < 0 || s_queue_bytes(self, buf, (size_t)n) != 0)
        s_drop(self, "cannot pack deliver_sm_resp");
}

/* Handles one whole PDU. */
static void s_pdu(sms_smpp_t *self, const uint8_t *pdu, size_t len) {
    uint32_t id = s_be32(pdu + 4), status = s_be32(pdu + 8), seq = s_be32(pdu + 12);
    switch (id) {
    case BIND_TRANSCEIVER_RESP:
        if (status != ESME_ROK) {
            char why[64];
            snprintf(why, sizeof(why), "bind refused, status 0x%08x", status);
            s_drop(self, why);
            return;
        }
        CMN_INFO(NULL, "sms %s: bound to %s:%d as %s", self->set.name, self->set.smpp_host,
                 self->set.smpp_port, self->set.smpp_system_id);
        s_enter(self, S_BOUND);
        self->backoff_ms = 0;
        self->failed_once = false;
        break;
    case SUBMIT_SM_RESP:
        s_submit_resp(self, status, seq, pdu + 16, len - 16);
        break;
    case DELIVER_SM:
        s_deliver(self, pdu, len, seq);
        break;
    case ENQUIRE_LINK:
        s_send_header(self, ENQUIRE_LINK_RESP, ESME_ROK, seq);
        break;
    case ENQUIRE_LINK_RESP:
        self->enquire_ms = 0;
        break;
    case UNBIND:
        s_send_header(self, UNBIND_RESP, ESME_ROK, seq);
        if (self->wlen > 0 && write(self->fd, self->wbuf, self->wlen) < 0)
            CMN_DEBUG(NULL, "sms %s: unbind_resp not written", self->set.name);
        s_drop(self, "the SMSC unbound");
        break;
    case GENERIC_NACK: {
        int i = s_slot(self, seq);
        if (i >= 0) {
            sms_req_t *req = self->win[i].req;
            self->win[i] = self->win[--self->nwin];
            sms_provider_post(&self->base, SMS_RES_FAILED, req, NULL, "generic_nack");
            sms_req_free(req);
        }
        break;
    }
    default:
        if (!(id & 0x80000000u))
            s_send_header(self, GENERIC_NACK, ESME_RINVCMDID, seq);
        break;
    }
}

/* Reads what the socket has and handles every whole PDU. */
static void s_read(sms_smpp_t *self) {
    for (;;) {
        ssize_t n = read(self->fd, self->rbuf + self->rlen, sizeof(self->rbuf) - self->rlen);
        if (n == 0) {
            s_drop(self, "closed by the SMSC");
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            s_drop(self, strerror(errno));
            return;
        }
        self->rlen += (size_t)n;
        self->last_io_ms = cmn_time_mono_ms();
        size_t off = 0;
        while (self->rlen - off >= 16) {
            uint32_t len = s_be32(self->rbuf + off);
            if (len < 16 || len > S_PDU_MAX) {
                s_drop(self, "a PDU of impossible length");
                return;
            }
            if (self->rlen - off < len)
                break;
            s_pdu(self, self->rbuf + off, len);
            if (self->fd < 0)
                return; /* dropped while handling it */
            off += len;
        }
        memmove(self->rbuf, self->rbuf + off, self->rlen - off);
        self->rlen -= off;
    }
}

static void s_write(sms_smpp_t *self) {
    while (self->wlen > 0) {
        ssize_t n = write(self->fd, self->wbuf, self->wlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            s_drop(self, strerror(errno));
            return;
        }
        memmove(self->wbuf, self->wbuf + n, self->wlen - (size_t)n);
        self->wlen -= (size_t)n;
        self->last_io_ms = cmn_time_mono_ms();
    }
}

/* --- the thread ----------------------------------------------------------------------- */

/* Milliseconds from then to now; 0 when then is later (set after now was read). */
static uint64_t s_since(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

/* Deadlines: a link step or a resp that takes longer than the timeout drops it. */
static void s_check_time(sms_smpp_t *self) {
    uint64_t now = cmn_time_mono_ms(), limit = (uint64_t)self->set.smpp_timeout_ms;
    if ((self->state == S_CONNECTING || self->state == S_BINDING) &&
        s_since(now, self->since_ms) > limit) {
        s_drop(self, self->state == S_CONNECTING ? "connect timed out" : "bind timed out");
        return;
    }
    if (self->state != S_BOUND)
        return;
    for (int i = 0; i < self->nwin; i++) {
        if (s_since(now, self->win[i].sent_ms) > limit) {
            s_drop(self, "submit_sm_resp timed out");
            return;
        }
    }
    if (self->enquire_ms && s_since(now, self->enquire_ms) > limit) {
        s_drop(self, "enquire_link_resp timed out");
        return;
    }
    if (!self->enquire_ms &&
        s_since(now, self->last_io_ms) >= (uint64_t)self->set.smpp_enquire_s * 1000) {
        self->enquire_ms = now;
        s_send_header(self, ENQUIRE_LINK, ESME_ROK, s_next_seq(self));
    }
}

static void s_run(sms_provider_t *base) {
    sms_smpp_t *self = (sms_smpp_t *)base;
    for (;;) {
        uint64_t now = cmn_time_mono_ms();
        bool stopping = sms_provider_stopping(base);
        if (sms_provider_over(base, self->nwin == 0 || self->state != S_BOUND))
            break;
        if (self->state == S_DOWN && !stopping && now >= self->next_connect_ms)
            s_connect(self);
        if (self->state == S_DOWN && self->failed_once)
            sms_provider_fail_waiting(base, "SMPP link down");
        bool room = self->state == S_BOUND && !stopping && now >= self->throttle_until_ms &&
                    self->nwin < self->set.smpp_window;
        sms_req_t *req;
        while (room && self->nwin < self->set.smpp_window && (req = sms_provider_next(base)))
            if (s_submit(self, req) != 0)
                sms_req_free(req);
        s_check_time(self);
        if (self->fd >= 0 && self->wlen > 0 && self->state != S_CONNECTING)
            s_write(self);
        struct pollfd p[2];
        int np = 0;
        if (self->fd >= 0) {
            p[np].fd = self->fd;
            p[np].events = POLLIN;
            if (self->wlen > 0 || self->state == S_CONNECTING)
                p[np].events |= POLLOUT;
            np++;
        }
        bool want_in = (room && self->nwin < self->set.smpp_window) ||
                       (self->state == S_DOWN && self->failed_once) || stopping;
        p[np].fd = sms_provider_fd(base);
        p[np].events = want_in ? POLLIN : 0;
        np++;
        if (poll(p, (nfds_t)np, 100) < 0) {
            if (errno != EINTR)
                break;
            p[0].revents = p[1].revents = 0;
        }
        if (self->fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (self->state == S_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof(err);
                getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err) {
                    s_drop(self, strerror(err));
                    continue;
                }
            }
            if (self->state != S_CONNECTING)
                s_read(self);
        }
        if (self->fd >= 0 && self->state == S_CONNECTING && (p[0].revents & POLLOUT)) {
            int err = 0;
            socklen_t el = sizeof(err);
            getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err)
                s_drop(self, strerror(err));
            else
                s_bind(self);
        }
        if (self->fd >= 0 && (p[0].revents & POLLOUT) && self->state != S_CONNECTING)
            s_write(self);
    }
    /* At a stop: what is still unanswered may be at the SMSC; the rest never left. */
    if (self->fd >= 0) {
        s_send_header(self, UNBIND, ESME_ROK, s_next_seq(self));
        s_write(self);
    }
    for (int i = 0; i < self->nwin; i++) {
        sms_provider_post(&self->base, SMS_RES_UNKNOWN, self->win[i].req, NULL, "stopping");
        sms_req_free(self->win[i].req);
    }
    self->nwin = 0;
}

static void s_free(sms_provider_t *base) {
    sms_smpp_t *self = (sms_smpp_t *)base;
    if (self->fd >= 0)
        close(self->fd);
    free(self->wbuf);
    memset(&self->set, 0, sizeof(self->set));
    free(self);
}

/* No wake: run polls its queue's fd, which a poke makes readable. */
static const sms_provider_ops_t s_ops = {.run = s_run, .free = s_free};

int sms_smpp_check(const sms_settings_t *s, char *err, size_t errlen) {
    if (!s->smpp_host[0] || !s->smpp_system_id[0]) {
        snprintf(err, errlen, "sms %s: sms.smpp_host and sms.smpp_system_id are required",
                 S_NAME(s));
        return -1;
    }
    if (strlen(s->smpp_system_id) > 15 || strlen(s->smpp_password) > 8 ||
        strlen(s->smpp_source) > 20) {
        snprintf(err, errlen,
                 "sms %s: system_id (15), password (8) or source (20) too long for SMPP 3.4",
                 S_NAME(s));
        return -1;
    }
    return 0;
}

sms_provider_t *sms_smpp_new(const sms_settings_t *s, int prov, cmn_chan_t *results) {
    sms_smpp_t *self =
        sms_provider_alloc(s, sms_smpp_check, sizeof(*self), offsetof(sms_smpp_t, set), "smpp");
    if (!self)
        return NULL;
    if (self->set.smpp_window < 1)
        self->set.smpp_window = 1;
    if (self->set.smpp_window > S_WINDOW_MAX)
        self->set.smpp_window = S_WINDOW_MAX;
    self->fd = -1;
    sms_provider_t *base = &self->base;
    if (sms_provider_init(base, &s_ops, self->set.name, prov, results,
                          (size_t)self->set.smpp_window * 4 + 256) != 0 ||
        sms_provider_start(base) != 0) {
        CMN_ERROR(NULL, "sms %s: cannot start its thread", S_NAME(s));
        sms_provider_destroy(&base);
        return NULL;
    }
    CMN_INFO(NULL, "sms %s: ESME for %s:%d, window %d", S_NAME(s), s->smpp_host, s->smpp_port,
             self->set.smpp_window);
    return base;
}
