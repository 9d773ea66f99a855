/* lg_run: one load run from start to report: identities, accounts for sign-ins (from
 * --accounts or a prepare phase), the worker threads, the progress line, Ctrl-C (first:
 * stop starting flows and finish; second: leave now), the merged results. */
#ifndef LG_RUN_H
#define LG_RUN_H

#include "lg_opts.h"

/* Runs opts to the end and prints the report. Returns the exit status: 0 when the run got
 * expected answers, 1 when it got none or could not start (the reason on stderr). */
int lg_run_load(const lg_opts_t *opts);

#endif
