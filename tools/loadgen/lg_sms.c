/* lg_sms: `dvcid-load sms` (lg_sms.h). One DEALER, up to --inflight SmsSend requests out
 * at once; each message of the run has its own slot (index = request_id - 1), so a reply is
 * counted once, an unexpected or repeated one is reported, never counted. Message ids are
 * a random run id and the index, so runs never collide in sms-worker's idempotency index. */
#include "lg_sms.h"

#include <czmq.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lg_ceiling.h"
#include "lg_clock.h"
#include "lg_hist.h"
#include "proto/dvcid.pb-c.h"

#define S_COUNT_MAX 10000000L
#define S_ID_LEN 32 /* 16 hex of run id, 16 hex of index: like otp-svc's ids */
#define S_METRICS_RID (1ull << 62)
#define S_METRICS_EVERY_NS 5000000ull /* while waiting for the last messages to go out */
#define S_STATUS_MAX 32

enum { S_IDLE = 0, S_OUT, S_ACKED, S_FAILED };

typedef struct {
    const char *endpoint;
    const char *prefix;
    const char *sink;
    long count, inflight, timeout_s;
    int json;
} s_opts_t;

typedef struct {
    s_opts_t o;
    zsock_t *sock;
    void *zs;
    char run[17];
    uint64_t origin;
    uint8_t *state;
    uint64_t *sent_ns;
    lg_hist_t *ack;
    long next, out, acked, duplicates, extra, timeouts;
    long errors[S_STATUS_MAX]; /* by Dvcid__Status (the last one: anything else) */
    /* sms-worker's counters: at the start, the last read, and the metrics ask out */
    bool have_base, have_now, metrics_out;
    double sent0, dead0, sent, dead, depth;
    uint64_t metrics_rid, metrics_at_ns;
} s_run_t;

static void s_message_id(const s_run_t *r, long i, char out[S_ID_LEN + 1]) {
    snprintf(out, S_ID_LEN + 1, "%s%016lx", r->run, (unsigned long)i);
}

/* +PREFIX then the index's low digits, 11 digits in all (E.164 as sms-worker checks it). */
static void s_phone(const s_run_t *r, long i, char *out, size_t len) {
    size_t digits = strlen(r->o.prefix) - 1;
    int width = digits < 11 ? (int)(11 - digits) : 1;
    long mod = 1;
    for (int k = 0; k < width; k++)
        mod *= 10;
    snprintf(out, len, "%s%0*ld", r->o.prefix, width, i % mod);
}

static int s_send(s_run_t *r, Dvcid__Request *req) {
    size_t len = dvcid__request__get_packed_size(req);
    uint8_t stack[512];
    uint8_t *buf = len <= sizeof(stack) ? stack : malloc(len);
    if (!buf)
        return -1;
    dvcid__request__pack(req, buf);
    int rc = zmq_send(r->zs, buf, len, 0) == (int)len ? 0 : -1;
    if (buf != stack)
        free(buf);
    return rc;
}

static int s_send_sms(s_run_t *r, long i) {
    char id[S_ID_LEN + 1], phone[24], code[8];
    s_message_id(r, i, id);
    s_phone(r, i, phone, sizeof(phone));
    snprintf(code, sizeof(code), "%06ld", (i * 7919) % 1000000);
    Dvcid__SmsSend sms = DVCID__SMS_SEND__INIT;
    sms.message_id = id;
    sms.phone = phone;
    sms.purpose = DVCID__PURPOSE__PURPOSE_REGISTER;
    sms.code = code;
    sms.lang = "vi";
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.origin = r->origin;
    req.request_id = (uint64_t)i + 1;
    req.deadline_ms = (uint64_t)time(NULL) * 1000 + (uint64_t)r->o.timeout_s * 1000;
    req.trace_id = "";
    req.body_case = DVCID__REQUEST__BODY_SMS_SEND;
    req.sms_send = &sms;
    r->sent_ns[i] = lg_clock_ns();
    if (s_send(r, &req) != 0)
        return -1;
    r->state[i] = S_OUT;
    r->out++;
    return 0;
}

