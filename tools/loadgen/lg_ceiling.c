/* lg_ceiling: what the ceiling commands share: reading their numeric options. */
#include "lg_ceiling.h"

#include <errno.h>
#include <stdlib.h>

int lg_ceiling_long(const char *v, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || !end || *end || end == v || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}
