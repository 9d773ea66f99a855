/* sms_http: the `http` provider. One thread owns a curl multi handle and runs up
 * to sms.http_inflight requests at once (never a thread per message); requests
 * come in through a channel whose eventfd is one of the fds curl_multi_poll
 * waits on, outcomes go out through the worker's results channel.
 *
 * The URL template is expanded with URL escaping, the body template (POST) with
 * the escaping its Content-Type calls for (sms_tmpl). Success is the status rule
 * of sms.http_success ("2xx", "200,202", optionally ";body substring"). Neither
 * URL, body nor answer is ever logged: they may hold the code or credentials. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_time.h"
#include "sms_gsm.h"
#include "sms_provider.h"
#include "sms_tmpl.h"

#define S_URL_MAX 4096
#define S_BODY_MAX 4096
#define S_ANSWER_MAX 2048
#define S_CODES_MAX 16
/* A provider's name for the log before it has its own copy. */
#define S_NAME(s) ((s)->name[0] ? (s)->name : "http")

typedef struct {
    sms_provider_t base;
    sms_settings_t set;
    sms_esc_t body_esc;
    char dlr_base[300]; /* "http://host:port/dlr" or "" */
    /* success rule: status codes (100..599) or classes (1..5 for "Nxx"), body substring */
    int codes[S_CODES_MAX];
    int ncodes;
    char body_match[128];
    struct curl_slist *headers;
    CURLM *multi;
    int inflight;
    struct s_xfer *xfers; /* in flight, to abandon at a stop */
} sms_http_t;

typedef struct s_xfer {
    struct s_xfer *prev, *next;
    sms_req_t *req;
    CURL *easy;
    char url[S_URL_MAX];
    char body[S_BODY_MAX];
    char answer[S_ANSWER_MAX];
    size_t answer_len;
} s_xfer_t;

/* Parses "2xx,404;Accepted". Returns 0 or -1. */
static int s_parse_success(sms_http_t *self, const char *rule) {
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rule);
    char *semi = strchr(buf, ';');
    if (semi) {
        *semi = '\0';
        snprintf(self->body_match, sizeof(self->body_match), "%s", semi + 1);
    }
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (self->ncodes == S_CODES_MAX || strlen(tok) != 3 || tok[0] < '1' || tok[0] > '5')
            return -1;
        if (strcmp(tok + 1, "xx") == 0) {
            self->codes[self->ncodes++] = tok[0] - '0';
        } else if (tok[1] >= '0' && tok[1] <= '9' && tok[2] >= '0' && tok[2] <= '9') {
            self->codes[self->ncodes++] = (int)strtol(tok, NULL, 10);
        } else {
            return -1;
        }
    }
    return self->ncodes > 0 ? 0 : -1;
}

static bool s_success(const sms_http_t *self, long status, const s_xfer_t *x) {
    bool ok = false;
    for (int i = 0; i < self->ncodes; i++)
        ok |= self->codes[i] < 10 ? status / 100 == self->codes[i] : status == self->codes[i];
    return ok && (!self->body_match[0] || strstr(x->answer, self->body_match));
}

static size_t s_on_data(char *data, size_t size, size_t nmemb, void *arg) {
    s_xfer_t *x = arg;
    size_t n = size * nmemb, room = sizeof(x->answer) - 1 - x->answer_len;
    size_t take = n < room ? n : room;
    memcpy(x->answer + x->answer_len, data, take);
    x->answer_len += take;
    x->answer[x->answer_len] = '\0';
    return n; /* the rest is dropped, not an error */
}

static void s_xfer_free(s_xfer_t *x) {
    if (!x)
        return;
    sms_req_free(x->req);
    cmn_wipe(x, sizeof(*x));
    free(x);
}

