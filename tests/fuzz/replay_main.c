/* replay_main: a main() for the fuzz targets when the compiler has no libFuzzer (GCC).
 * It runs LLVMFuzzerTestOneInput on every file of the corpus directories (or files)
 * it is given, in name order, each in a buffer of exactly its size so ASan sees any
 * read past the end; then, with -mutations=N, on N inputs made by mutating the
 * corpus with a seeded generator, a small and reproducible stand-in for fuzzing.
 * When an input crashes (sanitizer report, abort or signal) it is written to
 * <target>-crash-<n> in the current directory and its name printed.
 *   fuzz_<t> [-mutations=N] [-seed=S] [-max_len=B] DIR|FILE...
 * Other -flag=value options (libFuzzer's) are accepted and ignored, so one command
 * line serves both builds. Exit 0 when every input ran, 1 on a usage or read error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Provided by the ASan/UBSan runtime when the build has one. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));
/* Optional in a target. */
extern int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

typedef struct {
    uint8_t *data;
    size_t size;
} s_input_t;

/* What is running now, for the crash handlers: set before each call, so that the
 * handlers only need open/write/close (async-signal-safe). */
static const uint8_t *s_cur_data;
static size_t s_cur_size;
static char s_cur_path[PATH_MAX];
static char s_target[64] = "fuzz";

static void s_say(const char *s) {
    ssize_t w = write(STDERR_FILENO, s, strlen(s));
    (void)w;
}

static void s_dump_current(void) {
    static volatile sig_atomic_t dumped;
    if (dumped || !s_cur_data)
        return;
    dumped = 1;
    int fd = open(s_cur_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, s_cur_data, s_cur_size);
    close(fd);
    if (w == (ssize_t)s_cur_size) {
        s_say("\nreplay: the crashing input is in ");
        s_say(s_cur_path);
        s_say("\n");
    }
}

