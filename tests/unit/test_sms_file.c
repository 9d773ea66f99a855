/* Unit test of the `file` SMS provider: the sink format of api.md section 4 (one
 * JSON object per line, exactly its fields, escaped), the file's mode, parent
 * directories created, a sink deleted between batches created again, and the
 * refusals (unencodable text, an unusable path, providers not built). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void s_check_line(const char *line, const sms_msg_t *want) {
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

    /* Created at start, with its parents, mode 0600. */
    sms_provider_t *p = sms_file_new(path);
    CHECK(p != NULL, "sms_file_new");
    if (!p)
        return TEST_DONE();
    CHECK_STR(p->name, "file");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);

    sms_msg_t msgs[] = {
        {"m-1", "+84912345678", "register", "DVCQG: Ma OTP la 123456.", AT_MS},
        {"m-2\"x", "+84387654321", "notice", "quote \" backslash \\ newline \n tab \t end", AT_MS},
        {"m-3", "+84912345678", "login", "Mã OTP của bạn: 654321", AT_MS},
    };
    for (int i = 0; i < 3; i++)
        CHECK(p->send(p, &msgs[i]) == 0, "send %d", i);
    /* Text that is not UTF-8 cannot be a JSON string: refused, nothing written. */
    sms_msg_t bad = {"m-4", "+84912345678", "login", "bad \xff\xfe", AT_MS};
    CHECK(p->send(p, &bad) == -1, "invalid UTF-8 accepted");
    CHECK(p->flush(p) == 0, "flush");

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
    CHECK(p->send(p, &msgs[0]) == 0 && p->flush(p) == 0, "second batch");
    n = s_lines(path, lines, 8);
    CHECK(n == 4, "%d lines after a second batch", n);
    s_free_lines(lines, n);
    CHECK(unlink(path) == 0, "unlink");
    CHECK(p->send(p, &msgs[2]) == 0 && p->flush(p) == 0, "batch after unlink");
    n = s_lines(path, lines, 8);
    CHECK(n == 1, "%d lines after the sink was removed", n);
    if (n == 1)
        s_check_line(lines[0], &msgs[2]);
    s_free_lines(lines, n);
    CHECK(p->flush(p) == 0, "an empty flush");
    sms_provider_destroy(&p);
    CHECK(p == NULL, "destroy nulls");
    sms_provider_destroy(&p);

    /* A path whose parent is a file, and an empty path, stop start-up. */
    char bad_path[600];
    snprintf(bad_path, sizeof(bad_path), "%s/x", path);
    CHECK(sms_file_new(bad_path) == NULL, "a file as parent accepted");
    CHECK(sms_file_new("") == NULL, "empty path accepted");

    CHECK(tap_rm_rf(dir) == 0, "cleanup");
    return TEST_DONE();
}
