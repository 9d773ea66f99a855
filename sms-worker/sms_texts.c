/* sms_texts: the operator's texts per purpose and language (see sms_texts.h),
 * checked row by row at load. The file is read line by line here rather than
 * with inih: Debian's inih stops at 200-byte lines, and one SMS in Vietnamese
 * with diacritics is often longer than that. */
#include "sms_texts.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dvcid.pb-c.h"
#include "sms_gsm.h"
#include "sms_text.h"

#define S_PURPOSES 8 /* Dvcid__Purpose values 1..7 */
#define S_CODE_MAX 9
#define S_MINUTES_MAX 99999

struct sms_texts {
    char *text[S_PURPOSES][2]; /* [purpose][0 vi, 1 en]; NULL: built-in */
};

typedef struct {
    sms_texts_t *self;
    const char *why;
    char key[64];
} s_load_t;

/* Writes text with {code} and {minutes} replaced into out. Returns the length or -1. */
static int s_fill(const char *text, const char *code, long minutes, char *out, size_t outlen) {
    char mins[16];
    snprintf(mins, sizeof(mins), "%ld", minutes);
    size_t pos = 0;
    for (const char *p = text; *p;) {
        const char *val = NULL;
        size_t skip = 1;
        if (strncmp(p, "{code}", 6) == 0) {
            val = code;
            skip = 6;
        } else if (strncmp(p, "{minutes}", 9) == 0) {
            val = mins;
            skip = 9;
        }
        size_t n = val ? strlen(val) : 1;
        if (pos + n >= outlen)
            return -1;
        memcpy(out + pos, val ? val : p, n);
        pos += n;
        p += skip;
    }
    out[pos] = '\0';
    return (int)pos;
}

/* Runs of 6 or more digits in s; *longest gets the longest run's length. */
static int s_runs(const char *s, int *longest) {
    int runs = 0, len = 0;
    *longest = 0;
    for (const char *p = s;; p++) {
        if (*p >= '0' && *p <= '9') {
            len++;
            continue;
        }
        if (len >= 6)
            runs++;
        if (len > *longest)
            *longest = len;
        len = 0;
        if (!*p)
            return runs;
    }
}

int sms_texts_check(int purpose, const char *text, const char **why) {
    bool notice = purpose == DVCID__PURPOSE__PURPOSE_NOTICE;
    if (!sms_text_purpose_name(purpose)) {
        *why = "unknown purpose";
        return -1;
    }
    if (sms_gsm_coding(text) < 0) {
        *why = "not valid UTF-8";
        return -1;
    }
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        if (strncmp(p, "{code}", 6) != 0 && strncmp(p, "{minutes}", 9) != 0 && p[1] >= 'a' &&
            p[1] <= 'z') {
            *why = "unknown placeholder (known: {code}, {minutes})";
            return -1;
        }
    }
    const char *c = strstr(text, "{code}");
    int codes = c ? 1 + (strstr(c + 6, "{code}") != NULL) : 0;
    if (notice ? codes != 0 : codes != 1) {
        *why = notice ? "a notice carries no {code}" : "an OTP text needs {code} exactly once";
        return -1;
    }
    char out[SMS_TEXTS_MAX];
    if (s_fill(text, "123456789", S_MINUTES_MAX, out, sizeof(out)) < 0) {
        *why = "too long once rendered";
        return -1;
    }
    int longest = 0, runs = s_runs(out, &longest);
    if (notice ? runs != 0 : runs != 1 || longest != S_CODE_MAX) {
        *why = "a run of 6 or more digits besides the code (api.md section 4)";
        return -1;
    }
    *why = NULL;
    return 0;
}

static int s_purpose(const char *name) {
    for (int p = 1; p < S_PURPOSES; p++) {
        const char *n = sms_text_purpose_name(p);
        if (n && strcmp(n, name) == 0)
            return p;
    }
    return 0;
}