static void s_on_signal(int sig) {
    s_dump_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void s_run(const char *name, const uint8_t *data, size_t size) {
    /* A copy of exactly size bytes: an overread lands in ASan's redzone. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        fprintf(stderr, "replay: out of memory\n");
        exit(1);
    }
    if (size)
        memcpy(copy, data, size);
    snprintf(s_cur_path, sizeof(s_cur_path), "%s-crash-%s", s_target, name);
    s_cur_size = size;
    s_cur_data = copy;
    LLVMFuzzerTestOneInput(copy, size);
    s_cur_data = NULL;
    free(copy);
}

static int s_read_file(const char *path, s_input_t *in) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return -1;
    }
    in->data = buf;
    in->size = len;
    return 0;
}

/* Appends path (a file, or every regular file of a directory in name order). */
static int s_collect(const char *path, s_input_t **list, size_t *n, size_t *cap, char ***names) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        struct dirent **ents;
        int k = scandir(path, &ents, NULL, alphasort);
        if (k < 0) {
            fprintf(stderr, "replay: cannot list %s\n", path);
            return -1;
        }
        int rc = 0;
        for (int i = 0; i < k; i++) {
            char sub[PATH_MAX];
            if (rc == 0 && ents[i]->d_name[0] != '.' &&
                (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name) < sizeof(sub) &&
                stat(sub, &st) == 0 && S_ISREG(st.st_mode))
                rc = s_collect(sub, list, n, cap, names);
            free(ents[i]);
        }
        free(ents);
        return rc;
    }
    if (*n == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        s_input_t *l = realloc(*list, bigger * sizeof(**list));
        if (l)
            *list = l;
        char **nm = l ? realloc(*names, bigger * sizeof(**names)) : NULL;
        if (nm)
            *names = nm;
        if (!l || !nm) {
            fprintf(stderr, "replay: out of memory\n");
            return -1;
        }
        *cap = bigger;
    }
    if (s_read_file(path, &(*list)[*n]) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    (*names)[*n] = strdup(path);
    if (!(*names)[*n]) {
        free((*list)[*n].data);
        return -1;
    }
    (*n)++;
    return 0;
}

/* xorshift64*: tiny, seeded, the same sequence on every machine. */
static uint64_t s_rng;

static uint64_t s_next(void) {
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 2685821657736338717ULL;
}

static size_t s_below(size_t n) { return n ? (size_t)(s_next() % n) : 0; }

/* One random edit of buf[0..*len) (capacity cap): the usual libFuzzer-like moves,
 * including bytes that parsers treat specially and a splice from another input. */
static void s_mutate_once(uint8_t *buf, size_t *len, size_t cap, const s_input_t *corpus,
                          size_t ncorpus) {
    static const uint8_t special[] = {0x00, 0x01, 0x0a, 0x22, 0x2c, 0x3a, 0x3d, 0x5b, 0x5c,
                                      0x7b, 0x7f, 0x80, 0xc3, 0xe1, 0xef, 0xfe, 0xff};
    size_t n = *len;
    switch (s_below(7)) {
    case 0: /* flip a bit */
        if (n)
            buf[s_below(n)] ^= (uint8_t)(1u << s_below(8));
        break;
    case 1: /* set a byte to a special value */
        if (n)
            buf[s_below(n)] = special[s_below(sizeof(special))];
        break;
    case 2: /* insert a byte */
        if (n < cap) {
            size_t at = s_below(n + 1);
            memmove(buf + at + 1, buf + at, n - at);
            buf[at] = (uint8_t)s_next();
            (*len)++;
        }
        break;
    case 3: /* delete a range */
        if (n) {
            size_t at = s_below(n), k = 1 + s_below(n - at < 8 ? n - at : 8);
            memmove(buf + at, buf + at + k, n - at - k);
            *len -= k;
        }
        break;
    case 4: /* duplicate a range */
        if (n && n < cap) {
            size_t at = s_below(n), k = 1 + s_below(n - at);
            if (k > cap - n)
                k = cap - n;
            size_t to = s_below(n + 1);
            memmove(buf + to + k, buf + to, n - to);
            memmove(buf + to, buf + (at >= to ? at + k : at), k);
            *len += k;
        }
        break;
    case 5: /* truncate */
        *len = s_below(n + 1);
        break;
    default: /* splice in a piece of another input */
        if (ncorpus) {
            const s_input_t *o = &corpus[s_below(ncorpus)];
            if (o->size) {
                size_t from = s_below(o->size), k = 1 + s_below(o->size - from);
                size_t at = s_below(n + 1);
                if (k > cap - at)
                    k = cap - at;
                memcpy(buf + at, o->data + from, k);
                if (at + k > n)
                    *len = at + k;
            }
        }
        break;
    }
}

/* Parses "-name=N" into *value; returns 1 when arg is that option (N must be a number). */
static int s_option(const char *arg, const char *name, unsigned long long *value) {
    size_t n = strlen(name);
    if (arg[0] != '-' || strncmp(arg + 1, name, n) != 0 || arg[n + 1] != '=')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(arg + n + 2, &end, 10);
    if (errno || end == arg + n + 2 || *end) {
        fprintf(stderr, "replay: %s is not -%s=<number>\n", arg, name);
        exit(1);
    }
    *value = v;
    return 1;
}

int main(int argc, char **argv) {
    const char *base = strrchr(argv[0], '/');
    snprintf(s_target, sizeof(s_target), "%s", base ? base + 1 : argv[0]);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(s_dump_current);
    else {
        signal(SIGSEGV, s_on_signal);
        signal(SIGBUS, s_on_signal);
        signal(SIGFPE, s_on_signal);
        signal(SIGILL, s_on_signal);
    }
    signal(SIGABRT, s_on_signal); /* FUZZ_CHECK; sanitizers leave abort alone */

    unsigned long long mutations = 0, max_len = 4096, seed = 1;
    s_input_t *corpus = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (s_option(argv[i], "mutations", &mutations) || s_option(argv[i], "seed", &seed) ||
            s_option(argv[i], "max_len", &max_len) || argv[i][0] == '-')
            continue; /* ours, or a libFuzzer option */
        rc = s_collect(argv[i], &corpus, &n, &cap, &names);
    }
    if (rc == 0 && n == 0) {
        fprintf(stderr, "usage: %s [-mutations=N] [-seed=S] [-max_len=B] DIR|FILE...\n", s_target);
        rc = -1;
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            const char *slash = strrchr(names[i], '/');
            s_run(slash ? slash + 1 : names[i], corpus[i].data, corpus[i].size);
        }
        s_rng = seed ? seed : 1;
        uint8_t *buf = malloc(max_len ? max_len : 1);
        for (unsigned long long m = 0; buf && m < mutations; m++) {
            const s_input_t *from = &corpus[s_below(n)];
            size_t len = from->size < max_len ? from->size : max_len;
            memcpy(buf, from->data, len);
            for (size_t k = 1 + s_below(4); k > 0; k--)
                s_mutate_once(buf, &len, max_len, corpus, n);
            char name[64];
            snprintf(name, sizeof(name), "seed%llu-mutation%llu", seed, m);
            s_run(name, buf, len);
        }
        printf("%s: %zu corpus inputs and %llu mutations (seed %llu) ran clean\n", s_target, n,
               buf ? mutations : 0, seed);
        free(buf);
    }
    for (size_t i = 0; i < n; i++) {
        free(corpus[i].data);
        free(names[i]);
    }
    free(corpus);
    free(names);
    return rc == 0 ? 0 : 1;
}
