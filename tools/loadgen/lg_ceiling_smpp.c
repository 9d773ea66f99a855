/* lg_ceiling_smpp: a plain SMPP 3.4 client at full speed (lg_ceiling.h), the ceiling that
 * sms-worker's `smpp` provider is compared with against the same SMSC. It does what that
 * provider does on the wire and nothing more: one TCP link (TCP_NODELAY), bind_transceiver,
 * submit_sm packed by the same code (sms-worker/sms_pdu.c, libsmpp34) with a window of
 * submits awaiting their resp, deliver_sm receipts answered; no queue, no storage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* libsmpp34's command ids and status codes (the packing is sms_pdu's). */
#include <smpp34.h>

#include "lg_ceiling.h"
#include "lg_clock.h"
#include "sms_pdu.h"

#define S_RBUF 65536
#define S_WINDOW_MAX 4096
/* An OTP text of the length sms-worker sends (GSM-7, one segment). */
#define S_TEXT                                                                                     \
    "DVCQG: Ma xac thuc dang ky tai khoan cua ban la %06ld, hieu luc 5 phut. Khong chia se ma."

typedef struct {
    const char *host, *system_id, *password, *source;
    long port, window, count, timeout_s;
    int json;
} s_opts_t;

typedef struct {
    s_opts_t o;
    int fd;
    uint8_t rbuf[S_RBUF];
    size_t rlen;
    uint8_t *wbuf;
    size_t wlen, wcap;
    uint8_t *state; /* per submit: 1 out, 2 answered */
    long next, out, ok, refused, receipts, extra;
    uint32_t last_status; /* of the last refusal */
    bool bound, failed;
    uint64_t t_last;
} s_cli_t;

static uint32_t s_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int s_queue(s_cli_t *c, const uint8_t *pdu, size_t len) {
    if (c->wlen + len > c->wcap) {
        size_t cap = (c->wlen + len) * 2;
        uint8_t *n = realloc(c->wbuf, cap);
        if (!n)
            return -1;
        c->wbuf = n;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, pdu, len);
    c->wlen += len;
    return 0;
}

static int s_flush(s_cli_t *c) {
    size_t off = 0;
    while (off < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + off, c->wlen - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -1;
        }
        off += (size_t)n;
    }
    memmove(c->wbuf, c->wbuf + off, c->wlen - off);
    c->wlen -= off;
    return 0;
}

/* Submit i goes with sequence number i + 2 (1 is the bind's). */
static int s_submit(s_cli_t *c, long i) {
    char to[24], text[160];
    snprintf(to, sizeof(to), "+8430%07ld", i % 10000000);
    snprintf(text, sizeof(text), S_TEXT, (i * 7919) % 1000000);
    uint8_t pdu[SMS_PDU_MAX];
    int n = sms_pdu_submit((uint32_t)i + 2, c->o.source, to, text, pdu, sizeof(pdu));
    if (n < 0 || s_queue(c, pdu, (size_t)n) != 0)
        return -1;
    c->state[i] = 1;
    c->out++;
    return 0;
}

