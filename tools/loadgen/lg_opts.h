/* lg_opts: the command line of a dvcid-load run (flows or --get), parsed and checked into
 * one struct that the run, the workers and the report read. The argon2 and commits
 * subcommands parse their own few options (lg_ceiling.h). */
#ifndef LG_OPTS_H
#define LG_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lg_flow.h"
#include "lg_http.h"
#include "lg_sched.h"

#define LG_THREADS_MAX 256
#define LG_STEPS_MAX 64

typedef struct {
    char url[512];
    lg_target_t target;
    int weights[LG_NFLOWS]; /* share of each flow kind among new flows; 0 = not run */
    char flow_spec[128];    /* --flow as given ("mixed", "login:6,register:2", ...) */
    lg_flow_opts_t flow;    /* its strings point into this struct or argv */
    char get_path[512];
    char phone_prefix[32];
    double rate; /* open loop: flows per second in all (the highest of a ramp or steps);
                  * 0 = closed loop */
    double ramp_from, ramp_to, ramp_s; /* --ramp; ramp_s 0 = none */
    double steps[LG_STEPS_MAX];        /* --steps */
    int nsteps;                        /* 0 = none */
    double step_s;                     /* --step-duration */
    lg_profile_t profile;              /* open loop: the rate from the start, warm-up included */
    lg_arrivals_t arrivals;
    int connections; /* closed loop: connections; open loop: most kept open */
    double duration_s, warmup_s;
    int threads;
    int timeout_ms;
    long prepare; /* accounts to register first; -1 = the default */
    const char *accounts_file;
    uint64_t seed;
    bool json, progress;
    const char *label;  /* a name for this run in the JSON (the bench sets it) */
    uint64_t sources;   /* simulated client addresses (X-Forwarded-For); 0 = none */
    uint32_t src_base;  /* the first of them (host order) */
    uint64_t src_avail; /* host addresses of --source-cidr */
    const char *csv_path, *hdr_path;
    double interval_s; /* CSV interval rows */
} lg_opts_t;

/* Parses argv (argv[0] is the program). Returns 0 with *self filled, 1 when --help was
 * printed (exit 0), or -1 with the reason in err (exit 2). Resolves the URL's host. */
int lg_opts_parse(lg_opts_t *self, int argc, char **argv, char *err, size_t errlen);

/* Parses a --flow value into weights[]: a name, "mixed", or "name:weight,...". Returns 0
 * or -1 with the reason in err. */
int lg_opts_flows(const char *spec, int weights[LG_NFLOWS], char *err, size_t errlen);

/* Prints the whole --help text to f (lg_help.c). */
void lg_opts_usage(FILE *f);

#endif