static int s_ask_metrics(s_run_t *r) {
    Dvcid__MetricsGet mg = DVCID__METRICS_GET__INIT;
    Dvcid__Request req = DVCID__REQUEST__INIT;
    req.request_id = S_METRICS_RID + ++r->metrics_rid;
    req.trace_id = "";
    req.body_case = DVCID__REQUEST__BODY_METRICS_GET;
    req.metrics_get = &mg;
    if (s_send(r, &req) != 0)
        return -1;
    r->metrics_out = true;
    return 0;
}

/* The value of the first sample of name ("name{" or "name ") in a Prometheus text. */
static bool s_sample(const char *text, const char *name, double *out) {
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, n) != 0 || (p[n] != '{' && p[n] != ' '))
            continue;
        const char *sp = strchr(p + n, ' ');
        const char *nl = strchr(p, '\n');
        if (!sp || (nl && sp > nl))
            return false;
        *out = strtod(sp + 1, NULL);
        return true;
    }
    return false;
}

static void s_on_metrics(s_run_t *r, const Dvcid__Reply *rep) {
    r->metrics_out = false;
    if (rep->error || rep->body_case != DVCID__REPLY__BODY_METRICS)
        return;
    double sent = 0, dead = 0, depth = -1;
    bool have = false, have_dead = false;
    for (size_t t = 0; t < rep->metrics->n_texts; t++) {
        have = s_sample(rep->metrics->texts[t], "dvcid_sms_sent_total", &sent) || have;
        have_dead = s_sample(rep->metrics->texts[t], "dvcid_sms_dead_total", &dead) || have_dead;
        s_sample(rep->metrics->texts[t], "dvcid_sms_queue_depth", &depth);
    }
    if (!have || !have_dead)
        return;
    if (!r->have_base) {
        r->sent0 = sent;
        r->dead0 = dead;
        r->have_base = true;
    }
    r->sent = sent;
    r->dead = dead;
    r->depth = depth;
    r->have_now = true;
    r->metrics_at_ns = lg_clock_ns();
}

static void s_on_reply(s_run_t *r, const uint8_t *data, size_t len) {
    Dvcid__Reply *rep = dvcid__reply__unpack(NULL, len, data);
    if (!rep) {
        r->extra++;
        return;
    }
    if (rep->request_id > S_METRICS_RID) {
        if (rep->request_id == S_METRICS_RID + r->metrics_rid)
            s_on_metrics(r, rep);
        dvcid__reply__free_unpacked(rep, NULL);
        return;
    }
    long i = (long)rep->request_id - 1;
    if (rep->request_id == 0 || i >= r->o.count || r->state[i] != S_OUT) {
        r->extra++; /* not ours, or answered already: never counted twice */
        dvcid__reply__free_unpacked(rep, NULL);
        return;
    }
    r->out--;
    char id[S_ID_LEN + 1];
    s_message_id(r, i, id);
    if (rep->error) {
        int st = (int)rep->error->status;
        r->errors[st > 0 && st < S_STATUS_MAX ? st : S_STATUS_MAX - 1]++;
        r->state[i] = S_FAILED;
    } else if (rep->body_case != DVCID__REPLY__BODY_SMS_ACK || !rep->sms_ack->message_id ||
               strcmp(rep->sms_ack->message_id, id) != 0) {
        r->errors[S_STATUS_MAX - 1]++;
        r->state[i] = S_FAILED;
    } else if (rep->sms_ack->duplicate) {
        r->duplicates++; /* a fresh id answered as known: something is wrong */
        r->state[i] = S_FAILED;
    } else {
        r->acked++;
        r->state[i] = S_ACKED;
        lg_hist_record(r->ack, lg_clock_ns() - r->sent_ns[i]);
    }
    dvcid__reply__free_unpacked(rep, NULL);
}