static void s_pdu(s_cli_t *c, const uint8_t *p, uint32_t len) {
    uint32_t id = s_be32(p + 4), status = s_be32(p + 8), seq = s_be32(p + 12);
    uint8_t hdr[16];
    if (id == BIND_TRANSCEIVER_RESP) {
        c->bound = status == ESME_ROK;
        c->failed = status != ESME_ROK;
        if (c->failed)
            fprintf(stderr, "dvcid-load smpp-ceiling: bind refused (status 0x%x)\n", status);
    } else if (id == SUBMIT_SM_RESP) {
        long i = (long)seq - 2;
        if (seq < 2 || i >= c->next || c->state[i] != 1) {
            c->extra++; /* not a submit of ours, or answered already: never counted twice */
            return;
        }
        c->state[i] = 2;
        c->out--;
        if (status == ESME_ROK) {
            c->ok++;
        } else {
            c->refused++;
            c->last_status = status;
        }
        c->t_last = lg_clock_ns();
    } else if (id == DELIVER_SM) {
        uint8_t resp[64];
        int n = sms_pdu_deliver_resp(seq, ESME_ROK, resp, sizeof(resp));
        c->receipts++;
        if (n < 0 || s_queue(c, resp, (size_t)n) != 0)
            c->failed = true;
    } else if (id == ENQUIRE_LINK) {
        sms_pdu_header(ENQUIRE_LINK_RESP, ESME_ROK, seq, hdr);
        c->failed = s_queue(c, hdr, sizeof(hdr)) != 0;
    } else if (id == UNBIND || id == GENERIC_NACK) {
        fprintf(stderr, "dvcid-load smpp-ceiling: the SMSC sent %s\n",
                id == UNBIND ? "unbind" : "generic_nack");
        c->failed = true;
    }
    (void)len;
}

