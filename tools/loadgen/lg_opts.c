/* lg_opts: command-line parsing and checks for a dvcid-load run (lg_opts.h). Defaults match
 * the bench configuration (scripts/bench.sh) and the README's load-testing section. */
#include "lg_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* "mixed": mostly sign-ins, as on the portal, with registrations and the unhappy paths. */
static const char s_mixed[] = "login:6,register:2,resend:1,wrong-code:1";

void lg_opts_usage(FILE *f) {
    fputs("usage: dvcid-load [options]            drive whole flows against a dvcid URL\n"
          "       dvcid-load --get PATH [options] GET one path (the HTTP ceiling)\n"
          "       dvcid-load argon2 [--ops N] [--mem-mib M] [--threads T] [--duration S] [--json]\n"
          "       dvcid-load commits --dir DIR [--duration S] [--value-bytes N] [--json]\n"
          "\n"
          "The server needs [otp] test_phone_prefix and test_code, and [captcha] test_answer:\n"
          "the generator's phones are under that prefix and their code is the test code.\n"
          "\n"
          "  --url URL           http://host:port[/base] (default http://127.0.0.1:8080)\n"
          "  --flow FLOWS        register | otp | start | login | resend | wrong-code | mixed,\n"
          "                      or weights like login:6,register:2 (default register);\n"
          "                      mixed = login:6,register:2,resend:1,wrong-code:1\n"
          "  --get PATH          the get flow: GET PATH (2xx is success)\n"
          "  --rate R            open loop: R flows per second in all, each started at its\n"
          "                      intended time; latency counts from that time\n"
          "  --connections N     closed loop (no --rate): N connections, each running flows\n"
          "                      back to back (default 64); open loop: most connections (1024)\n"
          "  --duration S        seconds measured (default 10)\n"
          "  --warmup S          seconds run before measuring (default 0)\n"
          "  --threads T         worker threads, each with its own connections (default 1)\n"
          "  --timeout MS        a request unanswered after MS fails as timeout (default 10000)\n"
          "  --test-code CODE    the server's otp.test_code (default 123456)\n"
          "  --phone-prefix P    the server's otp.test_phone_prefix (default +8430000)\n"
          "  --captcha-answer A  the server's captcha.test_answer (default TEST)\n"
          "  --no-captcha        no captcha step: starts send a made-up captcha id\n"
          "  --password PW       password of the accounts made and signed in (default "
          "Tr0ng!Dong2024)\n"
          "  --wrong N           wrong codes per wrong-code flow (default 1)\n"
          "  --prepare N         accounts registered before a run with sign-ins (default 100;\n"
          "                      0 = only those the run registers)\n"
          "  --accounts FILE     ID numbers to sign in with, one a line (no prepare); when FILE\n"
          "                      does not exist the prepared accounts are written to it\n"
          "  --seed N            identity seed (default random: IDs differ from run to run)\n"
          "  --label NAME        a name for this run in the JSON\n"
          "  --json              results as JSON on stdout (the table goes to stderr)\n"
          "  --progress          a progress line every second on stderr\n"
          "  --help\n",
          f);
}

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
    {NULL, 0, NULL, 0},
};

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
    bool seeded = false, have_get = false;
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
            if (s_num("seed", optarg, 0, 1e18, &x, err, errlen))
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
    if (self->connections == 0)
        self->connections = self->rate > 0 ? 1024 : 64;
    if (self->threads > self->connections)
        self->threads = self->connections;
    if (self->prepare < 0)
        self->prepare = self->weights[LG_FLOW_LOGIN] ? 100 : 0;
    if (!seeded && getrandom(&self->seed, sizeof(self->seed), 0) != (ssize_t)sizeof(self->seed))
        self->seed = (uint64_t)time(NULL) * 2654435761u;
    self->flow.get_path = self->get_path;
    if (lg_target_parse(&self->target, self->url, err, errlen) != 0)
        return -1;
    self->flow.base_path = self->target.base_path;
    return 0;
}