/* Starts req. Posts FAILED for one that cannot even be built. */
static void s_start(sms_http_t *self, sms_req_t *req) {
    s_xfer_t *x = calloc(1, sizeof(*x));
    if (!x) {
        sms_provider_post(&self->base, SMS_RES_FAILED, req, NULL, "out of memory");
        sms_req_free(req);
        return;
    }
    x->req = req;
    char dlr[1024] = "";
    if (self->dlr_base[0])
        snprintf(dlr, sizeof(dlr), "%s?id=%s&type=%%d&token=%s", self->dlr_base, req->message_id,
                 self->set.dlr_token);
    sms_tmpl_vars_t vars = {.to = req->to,
                            .text = req->text,
                            .message_id = req->message_id,
                            .sender = self->set.smpp_source,
                            .coding = sms_gsm_coding(req->text) == SMS_CODING_UCS2 ? "2" : "0",
                            .dlr_url = dlr};
    bool post = strcmp(self->set.http_method, "POST") == 0;
    const char *why = NULL;
    if (sms_tmpl_expand(self->set.http_url, SMS_ESC_URL, &vars, x->url, sizeof(x->url)) < 0)
        why = "URL longer than the limit";
    else if (post && sms_tmpl_expand(self->set.http_body, self->body_esc, &vars, x->body,
                                     sizeof(x->body)) < 0)
        why = "body longer than the limit";
    else if (!(x->easy = curl_easy_init()))
        why = "curl_easy_init failed";
    if (why) {
        sms_provider_post(&self->base, SMS_RES_FAILED, req, NULL, why);
        s_xfer_free(x);
        return;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)self->set.http_timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)self->set.http_timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (self->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, self->headers);
    if (post) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
    }
    if (curl_multi_add_handle(self->multi, e) != CURLM_OK) {
        sms_provider_post(&self->base, SMS_RES_FAILED, req, NULL, "curl_multi_add_handle failed");
        curl_easy_cleanup(e);
        s_xfer_free(x);
        return;
    }
    x->next = self->xfers;
    if (x->next)
        x->next->prev = x;
    self->xfers = x;
    self->inflight++;
}

/* Posts the outcome of a finished (or abandoned) transfer and frees it. */
static void s_finish(sms_http_t *self, s_xfer_t *x, CURLcode rc) {
    char why[SMS_WHY_MAX];
    long status = 0;
    sms_res_kind_t kind;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        /* A request that never connected never reached the provider. */
        bool unsent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                      rc == CURLE_COULDNT_RESOLVE_PROXY;
        kind = unsent ? SMS_RES_FAILED : SMS_RES_UNKNOWN;
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
    } else if (s_success(self, status, x)) {
        kind = SMS_RES_ACCEPTED;
        snprintf(why, sizeof(why), "HTTP %ld", status);
    } else {
        kind = status == 429 ? SMS_RES_THROTTLED : SMS_RES_FAILED;
        snprintf(why, sizeof(why), "HTTP %ld with %zu bytes: not the success rule", status,
                 x->answer_len);
    }
    sms_provider_post(&self->base, kind, x->req, kind == SMS_RES_ACCEPTED ? "" : NULL, why);
    curl_multi_remove_handle(self->multi, x->easy);
    curl_easy_cleanup(x->easy);
    if (x->prev)
        x->prev->next = x->next;
    else
        self->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    s_xfer_free(x);
    self->inflight--;
}

static void s_reap(sms_http_t *self) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(self->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        s_xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        if (x)
            s_finish(self, x, rc);
    }
}

static void s_run(sms_provider_t *base) {
    sms_http_t *self = (sms_http_t *)base;
    for (;;) {
        bool stopping = sms_provider_stopping(base);
        if (sms_provider_over(base, self->inflight == 0))
            break;
        sms_req_t *req;
        while (!stopping && self->inflight < self->set.http_inflight &&
               (req = sms_provider_next(base)))
            s_start(self, req);
        int running = 0;
        curl_multi_perform(self->multi, &running);
        s_reap(self);
        struct curl_waitfd w = {.fd = sms_provider_fd(base), .events = CURL_WAIT_POLLIN};
        bool room = !stopping && self->inflight < self->set.http_inflight;
        curl_multi_poll(self->multi, room ? &w : NULL, room ? 1 : 0, 200, NULL);
    }
    /* Still in flight after the grace: they may have reached the provider. */
    for (s_xfer_t *x = self->xfers, *next; x; x = next) {
        next = x->next;
        s_finish(self, x, CURLE_OPERATION_TIMEDOUT);
    }
}

static void s_wake(sms_provider_t *base) { curl_multi_wakeup(((sms_http_t *)base)->multi); }

static void s_free(sms_provider_t *base) {
    sms_http_t *self = (sms_http_t *)base;
    if (self->multi)
        curl_multi_cleanup(self->multi);
    curl_slist_free_all(self->headers);
    cmn_wipe(&self->set, sizeof(self->set));
    free(self);
}

