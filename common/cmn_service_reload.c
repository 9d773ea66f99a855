/* cmn_service_reload: SIGHUP rereads the configuration file in every dvcid process.
 * The handler only sets a flag and writes a byte to a pipe the loop polls, so the loop
 * wakes at once whichever thread took the signal; the file is read and applied by the
 * loop between two batches (cmn_service_run), never inside the handler nor in the
 * middle of a batch: requests that come meanwhile wait in their socket, none is lost.
 * systemd hears RELOADING=1 (with MONOTONIC_USEC, which systemd 253+ wants to pair the
 * reload with its job; 252, Debian 12's, ignores it) and READY=1 when done. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "cmn_crypto.h"
#include "cmn_log.h"
#include "cmn_main.h"
#include "cmn_service_int.h"

static volatile sig_atomic_t s_hup;
static int s_pipe[2] = {-1, -1};

static void s_on_hup(int sig) {
    (void)sig;
    int saved = errno; /* write() may change it under the interrupted code */
    s_hup = 1;
    if (s_pipe[1] >= 0) {
        ssize_t n = write(s_pipe[1], "h", 1); /* full pipe: a wake-up is pending anyway */
        (void)n;
    }
    errno = saved;
}

int cmn_service_reload_signal(void) {
    if (s_pipe[0] < 0) {
        if (pipe(s_pipe) != 0)
            return -1;
        for (int i = 0; i < 2; i++)
            if (fcntl(s_pipe[i], F_SETFL, O_NONBLOCK) != 0 ||
                fcntl(s_pipe[i], F_SETFD, FD_CLOEXEC) != 0)
                return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = s_on_hup;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGHUP, &sa, NULL);
}

int cmn_service_reload_fd(void) { return s_pipe[0]; }

/* Was SIGHUP seen since the last call? Then empties the pipe. No system call on the
 * loop's every turn: the flag first. It is cleared before the pipe is read, and the
 * handler sets it before writing, so a byte left in the pipe always has its flag set
 * (the poll never spins on a wake-up nobody takes). */
static int s_take(void) {
    if (!s_hup)
        return 0;
    s_hup = 0;
    char buf[64];
    while (s_pipe[0] >= 0 && read(s_pipe[0], buf, sizeof(buf)) > 0)
        continue;
    return 1;
}

static const char s_help[] = "Configuration rereads on SIGHUP: applied (ok) or refused (a bad "
                             "file: the running settings stay)";

void cmn_service_reload_metrics(cmn_service_t *self) {
    cmn_metrics_add(self->metrics, "dvcid_config_reloads_total", "result=\"ok\"", 0, s_help);
    cmn_metrics_add(self->metrics, "dvcid_config_reloads_total", "result=\"refused\"", 0, s_help);
}

/* Reads the file again and checks it as at a start, then as this service does (its hook,
 * which applies what it derives from the file). Returns 0 with *next the new settings,
 * or -1 with why in err. */
static int s_read(cmn_service_t *self, cmn_config_t *next, char *err, size_t errlen) {
    const char *path = self->cfg->proc_path;
    if (cmn_config_load(next, path, err, errlen) != 0)
        return -1;
    char kept[1024];
    if (cmn_config_keep_fixed(self->cfg, next, kept, sizeof(kept)) > 0)
        CMN_WARN(NULL,
                 "reload: %s cannot change in a running process: kept as running; a "
                 "restart of the processes that use it applies the file's",
                 kept);
    if (cmn_main_test_mode(next, path, "reload") != 0) {
        snprintf(err, errlen, "%s: test settings under systemd (logged above)",
                 path ? path : "defaults");
        return -1;
    }
    return self->reload ? self->reload(self->self, next, err, errlen) : 0;
}

void cmn_service_reload(cmn_service_t *self) {
    if (!s_take())
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s rereads its configuration",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000,
               self->name);
    char err[512] = "no configuration to reread (a process of a test)";
    cmn_config_t *next = self->cfg ? calloc(1, sizeof(*next)) : NULL;
    if (self->cfg && !next)
        snprintf(err, sizeof(err), "out of memory");
    int ok = next && s_read(self, next, err, sizeof(err)) == 0;
    if (ok) {
        /* The struct is main()'s (cmn_main_start), writable there: every module reads its
         * settings through this one pointer, on this thread, between batches like now. */
        memcpy((cmn_config_t *)self->cfg, next, sizeof(*next));
        if (self->db)
            cmn_db_limits_set(self->db, (uint64_t)self->cfg->storage_max_map_mib << 20,
                              (uint64_t)self->cfg->storage_min_free_mib << 20);
        cmn_service_static_metrics(self);
        CMN_INFO(NULL, "configuration reloaded from %s",
                 self->cfg->proc_path ? self->cfg->proc_path : "defaults");
    } else {
        CMN_ERROR(NULL, "configuration reload refused, the running settings stay: %s", err);
    }
    cmn_metrics_add(self->metrics, "dvcid_config_reloads_total",
                    ok ? "result=\"ok\"" : "result=\"refused\"", 1, s_help);
    if (next) {
        cmn_wipe(next, sizeof(*next)); /* provider passwords */
        free(next);
    }
    sd_notifyf(0, "READY=1\nSTATUS=%s serving", self->name);
}
