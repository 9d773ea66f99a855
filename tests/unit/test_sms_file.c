/* Unit test of the `file` SMS provider through the provider interface the worker uses
 * for every kind (submit, flush, one outcome per request on the results channel): the
 * sink format of api.md section 4 (one JSON object per line, exactly its fields,
 * escaped), the file's mode, parent directories created, a sink deleted between batches
 * created again, no "accepted" before the batch is synced, a sink that cannot be written
 * failing its batch (and the provider) until it can, and the refusals (unencodable
 * text, an unusable path). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_chan.h"
#include "cmn_config.h"
#include "sms_provider.h"
#include "tap.h"

#define AT_MS 1795633200123ull /* 2026-11-25T19:00:00.123Z */

/* Reads path's lines into lines[] (malloc'd, without '\n'). Returns the count, or
 * -1 when the file does not end with a newline (a torn last line). */
static int s_lines(const char *path, char **lines, int max) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, torn = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && n < max) {
        torn = line[len - 1] != '\n';
        line[len - 1] = line[len - 1] == '\n' ? '\0' : line[len - 1];
        lines[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (!torn)
        return n;
    while (n > 0)
        free(lines[--n]);
    return -1;
}

static void s_free_lines(char **lines, int n) {
    for (int i = 0; i < n; i++)
        free(lines[i]);
}

typedef struct {
    const char *message_id, *to, *purpose, *text;
} s_msg_t;

/* Submits want as the worker does (a request of provider 3, handed over at AT_MS). */
static int s_submit(sms_provider_t *p, const s_msg_t *want) {
    sms_req_t *req = calloc(1, sizeof(*req));
    if (!req)
        return -1;
    sms_copy(req->message_id, sizeof(req->message_id), want->message_id);
    sms_copy(req->to, sizeof(req->to), want->to);
    sms_copy(req->text, sizeof(req->text), want->text);
    req->purpose = want->purpose;
    req->prov = 3;
    req->submitted_ms = AT_MS;
    return sms_provider_submit(p, req);
}

/* Pops the outcomes waiting in ch: how many, each of kind for provider 3, their
 * message ids in ids (at most max) in the order posted. */
static int s_outcomes(cmn_chan_t *ch, sms_res_kind_t kind, char ids[][SMS_ID_MAX + 1], int max) {
    int n = 0;
    sms_res_t *res;
    while ((res = cmn_chan_pop(ch))) {
        CHECK(res->kind == kind && res->prov == 3, "outcome %d for %s (provider %d)",
              (int)res->kind, res->message_id, res->prov);
        if (n < max)
            sms_copy(ids[n], sizeof(ids[n]), res->message_id);
        n++;
        free(res);
    }
    return n;
}

static void s_check_line(const char *line, const s_msg_t *want) {
    json_error_t err;
    json_t *obj = json_loads(line, 0, &err);
    CHECK(obj && json_is_object(obj), "line is not a JSON object: %s (%s)", line, err.text);
    if (!obj)
        return;
    CHECK(json_object_size(obj) == 5, "%zu fields in %s", json_object_size(obj), line);
    CHECK_STR(json_string_value(json_object_get(obj, "at")), "2026-11-25T19:00:00Z");
    CHECK_STR(json_string_value(json_object_get(obj, "to")), want->to);
    CHECK_STR(json_string_value(json_object_get(obj, "purpose")), want->purpose);
    CHECK_STR(json_string_value(json_object_get(obj, "text")), want->text);
    CHECK_STR(json_string_value(json_object_get(obj, "message_id")), want->message_id);
    json_decref(obj);
}

int main(void) {
    char dir[] = "/tmp/test_sms_file_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[512];
    snprintf(path, sizeof(path), "%s/a/b/sms-outbox.jsonl", dir);
    cmn_chan_t *results = cmn_chan_new(0);
    CHECK(results != NULL, "results channel");

    /* Created at start, with its parents, mode 0600. */
    sms_provider_t *p = results ? sms_file_new(path, 3, results) : NULL;
    CHECK(p != NULL, "sms_file_new");
    if (!p)
        return TEST_DONE();
    CHECK_STR(p->name, "file");
    CHECK(sms_provider_in_batch(p) && sms_provider_room(p) == SIZE_MAX,
          "the sink answers in the batch and has no queue to fill");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);

    s_msg_t msgs[] = {
        {"m-1", "+84912345678", "register", "DVCQG: Ma OTP la 123456."},
        {"m-2\"x", "+84387654321", "notice", "quote \" backslash \\ newline \n tab \t end"},
        {"m-3", "+84912345678", "login", "Mã OTP của bạn: 654321"},
    };
    char ids[8][SMS_ID_MAX + 1];
    for (int i = 0; i < 3; i++)
        CHECK(s_submit(p, &msgs[i]) == 0, "submit %d", i);
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 0, "accepted before the flush");
    /* Text that is not UTF-8 cannot be a JSON string: refused at once, nothing written. */
    s_msg_t bad = {"m-4", "+84912345678", "login", "bad \xff\xfe"};
    CHECK(s_submit(p, &bad) == 0, "submit takes every request");
    CHECK(s_outcomes(results, SMS_RES_FAILED, ids, 8) == 1 && strcmp(ids[0], "m-4") == 0,
          "invalid UTF-8 accepted");
    CHECK(sms_provider_flush(p) == 1 && !p->failing, "flush");
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 3 && strcmp(ids[0], "m-1") == 0 &&
              strcmp(ids[1], "m-2\"x") == 0 && strcmp(ids[2], "m-3") == 0,
          "one accepted per line, in order");

    char *lines[8];
    int n = s_lines(path, lines, 8);
    CHECK(n == 3, "%d lines", n);
    for (int i = 0; i < n && i < 3; i++) {
        s_check_line(lines[i], &msgs[i]);
        CHECK(strchr(lines[i], '\n') == NULL && strchr(lines[i], '\t') == NULL,
              "control character unescaped in line %d", i);
    }
    s_free_lines(lines, n);

    /* Appends, never truncates; a sink removed between batches is created again. */
    CHECK(s_submit(p, &msgs[0]) == 0 && sms_provider_flush(p) == 1, "second batch");
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 1, "second batch accepted");
    n = s_lines(path, lines, 8);
    CHECK(n == 4, "%d lines after a second batch", n);
    s_free_lines(lines, n);
    CHECK(unlink(path) == 0, "unlink");
    CHECK(s_submit(p, &msgs[2]) == 0 && sms_provider_flush(p) == 1, "batch after unlink");
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 1, "batch after unlink accepted");
    n = s_lines(path, lines, 8);
    CHECK(n == 1, "%d lines after the sink was removed", n);
    if (n == 1)
        s_check_line(lines[0], &msgs[2]);
    s_free_lines(lines, n);

    /* A sink that cannot be written fails its whole batch, and the provider with it,
     * until a batch goes through again. */
    CHECK(unlink(path) == 0 && mkdir(path, 0700) == 0, "a directory where the sink was");
    CHECK(s_submit(p, &msgs[0]) == 0 && s_submit(p, &msgs[1]) == 0 && sms_provider_flush(p) == 1,
          "batch into a directory");
    CHECK(s_outcomes(results, SMS_RES_FAILED, ids, 8) == 2 && p->failing,
          "an unwritten batch failed");
    CHECK(rmdir(path) == 0 && s_submit(p, &msgs[0]) == 0 && sms_provider_flush(p) == 1 &&
              !p->failing,
          "the sink works again");
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 1, "accepted again");
    /* Every request of a batch refused: failing too (nothing went out). */
    CHECK(s_submit(p, &bad) == 0 && sms_provider_flush(p) == 1 && p->failing,
          "a batch of refusals");
    CHECK(s_outcomes(results, SMS_RES_FAILED, ids, 8) == 1, "refusal answered");
    CHECK(sms_provider_flush(p) == 1 && !p->failing, "an empty flush");
    /* Taken but not flushed: freed at destroy, never answered as accepted. */
    CHECK(s_submit(p, &msgs[1]) == 0, "submit before destroy");
    sms_provider_destroy(&p);
    CHECK(p == NULL, "destroy nulls");
    sms_provider_destroy(&p);
    CHECK(s_outcomes(results, SMS_RES_ACCEPTED, ids, 8) == 0, "accepted without a sync");

    /* A path whose parent is a file, and an empty path, stop start-up. */
    char bad_path[600];
    snprintf(bad_path, sizeof(bad_path), "%s/x", path);
    CHECK(sms_file_new(bad_path, 0, results) == NULL, "a file as parent accepted");
    CHECK(sms_file_new("", 0, results) == NULL, "empty path accepted");
    cmn_chan_destroy(&results, free);

    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