static const sms_provider_ops_t s_ops = {.run = s_run, .wake = s_wake, .free = s_free};

/* Adds each "Name: value" of the '|'-separated list. Returns 0 or -1. */
static int s_headers(sms_http_t *self) {
    char buf[SMS_SET_STR];
    snprintf(buf, sizeof(buf), "%s", self->set.http_headers);
    char *save = NULL;
    for (char *h = strtok_r(buf, "|", &save); h; h = strtok_r(NULL, "|", &save)) {
        while (*h == ' ')
            h++;
        if (!*h)
            continue;
        if (!strchr(h, ':'))
            return -1;
        struct curl_slist *n = curl_slist_append(self->headers, h);
        if (!n)
            return -1;
        self->headers = n;
    }
    if (strcmp(self->set.http_method, "POST") == 0) {
        char ct[300];
        snprintf(ct, sizeof(ct), "Content-Type: %s", self->set.http_content_type);
        struct curl_slist *n = curl_slist_append(self->headers, ct);
        if (!n)
            return -1;
        self->headers = n;
    }
    cmn_wipe(buf, sizeof(buf));
    return 0;
}

int sms_http_check(const sms_settings_t *s, char *err, size_t errlen) {
    const char *bad = NULL;
    if (!s->http_url[0]) {
        snprintf(err, errlen,
                 "sms %s: sms.http_url is empty: set the send URL of your SMS gateway in "
                 "[sms] http_url (or http_url_file), or provider = smpp with smpp_host; the "
                 "shipped dvcid.conf has both, commented (no SMS can go out without one)",
                 S_NAME(s));
        return -1;
    }
    if (sms_tmpl_check(s->http_url, &bad) != 0 || sms_tmpl_check(s->http_body, &bad) != 0) {
        snprintf(err, errlen, "sms %s: unknown placeholder %.24s in sms.http_url or sms.http_body",
                 S_NAME(s), bad);
        return -1;
    }
    /* The success rule and the headers parsed as the provider will, into a scratch one. */
    sms_http_t *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "sms %s: out of memory", S_NAME(s));
        return -1;
    }
    t->set = *s;
    int rc = 0;
    if (s_parse_success(t, s->http_success) != 0) {
        snprintf(err, errlen, "sms %s: sms.http_success \"%s\": expected e.g. 2xx or 200,202;OK",
                 S_NAME(s), s->http_success);
        rc = -1;
    } else if (s_headers(t) != 0) {
        snprintf(err, errlen, "sms %s: sms.http_headers: expected \"Name: value|Name: value\"",
                 S_NAME(s));
        rc = -1;
    }
    curl_slist_free_all(t->headers);
    cmn_wipe(t, sizeof(*t));
    free(t);
    return rc;
}

sms_provider_t *sms_http_new(const sms_settings_t *s, int prov, cmn_chan_t *results) {
    sms_http_t *self =
        sms_provider_alloc(s, sms_http_check, sizeof(*self), offsetof(sms_http_t, set), "http");
    if (!self)
        return NULL;
    if (self->set.http_inflight < 1)
        self->set.http_inflight = 1;
    self->body_esc = sms_tmpl_body_esc(s->http_content_type);
    if (s->dlr_listen[0])
        snprintf(self->dlr_base, sizeof(self->dlr_base), "http://%s/dlr", s->dlr_listen);
    sms_provider_t *base = &self->base;
    /* The queue holds what the breaker and caps let through: a few batches' worth. */
    int rc = sms_provider_init(base, &s_ops, self->set.name, prov, results,
                               (size_t)self->set.http_inflight * 4 + 256);
    /* Both passed sms_http_check: only memory can fail them now. */
    if (rc != 0 || s_parse_success(self, s->http_success) != 0 || s_headers(self) != 0) {
        CMN_ERROR(NULL, "sms %s: out of memory", S_NAME(s));
        sms_provider_destroy(&base);
        return NULL;
    }
    self->multi = curl_multi_init();
    if (!self->multi) {
        CMN_ERROR(NULL, "sms %s: cannot set up curl", S_NAME(s));
        sms_provider_destroy(&base);
        return NULL;
    }
    curl_multi_setopt(self->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)self->set.http_inflight);
    if (sms_provider_start(base) != 0)
        sms_provider_destroy(&base);
    return base;
}
