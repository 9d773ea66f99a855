/* sms-worker: the durable SMS queue between otp-svc and the SMS provider. This
 * file only starts and stops it; the service is sms_worker.c. */
#include <limits.h>

#include "cmn_db.h"
#include "cmn_log.h"
#include "cmn_main.h"
#include "sms_queue.h"
#include "sms_worker.h"

int main(int argc, char **argv) {
    cmn_config_t cfg;
    int rc = cmn_main_start(argc, argv, "sms-worker",
                            "Stores SMS from otp-svc (encrypted, deduplicated by message_id) and "
                            "delivers them to the configured provider with retries.",
                            sms_worker_config_check, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    char dir[PATH_MAX];
    if (cmn_main_data_dir(&cfg, "sms", dir, sizeof(dir)) != 0)
        return 1;
    cmn_db_t *db = cmn_db_new(dir, (size_t)cfg.storage_map_size_mib, sms_queue_dbs, SMS_QUEUE_NDBS);
    if (!db)
        return 1;
    sms_worker_t *worker = sms_worker_new(&cfg, db, dir);
    rc = worker ? sms_worker_run(worker) : -1;
    sms_worker_destroy(&worker);
    cmn_db_destroy(&db);
    CMN_INFO(NULL, "sms-worker stopped");
    return rc == 0 ? 0 : 1;
}
