/* cmn_log: masks of phones and ID numbers, escaping of control characters, debug
 * lines that cost nothing (not even their arguments) when not printed, JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmn_log.h"
#include "tap.h"

/* The lines cmn_log writes with stderr moved to a file (journal: JOURNAL_STREAM names
 * that file, as systemd names its stream). Returns what was written, static. */
static const char *s_capture(int journal) {
    static char buf[4096];
    char path[] = "/tmp/dvcid-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    buf[0] = '\0';
    if (fd < 0 || saved < 0 || dup2(fd, STDERR_FILENO) < 0)
        return buf;
    struct stat st;
    char js[64];
    fstat(fd, &st);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    if (journal)
        setenv("JOURNAL_STREAM", js, 1);
    else
        setenv("JOURNAL_STREAM", "1:2", 1); /* another stream: inherited, not ours */
    cmn_log_init("test", "debug");
    CMN_ERROR("t1", "bad %d", 1);
    CMN_WARN(NULL, "careful");
    CMN_INFO(NULL, "fine");
    CMN_DEBUG(NULL, "detail");
    CMN_INFO("t\"2", "q\" b\\ nl\n vi=Nguy\xe1\xbb\x85n bad=\xff end");
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    unsetenv("JOURNAL_STREAM");
    cmn_log_init("test", "info");
    return buf;
}

static int s_evaluated;

static const char *s_arg(void) {
    s_evaluated++;
    return "x";
}

int main(void) {
    char out[64];
    static const struct {
        const char *in, *want;
    } phones[] = {{"+84912345678", "091****678"}, {"+84362345671", "036****671"},
                  {"0912345678", "***"},          {"", "***"},
                  {"+8491234567", "***"},         {"+14155552671", "***"}};
    for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
        cmn_mask_phone(phones[i].in, out, sizeof(out));
        CHECK_STR(out, phones[i].want);
    }
    static const struct {
        const char *in, *want;
    } ids[] = {{"001099012345", "001******345"}, {"123456789", "123***789"}, {"12", "***"}};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        cmn_mask_id(ids[i].in, out, sizeof(out));
        CHECK_STR(out, ids[i].want);
    }
    cmn_log_escape("a\nINFO forged\r\\x", out, sizeof(out));
    CHECK_STR(out, "a\\x0aINFO forged\\x0d\\x5cx");
    cmn_log_escape("Nguyễn", out, sizeof(out));
    CHECK_STR(out, "Nguyễn");
    CHECK(cmn_log_init("test", "info") == 0, "info");
    CMN_DEBUG(NULL, "not printed: %s", s_arg());
    CHECK(s_evaluated == 0, "a skipped debug line evaluated its arguments");
    CHECK(cmn_log_init("test", "debug") == 0, "debug");
    CMN_DEBUG(NULL, "printed: %s", s_arg());
    CHECK(s_evaluated == 1, "a debug line at debug level: %d", s_evaluated);
    /* Under journald each line opens with its syslog priority; elsewhere it does not. */
    const char *j = s_capture(1);
    CHECK(strncmp(j, "<3>", 3) == 0 && strstr(j, "Z ERROR test [t1] bad 1\n") &&
              strstr(j, "\n<4>") && strstr(j, "Z WARN test [-] careful\n<6>") &&
              strstr(j, "Z INFO test [-] fine\n<7>") && strstr(j, "Z DEBUG test [-] detail\n"),
          "journal lines: %s", j);
    const char *plain = s_capture(0);
    CHECK(plain[0] == '2' && !strchr(plain, '<') && strstr(plain, "Z ERROR test [t1] bad 1\n"),
          "plain lines: %s", plain);
    /* JSON lines: one object each, every field escaped as JSON wants (the integration
     * test parses them), a byte that is not UTF-8 replaced, no trace when there is none. */
    CHECK(cmn_log_format("yaml") == -1, "an unknown format is refused");
    CHECK(cmn_log_format("json") == 0, "json");
    const char *js = s_capture(0);
    CHECK(js[0] == '{' &&
              strstr(js, "Z\",\"level\":\"error\",\"service\":\"test\",\"trace\":\"t1\","
                         "\"msg\":\"bad 1\"}\n{\"ts\":\"") &&
              strstr(js, "\"level\":\"warn\",\"service\":\"test\",\"msg\":\"careful\"}\n") &&
              strstr(js, "\"trace\":\"t\\\"2\",\"msg\":\"q\\\" b\\\\ nl\\u000a "
                         "vi=Nguy\xe1\xbb\x85n bad=\\ufffd end\"}\n"),
          "json lines: %s", js);
    const char *jj = s_capture(1);
    CHECK(strncmp(jj, "<3>{\"ts\":", 9) == 0, "json under journald keeps the priority: %s", jj);
    CHECK(cmn_log_format("text") == 0, "back to text");
    return TEST_DONE();
}
