/* zframes: raw ZeroMQ messages for the hostile-input tests
 * (tests/integration/test_hostile_frames.py), which have no ZeroMQ binding in Python.
 * It speaks bytes, not dvcid: the test builds the frames (protoc-c --encode) and reads
 * the answers (protoc-c --decode).
 *
 *   dvcid-zframes send ENDPOINT
 *       A DEALER connected to ENDPOINT, as a gateway or dvcctl would be. Reads one
 *       message per line of stdin: "TIMEOUT_MS FRAME [FRAME...]"; sends it and waits up
 *       to TIMEOUT_MS for one message back; prints "reply HEX [HEX...]" (one HEX per
 *       frame) or "none". A FRAME is hex bytes, "-" for an empty frame, or "N*HH" for N
 *       bytes HH (an oversized frame without an oversized command line).
 *   dvcid-zframes serve ENDPOINT
 *       A ROUTER bound on ENDPOINT, as a service's would be: for each message received,
 *       prints "request HEX [HEX...]" (the frames after the peer's identity) and answers
 *       with the next line of stdin, "FRAME [FRAME...]" ("drop" answers nothing). Ends
 *       at the end of stdin.
 *
 * With ZFRAMES_CERT=NAME.cert (its NAME.cert_secret beside it) and ZFRAMES_SERVER=a
 * server's public cert in the environment, send speaks CURVE with that key pair (the
 * role tests of tests/integration/test_curve.py).
 *
 * Exit status 0, 1 on a socket error, 2 on bad usage or a bad line. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LINE_MAX (1 << 20)

static int s_hex(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One FRAME word as a frame, or NULL when the word is malformed. */
static zframe_t *s_frame(const char *word) {
    if (strcmp(word, "-") == 0)
        return zframe_new(NULL, 0);
    const char *star = strchr(word, '*');
    if (star) {
        char *end = NULL;
        unsigned long n = strtoul(word, &end, 10);
        if (end != star || strlen(star + 1) != 2 || s_hex(star[1]) < 0 || s_hex(star[2]) < 0 ||
            n > 64UL * 1024 * 1024)
            return NULL;
        zframe_t *f = zframe_new(NULL, n);
        if (f)
            memset(zframe_data(f), s_hex(star[1]) * 16 + s_hex(star[2]), n);
        return f;
    }
    size_t len = strlen(word);
    if (len % 2)
        return NULL;
    zframe_t *f = zframe_new(NULL, len / 2);
    if (!f)
        return NULL;
    byte *out = zframe_data(f);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = s_hex(word[2 * i]), lo = s_hex(word[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            zframe_destroy(&f);
            return NULL;
        }
        out[i] = (byte)(hi * 16 + lo);
    }
    return f;
}

/* Appends the frames of the words of line to msg. Returns 0, or -1 on a bad word. */
static int s_parse(char *line, zmsg_t *msg) {
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        zframe_t *f = s_frame(w);
        if (!f || zmsg_append(msg, &f) != 0) {
            zframe_destroy(&f);
            return -1;
        }
    }
    return 0;
}

static void s_print(const char *what, zmsg_t *msg) {
    fputs(what, stdout);
    for (zframe_t *f = zmsg_first(msg); f; f = zmsg_next(msg)) {
        putchar(' ');
        if (zframe_size(f) == 0)
            putchar('-');
        for (size_t i = 0; i < zframe_size(f); i++)
            printf("%02x", zframe_data(f)[i]);
    }
    putchar('\n');
    fflush(stdout);
}

static int s_send(const char *endpoint, char *line) {
    zsock_t *s = zsock_new(ZMQ_DEALER);
    const char *cert_path = getenv("ZFRAMES_CERT"), *server_path = getenv("ZFRAMES_SERVER");
    if (s && cert_path && server_path) {
        zcert_t *cert = zcert_load(cert_path), *server = zcert_load(server_path);
        if (!cert || !server) {
            fprintf(stderr, "zframes: cannot read %s or %s\n", cert_path, server_path);
            zcert_destroy(&cert);
            zcert_destroy(&server);
            zsock_destroy(&s);
            return 1;
        }
        zcert_apply(cert, zsock_resolve(s));
        zsock_set_curve_serverkey(s, zcert_public_txt(server));
        zcert_destroy(&cert);
        zcert_destroy(&server);
    }
    if (!s || zsock_connect(s, "%s", endpoint) < 0) {
        fprintf(stderr, "zframes: cannot connect to %s\n", endpoint);
        zsock_destroy(&s);
        return 1;
    }
    zsock_set_linger(s, 0);
    int rc = 0;
    while (rc == 0 && fgets(line, S_LINE_MAX, stdin)) {
        char *rest = NULL;
        long timeout = strtol(line, &rest, 10);
        zmsg_t *msg = zmsg_new();
        if (!msg || rest == line || timeout < 0 || s_parse(rest, msg) != 0 || zmsg_size(msg) == 0) {
            fprintf(stderr, "zframes: bad line: %.80s\n", line);
            zmsg_destroy(&msg);
            rc = 2;
            break;
        }
        if (zmsg_send(&msg, s) != 0) {
            fprintf(stderr, "zframes: cannot send to %s\n", endpoint);
            zmsg_destroy(&msg);
            rc = 1;
            break;
        }
        zsock_set_rcvtimeo(s, (int)timeout);
        zmsg_t *in = zmsg_recv(s);
        if (in)
            s_print("reply", in);
        else
            puts("none");
        fflush(stdout);
        zmsg_destroy(&in);
    }
    zsock_destroy(&s);
    return rc;
}

static int s_serve(const char *endpoint, char *line) {
    zsock_t *s = zsock_new(ZMQ_ROUTER);
    if (!s || zsock_bind(s, "%s", endpoint) < 0) {
        fprintf(stderr, "zframes: cannot bind %s\n", endpoint);
        zsock_destroy(&s);
        return 1;
    }
    zsock_set_linger(s, 0);
    int rc = 0;
    for (;;) {
        zmsg_t *in = zmsg_recv(s);
        if (!in) { /* interrupted */
            rc = 1;
            break;
        }
        zframe_t *identity = zmsg_pop(in);
        s_print("request", in);
        zmsg_destroy(&in);
        if (!fgets(line, S_LINE_MAX, stdin)) {
            zframe_destroy(&identity);
            break;
        }
        if (strncmp(line, "drop", 4) == 0) {
            zframe_destroy(&identity);
            continue;
        }
        zmsg_t *out = zmsg_new();
        if (!out || !identity || zmsg_append(out, &identity) != 0 || s_parse(line, out) != 0) {
            fprintf(stderr, "zframes: bad line: %.80s\n", line);
            zframe_destroy(&identity);
            zmsg_destroy(&out);
            rc = 2;
            break;
        }
        if (zmsg_send(&out, s) != 0)
            zmsg_destroy(&out);
    }
    zsock_destroy(&s);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "serve") != 0)) {
        fprintf(stderr, "usage: dvcid-zframes send|serve ENDPOINT < lines\n");
        return 2;
    }
    zsys_handler_set(NULL); /* SIGTERM ends the process, as the test expects */
    char *line = malloc(S_LINE_MAX);
    if (!line)
        return 1;
    int rc = strcmp(argv[1], "send") == 0 ? s_send(argv[2], line) : s_serve(argv[2], line);
    free(line);
    return rc;
}