/* Reads what the socket has and handles every whole PDU. -1 when the link is gone. */
static int s_read(s_cli_t *c) {
    for (;;) {
        ssize_t n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->rlen += (size_t)n;
        size_t off = 0;
        while (c->rlen - off >= 16) {
            uint32_t len = s_be32(c->rbuf + off);
            if (len < 16 || len > S_RBUF)
                return -1;
            if (c->rlen - off < len)
                break;
            s_pdu(c, c->rbuf + off, len);
            off += len;
        }
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static int s_connect(s_cli_t *c) {
    char port[16];
    snprintf(port, sizeof(port), "%ld", c->o.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(c->o.host, port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "dvcid-load smpp-ceiling: %s: %s\n", c->o.host, gai_strerror(rc));
        return -1;
    }
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    rc = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0) {
        fprintf(stderr, "dvcid-load smpp-ceiling: connect %s:%ld: %s\n", c->o.host, c->o.port,
                strerror(errno));
        return -1;
    }
    int one = 1;
    int fl = fcntl(c->fd, F_GETFL);
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 || fl < 0 ||
        fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        fprintf(stderr, "dvcid-load smpp-ceiling: socket options: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Binds, then keeps window submits out until count are answered (or the link fails or
 * nothing moves for the timeout). Returns 0, or -1 when the run could not go on. */
static int s_drive(s_cli_t *c, uint64_t *t0) {
    uint8_t pdu[SMS_PDU_MAX];
    int n = sms_pdu_bind(1, c->o.system_id, c->o.password, pdu, sizeof(pdu));
    if (n < 0 || s_queue(c, pdu, (size_t)n) != 0 || s_flush(c) != 0)
        return -1;
    uint64_t timeout_ns = (uint64_t)c->o.timeout_s * 1000000000ull;
    uint64_t progress = lg_clock_ns();
    while (!c->failed && (!c->bound || c->next < c->o.count || c->out > 0)) {
        if (c->bound) {
            if (c->next == 0)
                *t0 = lg_clock_ns();
            while (c->next < c->o.count && c->out < c->o.window)
                if (s_submit(c, c->next++) != 0)
                    return -1;
        }
        if (c->wlen > 0 && s_flush(c) != 0)
            return -1;
        struct pollfd pfd = {c->fd, (short)(POLLIN | (c->wlen > 0 ? POLLOUT : 0)), 0};
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            return -1;
        long before = c->ok + c->refused + c->bound;
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && s_read(c) != 0) {
            fprintf(stderr, "dvcid-load smpp-ceiling: the link to %s:%ld dropped\n", c->o.host,
                    c->o.port);
            return -1;
        }
        uint64_t now = lg_clock_ns();
        if (c->ok + c->refused + c->bound != before)
            progress = now;
        else if (now - progress > timeout_ns) {
            fprintf(stderr, "dvcid-load smpp-ceiling: no answer for %ld s\n", c->o.timeout_s);
            return -1;
        }
    }
    return c->failed ? -1 : 0;
}

static int s_parse(s_opts_t *o, int argc, char **argv) {
    static const struct option longs[] = {{"host", required_argument, NULL, 'h'},
                                          {"port", required_argument, NULL, 'p'},
                                          {"system-id", required_argument, NULL, 'u'},
                                          {"password", required_argument, NULL, 'P'},
                                          {"source", required_argument, NULL, 's'},
                                          {"window", required_argument, NULL, 'w'},
                                          {"count", required_argument, NULL, 'n'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"json", no_argument, NULL, 'j'},
                                          {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'h':
            o->host = optarg;
            break;
        case 'p':
            bad = lg_ceiling_long(optarg, 1, 65535, &o->port);
            break;
        case 'u':
            o->system_id = optarg;
            break;
        case 'P':
            o->password = optarg;
            break;
        case 's':
            o->source = optarg;
            break;
        case 'w':
            bad = lg_ceiling_long(optarg, 1, S_WINDOW_MAX, &o->window);
            break;
        case 'n':
            bad = lg_ceiling_long(optarg, 1, 100000000, &o->count);
            break;
        case 't':
            bad = lg_ceiling_long(optarg, 1, 3600, &o->timeout_s);
            break;
        case 'j':
            o->json = 1;
            break;
        default:
            bad = 1;
        }
        if (bad)
            return -1;
    }
    return o->host && o->port && optind == argc ? 0 : -1;
}

int lg_ceiling_smpp(int argc, char **argv) {
    s_cli_t *c = calloc(1, sizeof(*c));
    if (!c)
        return 1;
    c->fd = -1;
    c->o = (s_opts_t){.system_id = "dvcid",
                      .password = "secret",
                      .source = "DVCQG",
                      .window = 10,
                      .count = 100000,
                      .timeout_s = 10};
    if (s_parse(&c->o, argc, argv) != 0) {
        fprintf(stderr, "usage: dvcid-load smpp-ceiling --host H --port P [--system-id S] "
                        "[--password W] [--source S] [--window W] [--count N] [--timeout S] "
                        "[--json]\n");
        free(c);
        return 2;
    }
    int status = 1;
    uint64_t t0 = 0;
    c->state = calloc((size_t)c->o.count, 1);
    if (!c->state || s_connect(c) != 0)
        goto done;
    int rc = s_drive(c, &t0);
    double secs = c->t_last > t0 ? (double)(c->t_last - t0) / 1e9 : 0;
    double rate = secs > 0 ? (double)c->ok / secs : 0;
    status = rc == 0 && c->ok == c->o.count && c->extra == 0 ? 0 : 1;
    fprintf(c->o.json ? stderr : stdout,
            "plain SMPP client to %s:%ld, window %ld: %.0f submit_sm/s accepted (%ld in %.3f s); "
            "refused %ld%s, receipts answered %ld, unexpected resps %ld\n",
            c->o.host, c->o.port, c->o.window, rate, c->ok, secs, c->refused,
            c->refused ? " (see last_status)" : "", c->receipts, c->extra);
    if (c->o.json) {
        json_t *doc = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:b}", "ceiling",
            "smpp_client", "host", c->o.host, "port", (json_int_t)c->o.port, "window",
            (json_int_t)c->o.window, "messages", (json_int_t)c->o.count, "accepted",
            (json_int_t)c->ok, "refused", (json_int_t)c->refused, "last_status",
            (json_int_t)c->last_status, "receipts", (json_int_t)c->receipts, "unexpected",
            (json_int_t)c->extra, "seconds", secs, "per_second", rate, "ok", status == 0);
        if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
            status = 1;
        else
            fputc('\n', stdout);
        json_decref(doc);
    }
done:
    if (c->fd >= 0)
        close(c->fd);
    free(c->wbuf);
    free(c->state);
    free(c);
    return status;
}