/* Reads every reply waiting; waits up to wait_ms for the first. -1 on a socket error. */
static int s_read(s_run_t *r, int wait_ms) {
    zmq_pollitem_t pi = {r->zs, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&pi, 1, wait_ms) < 0)
        return zmq_errno() == EINTR ? 0 : -1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, r->zs, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&m))
            s_on_reply(r, zmq_msg_data(&m), zmq_msg_size(&m));
        else
            r->extra++;
    }
    zmq_msg_close(&m);
    return 0;
}

/* Messages sms-worker took over from us and has not handed to the provider yet. */
static double s_left(const s_run_t *r) {
    return (double)r->acked - ((r->sent - r->sent0) + (r->dead - r->dead0));
}

/* Reads the sink: how many lines carry a message id of this run, how many distinct ids,
 * and whether each is an index of the run. Returns 0, or -1 when it cannot be read. */
static int s_check_sink(const s_run_t *r, long *lines, long *unique, long *foreign) {
    FILE *f = fopen(r->o.sink, "r");
    if (!f)
        return -1;
    uint8_t *seen = calloc((size_t)r->o.count, 1);
    if (!seen) {
        fclose(f);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    static const char key[] = "\"message_id\":\"";
    while (getline(&line, &cap, f) > 0) {
        const char *p = strstr(line, key);
        if (!p || strncmp(p + sizeof(key) - 1, r->run, 16) != 0)
            continue;
        (*lines)++;
        char *end = NULL;
        unsigned long i = strtoul(p + sizeof(key) - 1 + 16, &end, 16);
        if (!end || *end != '"' || i >= (unsigned long)r->o.count) {
            (*foreign)++;
            continue;
        }
        *unique += seen[i] == 0;
        seen[i] = 1;
    }
    free(line);
    free(seen);
    fclose(f);
    return 0;
}

static const char *s_status_name(int st) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&dvcid__status__descriptor, st);
    return v && st < S_STATUS_MAX - 1 ? v->name : "OTHER";
}