static int s_handler(void *user, const char *section, const char *name, const char *value) {
    s_load_t *ld = user;
    if (ld->why)
        return 0;
    int purpose = s_purpose(section);
    int lang = strcmp(name, "vi") == 0 ? 0 : strcmp(name, "en") == 0 ? 1 : -1;
    snprintf(ld->key, sizeof(ld->key), "[%s] %s", section, name);
    if (!purpose) {
        ld->why = "unknown purpose (register, login, phone_change, password_reset, add_phone, "
                  "notice, unlock)";
        return 0;
    }
    if (lang < 0) {
        ld->why = "unknown language (vi, en)";
        return 0;
    }
    if (sms_texts_check(purpose, value, &ld->why) != 0)
        return 0;
    char *copy = strdup(value);
    if (!copy) {
        ld->why = "out of memory";
        return 0;
    }
    free(ld->self->text[purpose][lang]);
    ld->self->text[purpose][lang] = copy;
    return 1;
}

/* Trims spaces at both ends of s in place; returns the start. */
static char *s_trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Parses the INI text of f: "[section]", "key = value", ";" or "#" comments.
 * Returns 0, or the number of the first bad line. */
static int s_parse(FILE *f, s_load_t *ld) {
    char *line = NULL, section[64] = "";
    size_t cap = 0;
    int no = 0, bad = 0;
    while (!bad && getline(&line, &cap, f) >= 0) {
        no++;
        char *p = s_trim(line);
        if (!*p || *p == ';' || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (*p == '[' && p[strlen(p) - 1] == ']') {
            p[strlen(p) - 1] = '\0';
            snprintf(section, sizeof(section), "%s", s_trim(p + 1));
        } else if (!eq || !section[0]) {
            bad = no;
        } else {
            *eq = '\0';
            if (!s_handler(ld, section, s_trim(p), s_trim(eq + 1)))
                bad = no;
        }
    }
    free(line);
    return bad;
}

sms_texts_t *sms_texts_new(const char *path, char *err, size_t errlen) {
    sms_texts_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!path || !path[0])
        return self;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        sms_texts_destroy(&self);
        return NULL;
    }
    s_load_t ld = {.self = self};
    int rc = s_parse(f, &ld);
    fclose(f);
    if (rc != 0 && ld.why)
        snprintf(err, errlen, "%s:%d: %s: %s", path, rc, ld.key, ld.why);
    else if (rc != 0)
        snprintf(err, errlen, "%s:%d: not valid INI (expected [purpose] or lang = text)", path, rc);
    if (rc != 0)
        sms_texts_destroy(&self);
    return self;
}

void sms_texts_destroy(sms_texts_t **self_p) {
    if (!self_p || !*self_p)
        return;
    for (int p = 0; p < S_PURPOSES; p++)
        for (int l = 0; l < 2; l++)
            free((*self_p)->text[p][l]);
    free(*self_p);
    *self_p = NULL;
}

int sms_texts_render(const sms_texts_t *self, int purpose, const char *code, const char *lang,
                     int ttl_s, char *out, size_t outlen) {
    int en = lang && strcmp(lang, "en") == 0;
    const char *text = self && purpose > 0 && purpose < S_PURPOSES ? self->text[purpose][en] : NULL;
    if (!text)
        return sms_text_render(purpose, code, lang, ttl_s, out, outlen);
    bool notice = purpose == DVCID__PURPOSE__PURPOSE_NOTICE;
    size_t clen = code ? strlen(code) : 0;
    if (notice ? clen != 0 : clen == 0 || clen > S_CODE_MAX || strspn(code, "0123456789") != clen)
        return -1;
    long minutes = ttl_s > 0 ? ((long)ttl_s + 59) / 60 : 1;
    if (minutes > S_MINUTES_MAX)
        minutes = S_MINUTES_MAX;
    int n = s_fill(text, code ? code : "", minutes, out, outlen);
    if (n < 0 && outlen > 0)
        out[0] = '\0';
    return n;
}
