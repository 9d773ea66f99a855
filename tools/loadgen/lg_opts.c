/* lg_opts: command-line parsing and checks for a dvcid-load run (lg_opts.h). Defaults match
 * the bench configuration (scripts/bench.sh) and docs/LOADGEN.md; the text of --help is
 * lg_help.c. */
#include "lg_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* "mixed": mostly sign-ins, as on the portal, with registrations and the unhappy paths. */
static const char s_mixed[] = "login:6,register:2,resend:1,wrong-code:1";

int lg_opts_flows(const char *spec, int weights[LG_NFLOWS], char *err, size_t errlen) {
    memset(weights, 0, sizeof(int) * LG_NFLOWS);
    if (strcmp(spec, "mixed") == 0)
        spec = s_mixed;
    char buf[256];
    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf) || !*spec) {
        snprintf(err, errlen, "--flow: bad value");
        return -1;
    }
    int total = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        long w = 1;
        if (colon) {
            *colon = '\0';
            char *end = NULL;
            errno = 0;
            w = strtol(colon + 1, &end, 10);
            if (errno || !end || *end || w < 0 || w > 1000) {
                snprintf(err, errlen, "--flow: bad weight for %s", item);
                return -1;
            }
        }
        int k = lg_flow_kind(item);
        if (k < 0) {
            snprintf(err, errlen, "--flow: unknown flow \"%s\"", item);
            return -1;
        }
        weights[k] += (int)w;
        total += (int)w;
    }
    if (total == 0) {
        snprintf(err, errlen, "--flow: no flow with a weight above 0");
        return -1;
    }
    if (weights[LG_FLOW_GET] && total != weights[LG_FLOW_GET]) {
        snprintf(err, errlen, "--flow: get does not mix with the other flows");
        return -1;
    }
    return 0;
}

/* Parses a number in [lo, hi]. */
static int s_num(const char *name, const char *v, double lo, double hi, double *out, char *err,
                 size_t errlen) {
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || !end || *end || end == v || x < lo || x > hi) {
        snprintf(err, errlen, "--%s \"%s\": expected a number from %g to %g", name, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

enum {
    O_URL = 1000,
    O_FLOW,
    O_GET,
    O_RATE,
    O_CONNECTIONS,
    O_DURATION,
    O_WARMUP,
    O_THREADS,
    O_TIMEOUT,
    O_TEST_CODE,
    O_PHONE_PREFIX,
    O_CAPTCHA_ANSWER,
    O_NO_CAPTCHA,
    O_PASSWORD,
    O_WRONG,
    O_PREPARE,
    O_ACCOUNTS,
    O_SEED,
    O_LABEL,
    O_JSON,
    O_PROGRESS,
    O_HELP,
    O_RAMP,
    O_STEPS,
    O_STEP_DURATION,
    O_ARRIVALS,
    O_SOURCES,
    O_SOURCE_CIDR,
    O_CSV,
    O_INTERVAL,
    O_HDR,
};

static const struct option s_long[] = {
    {"url", required_argument, NULL, O_URL},
    {"flow", required_argument, NULL, O_FLOW},
    {"get", required_argument, NULL, O_GET},
    {"rate", required_argument, NULL, O_RATE},
    {"connections", required_argument, NULL, O_CONNECTIONS},
    {"duration", required_argument, NULL, O_DURATION},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"threads", required_argument, NULL, O_THREADS},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"test-code", required_argument, NULL, O_TEST_CODE},
    {"phone-prefix", required_argument, NULL, O_PHONE_PREFIX},
    {"captcha-answer", required_argument, NULL, O_CAPTCHA_ANSWER},
    {"no-captcha", no_argument, NULL, O_NO_CAPTCHA},
    {"password", required_argument, NULL, O_PASSWORD},
    {"wrong", required_argument, NULL, O_WRONG},
    {"prepare", required_argument, NULL, O_PREPARE},
    {"accounts", required_argument, NULL, O_ACCOUNTS},
    {"seed", required_argument, NULL, O_SEED},
    {"label", required_argument, NULL, O_LABEL},
    {"json", no_argument, NULL, O_JSON},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"help", no_argument, NULL, O_HELP},
    {"ramp", required_argument, NULL, O_RAMP},
    {"steps", required_argument, NULL, O_STEPS},
    {"step-duration", required_argument, NULL, O_STEP_DURATION},
    {"arrivals", required_argument, NULL, O_ARRIVALS},
    {"sources", required_argument, NULL, O_SOURCES},
    {"source-cidr", required_argument, NULL, O_SOURCE_CIDR},
    {"csv", required_argument, NULL, O_CSV},
    {"interval", required_argument, NULL, O_INTERVAL},
    {"hdr", required_argument, NULL, O_HDR},
    {NULL, 0, NULL, 0},
};