static int s_parse(s_opts_t *o, int argc, char **argv) {
    static const struct option longs[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"count", required_argument, NULL, 'n'},
        {"inflight", required_argument, NULL, 'w'}, {"phone-prefix", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},  {"sink", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'e':
            o->endpoint = optarg;
            break;
        case 'n':
            bad = lg_ceiling_long(optarg, 1, S_COUNT_MAX, &o->count);
            break;
        case 'w':
            bad = lg_ceiling_long(optarg, 1, 100000, &o->inflight);
            break;
        case 'p':
            o->prefix = optarg;
            bad = optarg[0] != '+' || strlen(optarg) < 2 || strlen(optarg) > 9 ||
                  strspn(optarg + 1, "0123456789") != strlen(optarg) - 1;
            break;
        case 't':
            bad = lg_ceiling_long(optarg, 1, 3600, &o->timeout_s);
            break;
        case 's':
            o->sink = optarg;
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
    return o->endpoint && optind == argc ? 0 : -1;
}

/* Sends every message, keeping inflight out, then waits for sms-worker to hand them over.
 * Returns 0 when the run ended (all done, or its timeout), -1 on a socket error. */
static int s_drive(s_run_t *r, uint64_t *t0, uint64_t *t_acked, uint64_t *t_end) {
    uint64_t timeout_ns = (uint64_t)r->o.timeout_s * 1000000000ull;
    /* The counters before the run (and a check that sms-worker answers at all). */
    if (s_ask_metrics(r) != 0)
        return -1;
    uint64_t start = lg_clock_ns();
    while (!r->have_base && lg_clock_ns() - start < timeout_ns)
        if (s_read(r, 100) != 0)
            return -1;
    if (!r->have_base) {
        fprintf(stderr, "dvcid-load sms: no metrics from %s within %ld s\n", r->o.endpoint,
                r->o.timeout_s);
        return -1;
    }
    *t0 = lg_clock_ns();
    uint64_t progress = *t0;
    while (r->next < r->o.count || r->out > 0) {
        while (r->next < r->o.count && r->out < r->o.inflight)
            if (s_send_sms(r, r->next++) != 0)
                return -1;
        long before = r->acked + r->duplicates + r->extra;
        if (s_read(r, 100) != 0)
            return -1;
        uint64_t now = lg_clock_ns();
        if (r->acked + r->duplicates + r->extra != before)
            progress = now;
        else if (now - progress > timeout_ns)
            break;
    }
    *t_acked = lg_clock_ns();
    for (long i = 0; i < r->next; i++)
        if (r->state[i] == S_OUT) {
            r->state[i] = S_FAILED;
            r->timeouts++;
        }
    /* Handed over: sms-worker's sent + dead counters have moved by what it acknowledged. */
    r->have_now = false;
    progress = lg_clock_ns();
    uint64_t last_ask = 0;
    double last_left = -1;
    for (;;) {
        uint64_t now = lg_clock_ns();
        if (r->have_now) {
            double left = s_left(r);
            if (left <= 0)
                break;
            if (left != last_left)
                progress = now;
            last_left = left;
            r->have_now = false;
        }
        if (now - progress > timeout_ns)
            break;
        if (!r->metrics_out && now - last_ask >= S_METRICS_EVERY_NS) {
            if (s_ask_metrics(r) != 0)
                return -1;
            last_ask = now;
        }
        if (s_read(r, 1) != 0)
            return -1;
    }
    *t_end = r->metrics_at_ns;
    return 0;
}

static void s_report(const s_run_t *r, double secs, double ack_secs, long lines, long unique,
                     long foreign, int sink_rc, double handed, int status) {
    long errors = 0;
    for (int s = 0; s < S_STATUS_MAX; s++)
        errors += r->errors[s];
    double rate = secs > 0 ? handed / secs : 0;
    double ack_rate = ack_secs > 0 ? (double)r->acked / ack_secs : 0;
    fprintf(r->o.json ? stderr : stdout,
            "sms-worker at %s: %ld messages, %ld in flight: %.0f SMS/s handed to the provider "
            "(%.0f in %.3f s); accepted %.0f/s, ack p50 %.2f ms p99 %.2f ms; errors %ld, "
            "duplicates %ld, timeouts %ld, unexpected replies %ld, dead %.0f\n",
            r->o.endpoint, r->o.count, r->o.inflight, rate, handed, secs, ack_rate,
            (double)lg_hist_percentile(r->ack, 50) / 1e6,
            (double)lg_hist_percentile(r->ack, 99) / 1e6, errors, r->duplicates, r->timeouts,
            r->extra, r->dead - r->dead0);
    if (r->o.sink)
        fprintf(r->o.json ? stderr : stdout,
                "sink %s: %ld lines of this run, %ld distinct messages, %ld foreign%s\n", r->o.sink,
                lines, unique, foreign, sink_rc != 0 ? " (could not be read)" : "");
    if (!r->o.json)
        return;
    json_t *errs = json_object();
    for (int s = 0; s < S_STATUS_MAX && errs; s++)
        if (r->errors[s])
            json_object_set_new(errs, s_status_name(s), json_integer(r->errors[s]));
    json_t *doc = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o, "
        "s:{s:f, s:f, s:f, s:f}, s:b}",
        "command", "sms", "endpoint", r->o.endpoint, "messages", (json_int_t)r->o.count, "inflight",
        (json_int_t)r->o.inflight, "acked", (json_int_t)r->acked, "duplicates",
        (json_int_t)r->duplicates, "timeouts", (json_int_t)r->timeouts, "unexpected_replies",
        (json_int_t)r->extra, "failed", (json_int_t)errors, "handed_over", handed, "dead",
        r->dead - r->dead0, "seconds", secs, "per_second", rate, "accept_seconds", ack_secs,
        "accept_per_second", ack_rate, "errors", errs ? errs : json_object(), "ack_latency_ms",
        "p50", (double)lg_hist_percentile(r->ack, 50) / 1e6, "p99",
        (double)lg_hist_percentile(r->ack, 99) / 1e6, "p999",
        (double)lg_hist_percentile(r->ack, 99.9) / 1e6, "max", (double)lg_hist_max(r->ack) / 1e6,
        "ok", status == 0);
    if (doc && r->o.sink)
        json_object_set_new(doc, "sink",
                            json_pack("{s:s, s:I, s:I, s:I, s:b}", "path", r->o.sink, "lines",
                                      (json_int_t)lines, "unique", (json_int_t)unique, "foreign",
                                      (json_int_t)foreign, "readable", sink_rc == 0));
    if (doc && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
        fputc('\n', stdout);
    json_decref(doc);
}

int lg_sms(int argc, char **argv) {
    s_run_t *r = calloc(1, sizeof(*r));
    if (!r)
        return 1;
    r->o = (s_opts_t){.prefix = "+8430", .count = 100000, .inflight = 1000, .timeout_s = 30};
    if (s_parse(&r->o, argc, argv) != 0) {
        fprintf(stderr, "usage: dvcid-load sms --endpoint EP [--count N] [--inflight W] "
                        "[--phone-prefix +CC..] [--timeout S] [--sink FILE] [--json]\n");
        free(r);
        return 2;
    }
    int status = 1;
    if (sodium_init() < 0)
        goto done;
    uint8_t rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(r->run, sizeof(r->run), rnd, sizeof(rnd));
    while (!r->origin)
        randombytes_buf(&r->origin, sizeof(r->origin));
    r->state = calloc((size_t)r->o.count, 1);
    r->sent_ns = calloc((size_t)r->o.count, sizeof(*r->sent_ns));
    r->ack = lg_hist_new();
    zsys_handler_set(NULL);
    r->sock = zsock_new(ZMQ_DEALER);
    if (!r->state || !r->sent_ns || !r->ack || !r->sock)
        goto done;
    r->zs = zsock_resolve(r->sock);
    zsock_set_sndhwm(r->sock, 0);
    zsock_set_rcvhwm(r->sock, 0);
    zsock_set_linger(r->sock, 0);
    if (zsock_connect(r->sock, "%s", r->o.endpoint) != 0) {
        fprintf(stderr, "dvcid-load sms: cannot connect to %s\n", r->o.endpoint);
        goto done;
    }
    uint64_t t0 = 0, t_acked = 0, t_end = 0;
    if (s_drive(r, &t0, &t_acked, &t_end) != 0)
        goto done;
    long lines = 0, unique = 0, foreign = 0;
    int sink_rc = r->o.sink ? s_check_sink(r, &lines, &unique, &foreign) : 0;
    double handed = (r->sent - r->sent0) + (r->dead - r->dead0);
    long errors = 0;
    for (int s = 0; s < S_STATUS_MAX; s++)
        errors += r->errors[s];
    bool ok =
        r->acked == r->o.count && errors == 0 && r->duplicates == 0 && r->timeouts == 0 &&
        r->extra == 0 && handed >= (double)r->acked && r->dead == r->dead0 &&
        (!r->o.sink || (sink_rc == 0 && lines == r->acked && unique == r->acked && foreign == 0));
    status = ok ? 0 : 1;
    s_report(r, t_end > t0 ? (double)(t_end - t0) / 1e9 : 0, (double)(t_acked - t0) / 1e9, lines,
             unique, foreign, sink_rc, handed, status);
done:
    zsock_destroy(&r->sock);
    lg_hist_destroy(&r->ack);
    free(r->state);
    free(r->sent_ns);
    free(r);
    return status;
}
