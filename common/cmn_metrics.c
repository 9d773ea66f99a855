/* cmn_metrics: a hash of series under a mutex; rendering sorts by name so each
 * metric's HELP and TYPE lines come once, before its series. */
#include "cmn_metrics.h"

#include <czmq.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_kind_t;

static const double s_secs[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
static const double s_counts[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
#define S_MAX_BUCKETS 14

typedef struct cmn_metrics_series {
    char *name;
    char *labels;
    const char *help; /* a string literal of the caller */
    s_kind_t kind;
    bool family; /* cmn_metrics_family: HELP and TYPE only, no sample */
    const double *bounds;
    int nbounds;
    double value; /* counter, gauge; histogram: sum */
    uint64_t count;
    uint64_t buckets[S_MAX_BUCKETS];
} s_series_t;

struct cmn_metrics {
    char service[32];
    char instance[16]; /* "S-I", or empty */
    char extra[64];    /* labels every series carries after those (e.g. shard="1") */
    pthread_mutex_t mu;
    zhashx_t *series; /* "name{labels}" -> s_series_t */
};

static void s_series_free(void **item) {
    s_series_t *s = *item;
    if (s) {
        free(s->name);
        free(s->labels);
        free(s);
    }
    *item = NULL;
}

void cmn_metrics_set_instance(cmn_metrics_t *self, const char *instance) {
    snprintf(self->instance, sizeof(self->instance), "%s", instance);
}

const char *cmn_metrics_instance(const cmn_metrics_t *self) { return self->instance; }

void cmn_metrics_add_labels(cmn_metrics_t *self, const char *labels) {
    size_t n = strlen(self->extra);
    if (labels[0])
        snprintf(self->extra + n, sizeof(self->extra) - n, "%s%s", n ? "," : "", labels);
}

char *cmn_metrics_identity(const cmn_metrics_t *self, char *out, size_t outlen) {
    snprintf(out, outlen, "service=\"%s\"%s%s%s", self->service,
             self->instance[0] ? ",instance=\"" : "", self->instance,
             self->instance[0] ? "\"" : "");
    return out;
}

char *cmn_metrics_prefix(const cmn_metrics_t *self, char *out, size_t outlen) {
    cmn_metrics_identity(self, out, outlen);
    size_t n = strlen(out);
    if (self->extra[0])
        snprintf(out + n, outlen - n, ",%s", self->extra);
    return out;
}

cmn_metrics_t *cmn_metrics_new(const char *service) {
    cmn_metrics_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    snprintf(self->service, sizeof(self->service), "%s", service);
    self->series = zhashx_new();
    if (!self->series) {
        free(self);
        return NULL;
    }
    zhashx_set_destructor(self->series, s_series_free);
    pthread_mutex_init(&self->mu, NULL);
    return self;
}

void cmn_metrics_destroy(cmn_metrics_t **self_p) {
    if (!self_p || !*self_p)
        return;
    cmn_metrics_t *self = *self_p;
    zhashx_destroy(&self->series);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

/* "name{labels}" into key (cut to fit). Called for every count and observation, a dozen
 * per request in a service: copies instead of snprintf, which cost ~1.3k instructions. */
static void s_key(char *key, size_t cap, const char *name, const char *labels) {
    size_t n = strlen(name), l = labels ? strlen(labels) : 0;
    if (n > cap - 3)
        n = cap - 3;
    if (l > cap - 3 - n)
        l = cap - 3 - n;
    memcpy(key, name, n);
    key[n] = '{';
    if (l)
        memcpy(key + n + 1, labels, l);
    key[n + 1 + l] = '}';
    key[n + 2 + l] = '\0';
}

/* Finds or creates a series; call with the mutex held. */
static s_series_t *s_get(cmn_metrics_t *self, const char *name, const char *labels, s_kind_t kind,
                         const char *help) {
    char key[512];
    s_key(key, sizeof(key), name, labels);
    s_series_t *s = zhashx_lookup(self->series, key);
    if (s)
        return s->kind == kind ? s : NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->name = strdup(name);
    s->labels = strdup(labels ? labels : "");
    s->help = help;
    s->kind = kind;
    if (!s->name || !s->labels || zhashx_insert(self->series, key, s) != 0) {
        void *p = s;
        s_series_free(&p);
        return NULL;
    }
    return s;
}

void cmn_metrics_family(cmn_metrics_t *self, const char *name, const char *type, const char *help) {
    s_kind_t kind = strcmp(type, "gauge") == 0       ? S_GAUGE
                    : strcmp(type, "histogram") == 0 ? S_HISTOGRAM
                                                     : S_COUNTER;
    pthread_mutex_lock(&self->mu);
    /* Keyed by the bare name: no series' "name{labels}" key collides with it. */
    if (!zhashx_lookup(self->series, name)) {
        s_series_t *s = calloc(1, sizeof(*s));
        if (s && (s->name = strdup(name)) && (s->labels = strdup(""))) {
            s->help = help;
            s->kind = kind;
            s->family = true;
            if (zhashx_insert(self->series, name, s) == 0)
                s = NULL;
        }
        if (s) {
            void *p = s;
            s_series_free(&p);
        }
    }
    pthread_mutex_unlock(&self->mu);
}

void cmn_metrics_add(cmn_metrics_t *self, const char *name, const char *labels, uint64_t n,
                     const char *help) {
    pthread_mutex_lock(&self->mu);
    s_series_t *s = s_get(self, name, labels, S_COUNTER, help);
    if (s)
        s->value += (double)n;
    pthread_mutex_unlock(&self->mu);
}

void cmn_metrics_set(cmn_metrics_t *self, const char *name, const char *labels, double value,
                     const char *help) {
    pthread_mutex_lock(&self->mu);
    s_series_t *s = s_get(self, name, labels, S_GAUGE, help);
    if (s)
        s->value = value;
    pthread_mutex_unlock(&self->mu);
}

/* One observation into a histogram; call with the mutex held. */
static void s_observe_in(s_series_t *s, double v, const double *bounds, int nbounds) {
    s->bounds = bounds;
    s->nbounds = nbounds;
    s->value += v;
    s->count++;
    for (int i = 0; i < nbounds; i++)
        if (v <= bounds[i])
            s->buckets[i]++;
}

static void s_observe(cmn_metrics_t *self, const char *name, const char *labels, double v,
                      const char *help, const double *bounds, int nbounds) {
    pthread_mutex_lock(&self->mu);
    s_series_t *s = s_get(self, name, labels, S_HISTOGRAM, help);
    if (s)
        s_observe_in(s, v, bounds, nbounds);
    pthread_mutex_unlock(&self->mu);
}

void cmn_metrics_observe(cmn_metrics_t *self, const char *name, const char *labels, double seconds,
                         const char *help) {
    s_observe(self, name, labels, seconds, help, s_secs, (int)(sizeof(s_secs) / sizeof(double)));
}

void cmn_metrics_observe_count(cmn_metrics_t *self, const char *name, const char *labels,
                               double count, const char *help) {
    s_observe(self, name, labels, count, help, s_counts, (int)(sizeof(s_counts) / sizeof(double)));
}

static cmn_metrics_series_t *s_handle(cmn_metrics_t *self, const char *name, const char *labels,
                                      s_kind_t kind, const char *help, const double *bounds,
                                      int nbounds) {
    pthread_mutex_lock(&self->mu);
    s_series_t *s = s_get(self, name, labels, kind, help);
    if (s && kind == S_HISTOGRAM) {
        s->bounds = bounds;
        s->nbounds = nbounds;
    }
    pthread_mutex_unlock(&self->mu);
    return s;
}

cmn_metrics_series_t *cmn_metrics_counter(cmn_metrics_t *self, const char *name, const char *labels,
                                          const char *help) {
    return s_handle(self, name, labels, S_COUNTER, help, NULL, 0);
}

cmn_metrics_series_t *cmn_metrics_seconds(cmn_metrics_t *self, const char *name, const char *labels,
                                          const char *help) {
    return s_handle(self, name, labels, S_HISTOGRAM, help, s_secs,
                    (int)(sizeof(s_secs) / sizeof(double)));
}

cmn_metrics_series_t *cmn_metrics_counts(cmn_metrics_t *self, const char *name, const char *labels,
                                         const char *help) {
    return s_handle(self, name, labels, S_HISTOGRAM, help, s_counts,
                    (int)(sizeof(s_counts) / sizeof(double)));
}

cmn_metrics_series_t *cmn_metrics_histogram(cmn_metrics_t *self, const char *name,
                                            const char *labels, const double *bounds, int nbounds,
                                            const char *help) {
    if (!bounds || nbounds < 1 || nbounds > S_MAX_BUCKETS)
        return NULL;
    return s_handle(self, name, labels, S_HISTOGRAM, help, bounds, nbounds);
}

void cmn_metrics_series_add(cmn_metrics_t *self, cmn_metrics_series_t *s, uint64_t n) {
    if (!s)
        return;
    pthread_mutex_lock(&self->mu);
    s->value += (double)n;
    pthread_mutex_unlock(&self->mu);
}

void cmn_metrics_series_observe(cmn_metrics_t *self, cmn_metrics_series_t *s, double v) {
    if (!s)
        return;
    pthread_mutex_lock(&self->mu);
    s_observe_in(s, v, s->bounds, s->nbounds);
    pthread_mutex_unlock(&self->mu);
}

double cmn_metrics_value(cmn_metrics_t *self, const char *name, const char *labels) {
    char key[512];
    s_key(key, sizeof(key), name, labels);
    pthread_mutex_lock(&self->mu);
    s_series_t *s = zhashx_lookup(self->series, key);
    double v = s ? s->value : 0;
    pthread_mutex_unlock(&self->mu);
    return v;
}

static int s_by_key(const void *a, const void *b) {
    const s_series_t *x = *(s_series_t *const *)a, *y = *(s_series_t *const *)b;
    int c = strcmp(x->name, y->name);
    if (!c && x->family != y->family) /* a family's heading before its series */
        return x->family ? -1 : 1;
    return c ? c : strcmp(x->labels, y->labels);
}

/* Appends printf output to a growing buffer. */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} s_out_t;

__attribute__((format(printf, 2, 3))) static void s_printf(s_out_t *o, const char *fmt, ...) {
    if (o->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        /* An empty buffer is NULL: NULL + 0 is undefined, so it is passed as it is. */
        int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = (o->cap + (size_t)n + 1) * 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = 1;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
}

char *cmn_metrics_render(cmn_metrics_t *self) {
    s_out_t o = {.buf = malloc(4096), .cap = 4096};
    if (!o.buf)
        return NULL;
    o.buf[0] = '\0';
    pthread_mutex_lock(&self->mu);
    size_t n = zhashx_size(self->series), i = 0;
    s_series_t **all = calloc(n ? n : 1, sizeof(s_series_t *));
    for (s_series_t *s = all ? zhashx_first(self->series) : NULL; s && i < n;
         s = zhashx_next(self->series))
        all[i++] = s;
    if (all)
        qsort(all, i, sizeof(s_series_t *), s_by_key);
    const char *last = "";
    static const char *const kinds[] = {"counter", "gauge", "histogram"};
    char prefix[160];
    cmn_metrics_prefix(self, prefix, sizeof(prefix));
    for (size_t k = 0; all && k < i; k++) {
        s_series_t *s = all[k];
        char lab[700];
        snprintf(lab, sizeof(lab), "%s%s%s", prefix, s->labels[0] ? "," : "", s->labels);
        if (strcmp(last, s->name) != 0) {
            if (s->help)
                s_printf(&o, "# HELP %s %s\n", s->name, s->help);
            s_printf(&o, "# TYPE %s %s\n", s->name, kinds[s->kind]);
            last = s->name;
        }
        if (s->family)
            continue;
        if (s->kind != S_HISTOGRAM) {
            s_printf(&o, "%s{%s} %.17g\n", s->name, lab, s->value);
            continue;
        }
        for (int b = 0; b < s->nbounds; b++)
            s_printf(&o, "%s_bucket{%s,le=\"%g\"} %llu\n", s->name, lab, s->bounds[b],
                     (unsigned long long)s->buckets[b]);
        s_printf(&o, "%s_bucket{%s,le=\"+Inf\"} %llu\n", s->name, lab,
                 (unsigned long long)s->count);
        s_printf(&o, "%s_sum{%s} %.17g\n%s_count{%s} %llu\n", s->name, lab, s->value, s->name, lab,
                 (unsigned long long)s->count);
    }
    pthread_mutex_unlock(&self->mu);
    free(all);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}

/* One metric family while merging: its HELP/TYPE lines and its series lines. */
typedef struct {
    char name[128];
    char *head; /* "# HELP ...\n# TYPE ...\n" */
    s_out_t series;
} s_family_t;

static s_family_t *s_family(s_family_t **fams, size_t *n, size_t *cap, const char *name,
                            size_t len) {
    for (size_t i = 0; i < *n; i++)
        if (strlen((*fams)[i].name) == len && strncmp((*fams)[i].name, name, len) == 0)
            return &(*fams)[i];
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        s_family_t *f = realloc(*fams, c * sizeof(*f));
        if (!f)
            return NULL;
        *fams = f;
        *cap = c;
    }
    s_family_t *f = &(*fams)[(*n)++];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%.*s", (int)len, name);
    return f;
}

char *cmn_metrics_merge(const char *const *texts, size_t n) {
    s_family_t *fams = NULL;
    size_t nf = 0, capf = 0;
    for (size_t t = 0; t < n; t++) {
        s_family_t *cur = NULL;
        const char *line = texts[t];
        while (line && *line) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            int help = strncmp(line, "# HELP ", 7) == 0, type = strncmp(line, "# TYPE ", 7) == 0;
            if (help || type) {
                const char *name = line + 7;
                size_t nlen = strcspn(name, " \n");
                cur = s_family(&fams, &nf, &capf, name, nlen);
                if (cur && (!cur->head || (type && !strstr(cur->head, "# TYPE ")))) {
                    size_t old = cur->head ? strlen(cur->head) : 0;
                    char *h = realloc(cur->head, old + len + 2);
                    if (h) {
                        memcpy(h + old, line, len);
                        h[old + len] = '\n';
                        h[old + len + 1] = '\0';
                        cur->head = h;
                    }
                }
            } else if (len && line[0] != '#' && cur) {
                s_printf(&cur->series, "%.*s\n", (int)len, line);
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    s_out_t o = {.buf = malloc(4096), .cap = 4096};
    if (o.buf)
        o.buf[0] = '\0';
    for (size_t i = 0; i < nf; i++) {
        if (o.buf)
            s_printf(&o, "%s%s", fams[i].head ? fams[i].head : "",
                     fams[i].series.buf ? fams[i].series.buf : "");
        free(fams[i].head);
        free(fams[i].series.buf);
    }
    free(fams);
    if (!o.buf || o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
