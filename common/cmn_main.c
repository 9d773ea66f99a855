/* cmn_main: the start of every dvcid process. */
#include "cmn_main.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmn_crypto.h"
#include "cmn_log.h"

int cmn_main_start(int argc, char **argv, const char *name, const char *summary,
                   cmn_config_t *cfg) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s [--config FILE] [--help] [--version]\n\n%s\n\n"
                   "  --config FILE  INI configuration (default: built-in defaults)\n"
                   "  --help         this text\n  --version      print the version\n",
                   name, summary);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s (dvcid) %s\n", name, DVCID_VERSION);
            return 1;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
        } else {
            fprintf(stderr, "%s: unknown argument \"%s\" (try --help)\n", name, argv[i]);
            return -1;
        }
    }
    char err[512];
    if (cmn_config_load(cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: configuration error: %s\n", name, err);
        return -1;
    }
    if (cmn_log_init(name, cfg->log_level) != 0 || cmn_crypto_init() != 0)
        return -1;
    if (mkdir(cfg->storage_dir, 0700) != 0 && errno != EEXIST) {
        CMN_ERROR(NULL, "cannot create storage.dir %s: %s", cfg->storage_dir, strerror(errno));
        return -1;
    }
    CMN_INFO(NULL, "%s %s starting (config %s)", name, DVCID_VERSION, path ? path : "defaults");
    return 0;
}

int cmn_main_data_dir(const cmn_config_t *cfg, const char *sub, char *out, size_t outlen) {
    if ((size_t)snprintf(out, outlen, "%s/%s", cfg->storage_dir, sub) >= outlen)
        return -1;
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        CMN_ERROR(NULL, "cannot create %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}
