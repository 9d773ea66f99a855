/* cmn_log: one escaped line per event on stderr, written with a single write()
 * so lines from several threads never interleave. */
#include "cmn_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char s_service[32] = "dvcid";
cmn_log_level_t cmn_log_min = CMN_LEVEL_INFO;
static const char *const s_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
/* syslog priorities of the levels (debug 7, info 6, warning 4, err 3) for journald */
static const char *const s_prio[] = {"<7>", "<6>", "<4>", "<3>"};
static int s_journal; /* stderr is journald's stream: lines start with <N> */
static int s_json;    /* [log] format = json */
static const char *const s_json_names[] = {"debug", "info", "warn", "error"};

/* Is stderr the stream systemd gave to journald? It says so in JOURNAL_STREAM
 * ("DEV:INODE" of that stream), which a child whose stderr went elsewhere inherits:
 * hence the check of the descriptor itself. */
static int s_stderr_is_journal(void) {
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    if (!js || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    char *end = NULL;
    unsigned long long dev = strtoull(js, &end, 10);
    if (end == js || *end != ':')
        return 0;
    const char *rest = end + 1;
    unsigned long long ino = strtoull(rest, &end, 10);
    if (end == rest || *end != '\0')
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int cmn_log_init(const char *service, const char *level) {
    snprintf(s_service, sizeof(s_service), "%s", service);
    s_journal = s_stderr_is_journal();
    const char *levels[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (level && strcmp(level, levels[i]) == 0) {
            cmn_log_min = (cmn_log_level_t)i;
            return 0;
        }
    }
    return level ? -1 : 0;
}

int cmn_log_format(const char *format) {
    if (format && strcmp(format, "json") == 0)
        s_json = 1;
    else if (format && strcmp(format, "text") == 0)
        s_json = 0;
    else
        return -1;
    return 0;
}

/* Bytes of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
static size_t s_utf8_len(const unsigned char *s) {
    size_t n = 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) /* 0xc0, 0xc1: overlong */
        n = 2;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) /* past 0xf4: beyond U+10FFFF */
        n = 4;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* s as the inside of a JSON string: quote, backslash and control characters escaped,
 * a byte that is not UTF-8 replaced by U+FFFD, so every line parses whatever the
 * message held. */
static void s_json_escape(const char *s, char *out, size_t outlen) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (outlen == 0)
        return;
    while (s && *s && o + 7 < outlen) {
        const unsigned char *c = (const unsigned char *)s;
        size_t n = s_utf8_len(c);
        if (*c == '"' || *c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*c;
        } else if (*c < 0x20 || *c == 0x7f) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[*c >> 4];
            out[o + 5] = hex[*c & 15];
            o += 6;
        } else if (n == 0) {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            n = 1;
        } else {
            memcpy(out + o, s, n);
            o += n;
        }
        s += n;
    }
    out[o] = '\0';
}

/* The JSON form of one line into line; returns its length. */
static int s_json_line(char *line, size_t len, cmn_log_level_t level, const char *ts, long ms,
                       const char *trace, const char *msg) {
    char esc[4096], tr[400];
    s_json_escape(msg, esc, sizeof(esc));
    s_json_escape(trace, tr, sizeof(tr));
    return snprintf(
        line, len,
        "%s{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"service\":\"%s\"%s%s%s,\"msg\":\"%s\"}\n",
        s_journal ? s_prio[level] : "", ts, ms, s_json_names[level], s_service,
        tr[0] ? ",\"trace\":\"" : "", tr, tr[0] ? "\"" : "", esc);
}

void cmn_log_escape(const char *s, char *out, size_t outlen) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (outlen == 0)
        return;
    for (; s && *s && o + 5 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f || c == '\\') {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

void cmn_log(cmn_log_level_t level, const char *trace, const char *fmt, ...) {
    if (level < cmn_log_min)
        return;
    char msg[1024], esc[2048], tr[80], line[4600], ts[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cmn_log_escape(msg, esc, sizeof(esc));
    /* The trace id comes from a peer's Request: escaped and cut like the message. */
    cmn_log_escape(trace && *trace ? trace : "-", tr, sizeof(tr));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    /* Under journald the line starts with its priority (SyslogLevelPrefix=, on by
     * default and set in the units): `journalctl -p err` then finds the errors. */
    int n = s_json ? s_json_line(line, sizeof(line), level, ts, now.tv_nsec / 1000000,
                                 trace && *trace ? trace : "", msg)
                   : snprintf(line, sizeof(line), "%s%s.%03ldZ %s %s [%s] %s\n",
                              s_journal ? s_prio[level] : "", ts, now.tv_nsec / 1000000,
                              s_names[level], s_service, tr, esc);
    if (n > (int)sizeof(line) - 1) { /* cannot happen with the sizes above; still one line */
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w; /* nowhere to report a failed log write */
}