/* --ramp A:B:S. */
static int s_ramp(lg_opts_t *self, const char *v, char *err, size_t errlen) {
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", v);
    char *save = NULL, *a = strtok_r(buf, ":", &save), *b = strtok_r(NULL, ":", &save),
         *secs = strtok_r(NULL, ":", &save);
    if (!a || !b || !secs || strtok_r(NULL, ":", &save)) {
        snprintf(err, errlen, "--ramp \"%s\": expected FROM:TO:SECONDS", v);
        return -1;
    }
    if (s_num("ramp", a, 0, 1e7, &self->ramp_from, err, errlen) ||
        s_num("ramp", b, 0, 1e7, &self->ramp_to, err, errlen) ||
        s_num("ramp", secs, 0.1, 86400, &self->ramp_s, err, errlen))
        return -1;
    if (self->ramp_from + self->ramp_to <= 0) {
        snprintf(err, errlen, "--ramp \"%s\": a rate above 0 somewhere", v);
        return -1;
    }
    return 0;
}

/* --steps R1,R2,... */
static int s_steps(lg_opts_t *self, const char *v, char *err, size_t errlen) {
    char buf[1024];
    if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "--steps: too long");
        return -1;
    }
    self->nsteps = 0;
    char *save = NULL;
    for (char *r = strtok_r(buf, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        if (self->nsteps == LG_STEPS_MAX) {
            snprintf(err, errlen, "--steps: at most %d steps", LG_STEPS_MAX);
            return -1;
        }
        if (s_num("steps", r, 0.001, 1e7, &self->steps[self->nsteps++], err, errlen))
            return -1;
    }
    if (self->nsteps == 0) {
        snprintf(err, errlen, "--steps: no rate");
        return -1;
    }
    return 0;
}

/* --source-cidr a.b.c.d/p into the first host address and how many there are. */
static int s_cidr(lg_opts_t *self, const char *v, char *err, size_t errlen) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", v);
    char *slash = strchr(buf, '/');
    long bits = 32;
    if (slash) {
        *slash = '\0';
        char *end = NULL;
        bits = strtol(slash + 1, &end, 10);
        if (!end || *end || end == slash + 1 || bits < 8 || bits > 32)
            bits = -1;
    }
    struct in_addr a;
    if (bits < 0 || inet_pton(AF_INET, buf, &a) != 1) {
        snprintf(err, errlen, "--source-cidr \"%s\": expected an IPv4 a.b.c.d/8 to /32", v);
        return -1;
    }
    uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
    uint32_t net = ntohl(a.s_addr) & mask;
    uint64_t size = (uint64_t)1 << (32 - bits);
    /* The network and broadcast addresses are nobody's: left out where a block has hosts. */
    self->src_base = size > 2 ? net + 1 : net;
    self->src_avail = size > 2 ? size - 2 : size;
    return 0;
}

