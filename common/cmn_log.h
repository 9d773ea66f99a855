/* cmn_log: one line per event to stderr, for journald or `make run`:
 *   2026-11-25T19:00:00.123Z INFO account-svc [trace] message
 * UTC time, level, service, the request's trace id; or, with [log] format = json, one
 * JSON object per line with the same fields, for log shippers:
 *   {"ts":"2026-11-25T19:00:00.123Z","level":"info","service":"account-svc",
 *    "trace":"…","msg":"message"}        ("trace" left out when there is none)
 * Under journald (stderr is the
 * stream JOURNAL_STREAM names) each line starts with its syslog priority, <3> for
 * ERROR to <7> for DEBUG, so the journal keeps it. Control characters in the
 * message are escaped, so no input can forge a line. Callers never pass a password,
 * OTP or token; ID numbers and phones go through cmn_mask_* first. */
#ifndef CMN_LOG_H
#define CMN_LOG_H

#include <stddef.h>

#include "cmn_mask.h" /* what a log line may say of an ID number or a phone */

typedef enum {
    CMN_LEVEL_DEBUG = 0,
    CMN_LEVEL_INFO,
    CMN_LEVEL_WARN,
    CMN_LEVEL_ERROR
} cmn_log_level_t;

/* Sets the service name and the lowest level printed ("debug".."error"), and looks
 * whether stderr is journald's (priority prefixes). Returns 0 or -1. */
int cmn_log_init(const char *service, const char *level);

/* Sets the line format: "text" (the default) or "json". Returns 0, or -1 for anything
 * else (the format is then unchanged). */
int cmn_log_format(const char *format);

void cmn_log(cmn_log_level_t level, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The lowest level printed (set by cmn_log_init); read by CMN_DEBUG. */
extern cmn_log_level_t cmn_log_min;

/* Not LOG_INFO etc.: <syslog.h> (pulled in by czmq) owns those names. Debug lines sit
 * on hot paths: when they are not printed, their arguments are not even evaluated. */
#define CMN_DEBUG(trace, ...)                                                                      \
    do {                                                                                           \
        if (cmn_log_min <= CMN_LEVEL_DEBUG)                                                        \
            cmn_log(CMN_LEVEL_DEBUG, (trace), __VA_ARGS__);                                        \
    } while (0)
#define CMN_INFO(trace, ...) cmn_log(CMN_LEVEL_INFO, (trace), __VA_ARGS__)
#define CMN_WARN(trace, ...) cmn_log(CMN_LEVEL_WARN, (trace), __VA_ARGS__)
#define CMN_ERROR(trace, ...) cmn_log(CMN_LEVEL_ERROR, (trace), __VA_ARGS__)

/* Writes the escaped form of s (control characters and backslash as \xNN) into out. */
void cmn_log_escape(const char *s, char *out, size_t outlen);

#endif