/* The target rate over the run from --rate, --ramp or --steps (warm-up first). */
static int s_profile(lg_opts_t *self, bool have_duration, char *err, size_t errlen) {
    int modes = (self->rate > 0) + (self->ramp_s > 0) + (self->nsteps > 0);
    if (modes > 1) {
        snprintf(err, errlen, "--rate, --ramp and --steps: one at a time");
        return -1;
    }
    if ((self->ramp_s > 0 || self->nsteps > 0) && have_duration) {
        snprintf(err, errlen, "--duration: --ramp and --steps set the measured window");
        return -1;
    }
    lg_profile_t *p = &self->profile;
    memset(p, 0, sizeof(*p));
    int rc = 0;
    if (self->rate > 0) {
        rc = lg_profile_add(p, self->warmup_s + self->duration_s, self->rate, self->rate);
    } else if (self->ramp_s > 0) {
        if (self->warmup_s > 0 && self->ramp_from <= 0) {
            snprintf(err, errlen, "--warmup runs at the ramp's first rate: not with a ramp from 0");
            return -1;
        }
        if (self->warmup_s > 0)
            rc = lg_profile_add(p, self->warmup_s, self->ramp_from, self->ramp_from);
        rc = rc ? rc : lg_profile_add(p, self->ramp_s, self->ramp_from, self->ramp_to);
        self->duration_s = self->ramp_s;
        self->rate = self->ramp_from > self->ramp_to ? self->ramp_from : self->ramp_to;
    } else if (self->nsteps > 0) {
        for (int i = 0; i < self->nsteps && rc == 0; i++) {
            double secs = self->step_s + (i == 0 ? self->warmup_s : 0);
            rc = lg_profile_add(p, secs, self->steps[i], self->steps[i]);
            self->rate = self->steps[i] > self->rate ? self->steps[i] : self->rate;
        }
        self->duration_s = self->step_s * self->nsteps;
    }
    if (rc != 0) {
        snprintf(err, errlen, "the rate profile does not fit");
        return -1;
    }
    return 0;
}

int lg_opts_parse(lg_opts_t *self, int argc, char **argv, char *err, size_t errlen) {
    memset(self, 0, sizeof(*self));
    snprintf(self->url, sizeof(self->url), "http://127.0.0.1:8080");
    snprintf(self->flow_spec, sizeof(self->flow_spec), "register");
    snprintf(self->phone_prefix, sizeof(self->phone_prefix), "+8430000");
    self->flow.test_code = "123456";
    self->flow.captcha_answer = "TEST";
    self->flow.password = "Tr0ng!Dong2024";
    self->flow.full_name = "Nguyễn Văn An";
    self->flow.captcha_step = true;
    self->flow.wrong = 1;
    self->connections = 0;
    self->duration_s = 10;
    self->threads = 1;
    self->timeout_ms = 10000;
    self->prepare = -1;
    self->step_s = 10;
    self->interval_s = 1;
    bool seeded = false, have_get = false, have_duration = false, have_cidr = false;
    s_cidr(self, "198.18.0.0/15", err, errlen);
    double x;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", s_long, NULL)) != -1) {
        switch (c) {
        case O_URL:
            snprintf(self->url, sizeof(self->url), "%s", optarg);
            break;
        case O_FLOW:
            snprintf(self->flow_spec, sizeof(self->flow_spec), "%s", optarg);
            break;
        case O_GET:
            if (optarg[0] != '/') {
                snprintf(err, errlen, "--get %s: the path starts with /", optarg);
                return -1;
            }
            snprintf(self->get_path, sizeof(self->get_path), "%s", optarg);
            have_get = true;
            break;
        case O_RATE:
            if (s_num("rate", optarg, 0.001, 1e7, &self->rate, err, errlen))
                return -1;
            break;
        case O_CONNECTIONS:
            if (s_num("connections", optarg, 1, 100000, &x, err, errlen))
                return -1;
            self->connections = (int)x;
            break;
        case O_DURATION:
            if (s_num("duration", optarg, 0.1, 86400, &self->duration_s, err, errlen))
                return -1;
            have_duration = true;
            break;
        case O_WARMUP:
            if (s_num("warmup", optarg, 0, 3600, &self->warmup_s, err, errlen))
                return -1;
            break;
        case O_THREADS:
            if (s_num("threads", optarg, 1, LG_THREADS_MAX, &x, err, errlen))
                return -1;
            self->threads = (int)x;
            break;
        case O_TIMEOUT:
            if (s_num("timeout", optarg, 1, 3600000, &x, err, errlen))
                return -1;
            self->timeout_ms = (int)x;
            break;
        case O_TEST_CODE:
            self->flow.test_code = optarg;
            break;
        case O_PHONE_PREFIX:
            snprintf(self->phone_prefix, sizeof(self->phone_prefix), "%s", optarg);
            break;
        case O_CAPTCHA_ANSWER:
            self->flow.captcha_answer = optarg;
            break;
        case O_NO_CAPTCHA:
            self->flow.captcha_step = false;
            break;
        case O_PASSWORD:
            self->flow.password = optarg;
            break;
        case O_WRONG:
            if (s_num("wrong", optarg, 1, 1000, &x, err, errlen))
                return -1;
            self->flow.wrong = (int)x;
            break;
        case O_PREPARE:
            if (s_num("prepare", optarg, 0, 10000000, &x, err, errlen))
                return -1;
            self->prepare = (long)x;
            break;
        case O_ACCOUNTS:
            self->accounts_file = optarg;
            break;
        case O_SEED:
            if (s_num("seed", optarg, 0, 9007199254740992.0, &x, err, errlen))
                return -1;
            self->seed = (uint64_t)x;
            seeded = true;
            break;
        case O_LABEL:
            self->label = optarg;
            break;
        case O_JSON:
            self->json = true;
            break;
        case O_PROGRESS:
            self->progress = true;
            break;
        case O_HELP:
            lg_opts_usage(stdout);
            return 1;
        case O_RAMP:
            if (s_ramp(self, optarg, err, errlen))
                return -1;
            break;
        case O_STEPS:
            if (s_steps(self, optarg, err, errlen))
                return -1;
            break;
        case O_STEP_DURATION:
            if (s_num("step-duration", optarg, 0.1, 86400, &self->step_s, err, errlen))
                return -1;
            break;
        case O_ARRIVALS:
            if (strcmp(optarg, "uniform") == 0) {
                self->arrivals = LG_ARRIVALS_UNIFORM;
            } else if (strcmp(optarg, "poisson") == 0) {
                self->arrivals = LG_ARRIVALS_POISSON;
            } else {
                snprintf(err, errlen, "--arrivals \"%s\": uniform or poisson", optarg);
                return -1;
            }
            break;
        case O_SOURCES:
            if (s_num("sources", optarg, 1, 1 << 24, &x, err, errlen))
                return -1;
            self->sources = (uint64_t)x;
            break;
        case O_SOURCE_CIDR:
            if (s_cidr(self, optarg, err, errlen))
                return -1;
            have_cidr = true;
            break;
        case O_CSV:
            self->csv_path = optarg;
            break;
        case O_INTERVAL:
            if (s_num("interval", optarg, 0.05, 3600, &self->interval_s, err, errlen))
                return -1;
            break;
        case O_HDR:
            self->hdr_path = optarg;
            break;
        default:
            snprintf(err, errlen, "unknown or incomplete option %s (see --help)", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
        return -1;
    }
    if (have_get)
        snprintf(self->flow_spec, sizeof(self->flow_spec), "get");
    if (lg_opts_flows(self->flow_spec, self->weights, err, errlen) != 0)
        return -1;
    if (self->weights[LG_FLOW_GET] && !self->get_path[0]) {
        snprintf(err, errlen, "--flow get needs --get PATH");
        return -1;
    }
    if (!self->flow.test_code[0] || strlen(self->flow.test_code) > 15) {
        snprintf(err, errlen, "--test-code: 1 to 15 characters");
        return -1;
    }
    if (s_profile(self, have_duration, err, errlen) != 0)
        return -1;
    if (self->sources == 0 && have_cidr)
        self->sources = self->src_avail;
    if (self->sources > self->src_avail) {
        snprintf(err, errlen, "--sources %llu: the block has %llu host addresses",
                 (unsigned long long)self->sources, (unsigned long long)self->src_avail);
        return -1;
    }
    if (self->connections == 0)
        self->connections = self->rate > 0 ? 1024 : 64;
    if (self->threads > self->connections)
        self->threads = self->connections;
    if (self->prepare < 0)
        self->prepare = self->weights[LG_FLOW_LOGIN] ? 100 : 0;
    if (!seeded && getrandom(&self->seed, sizeof(self->seed), 0) != (ssize_t)sizeof(self->seed))
        self->seed = (uint64_t)time(NULL) * 2654435761u;
    /* Under 2^53, so the seed the JSON gives can be passed back to --seed as it is. */
    if (!seeded)
        self->seed &= ((uint64_t)1 << 53) - 1;
    self->flow.get_path = self->get_path;
    if (lg_target_parse(&self->target, self->url, err, errlen) != 0)
        return -1;
    self->flow.base_path = self->target.base_path;
    return 0;
}
