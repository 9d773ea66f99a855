/* gw_captcha: the stroke font and the distortions.
 *
 * Glyphs live on a 10 x 14 grid (x right, y down). A glyph is strokes separated by
 * spaces; a stroke is points, each two hex digits "xy" (x 0..a, y 0..e). Numbers in
 * the SVG are always written with one decimal and path commands with a space after
 * them, so no run of 4 or more answer characters can occur in the markup by chance. */
#include "gw_captcha.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char ch;
    const char *strokes;
} s_glyph_t;

static const s_glyph_t s_font[] = {
    {'A', "0e50ae 2989"},
    {'B', "000e 006092956707 67a9ac7e0e"},
    {'C', "a27030030b3e7eac"},
    {'D', "000e6eaaa46000"},
    {'E', "a0000eae 0777"},
    {'F', "a0000e 0777"},
    {'G', "a27030030b3e7eaba868"},
    {'H', "000e a0ae 07a7"},
    {'J', "40a0 a0ab7e3e0b"},
    {'K', "000e a008 35ae"},
    {'L', "000eae"},
    {'M', "0e0058a0ae"},
    {'N', "0e00aea0"},
    {'P', "0e0070a2a57707"},
    {'Q', "3070a3ab7e3e0b0330 79ae"},
    {'R', "0e0070a2a57707 57ae"},
    {'S', "a2703002053777a9ac7e3e0c"},
    {'T', "00a0 505e"},
    {'U', "000b3e7eaba0"},
    {'V', "005ea0"},
    {'W', "002e568ea0"},
    {'X', "00ae a00e"},
    {'Y', "0057a0 575e"},
    {'Z', "00a00eae"},
    {'2', "033070a3a60eae"},
    {'3', "023070a2a57747 77a9ac7e3e0c"},
    {'4', "8e800aaa"},
    {'5', "a0100665a8ab7e3e0c"},
    {'6', "916030040b3e7eaba8763608"},
    {'7', "00a04e"},
    {'8', "5715123070929557090c3e7eaca957"},
    {'9', "a6783806033070a3aa7e3e1d"},
    /* Outside the answer alphabet, drawn anyway so nothing is silently lost. */
    {'I', "00a0 505e 0eae"},
    {'O', "3070a3ab7e3e0b0330"},
    {'0', "3070a3ab7e3e0b0330 832b"},
    {'1', "2350 505e 2e8e"},
};

/* A uniform double in [lo, hi]. */
static double s_rand(double lo, double hi) {
    return lo + (hi - lo) * (double)randombytes_uniform(100001) / 100000.0;
}

static const char *s_glyph(char ch) {
    ch = (char)toupper((unsigned char)ch);
    for (size_t i = 0; i < sizeof(s_font) / sizeof(s_font[0]); i++)
        if (s_font[i].ch == ch)
            return s_font[i].strokes;
    return NULL;
}

static int s_hex(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

/* A dark colour for strokes and noise alike, so colour does not separate them. */
static void s_ink(char out[32]) {
    int r = (int)randombytes_uniform(110), g = (int)randombytes_uniform(110),
        b = (int)randombytes_uniform(130);
    snprintf(out, 32, "rgb(%d,%d,%d)", r, g, b);
}

#define S_PIECES_MAX 160   /* paths of letters and decoys in one image */
#define S_STROKE_POINTS 16 /* points of the longest stroke in the font */

/* The paths of one image, drawn in a shuffled order at the end. */
typedef struct {
    char *text[S_PIECES_MAX];
    int n;
} s_pieces_t;

typedef struct {
    double cx, cy; /* centre of the glyph in pixels */
    double scale;  /* pixels per grid unit */
    double cosr, sinr, shear;
    double wave_amp, wave_freq, wave_phase; /* shared by the whole image */
} s_xform_t;

static void s_apply(const s_xform_t *t, double gx, double gy, double *x, double *y) {
    gx += s_rand(-0.45, 0.45); /* every point wobbles on its own */
    gy += s_rand(-0.45, 0.45);
    double ux = (gx - 5.0) * t->scale, uy = (gy - 7.0) * t->scale;
    ux += t->shear * uy;
    double rx = ux * t->cosr - uy * t->sinr, ry = ux * t->sinr + uy * t->cosr;
    *x = t->cx + rx;
    *y = t->cy + ry + t->wave_amp * sin(*x * t->wave_freq + t->wave_phase);
}

/* One piece of ink: a polyline of pts (pixels). Glyph pieces and decoys both come
 * through here, so no attribute, command or number format tells them apart. */
static void s_piece(s_pieces_t *out, const double *pts, int npts) {
    if (npts < 2 || out->n == S_PIECES_MAX)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    char ink[32];
    s_ink(ink);
    fprintf(f,
            "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
            "stroke-linecap=\"round\" stroke-linejoin=\"round\" d=\"",
            ink, s_rand(2.0, 2.8));
    for (int i = 0; i < npts; i++)
        fprintf(f, "%s %.1f %.1f ", i ? "L" : "M", pts[2 * i], pts[2 * i + 1]);
    fputs("\"/>", f);
    if (fclose(f) != 0) {
        free(buf);
        return;
    }
    out->text[out->n++] = buf;
}

/* A stroke of npts points, cut into pieces that share their end points (so it still
 * reads as one line): at each inner point with even odds, and a lone segment in its
 * middle half the time. How many pieces a glyph has says nothing of which it is. */
static void s_split(s_pieces_t *out, double *pts, int npts) {
    double mid[6];
    if (npts == 2 && randombytes_uniform(2)) {
        double t = s_rand(0.35, 0.65);
        mid[0] = pts[0], mid[1] = pts[1];
        mid[2] = pts[0] + t * (pts[2] - pts[0]), mid[3] = pts[1] + t * (pts[3] - pts[1]);
        mid[4] = pts[2], mid[5] = pts[3];
        pts = mid;
        npts = 3;
    }
    int from = 0;
    for (int i = 1; i < npts - 1; i++) {
        if (randombytes_uniform(2)) {
            s_piece(out, pts + 2 * from, i - from + 1);
            from = i;
        }
    }
    s_piece(out, pts + 2 * from, npts - from);
}

static void s_draw_glyph(s_pieces_t *out, const char *strokes, const s_xform_t *t) {
    const char *p = strokes;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        double pts[2 * S_STROKE_POINTS];
        int n = 0;
        while (p[0] && p[0] != ' ' && p[1]) {
            if (n < S_STROKE_POINTS) {
                s_apply(t, s_hex(p[0]), s_hex(p[1]), &pts[2 * n], &pts[2 * n + 1]);
                n++;
            }
            p += 2;
        }
        s_split(out, pts, n);
    }
}

/* Decoys: short strokes of the same ink, width and form as the pieces of letters,
 * turned and placed like a letter would be, so counting or sorting paths does not
 * find the letters. Few and short, so a person still reads the text through them. */
static void s_draw_decoys(s_pieces_t *out, const s_xform_t *shape) {
    const double w = GW_CAPTCHA_WIDTH, h = GW_CAPTCHA_HEIGHT;
    int n = 3 + (int)randombytes_uniform(3);
    for (int i = 0; i < n; i++) {
        s_xform_t t = *shape;
        double angle = s_rand(-0.3, 0.3);
        t.cx = s_rand(12, w - 12);
        t.cy = h / 2.0 + s_rand(-6, 6);
        t.scale = s_rand(1.65, 2.15);
        t.cosr = cos(angle);
        t.sinr = sin(angle);
        t.shear = s_rand(-0.25, 0.25);
        int npts = 2 + (int)randombytes_uniform(2);
        double pts[6];
        double gx = s_rand(0, 10), gy = s_rand(0, 14);
        for (int k = 0; k < npts; k++) {
            s_apply(&t, gx, gy, &pts[2 * k], &pts[2 * k + 1]);
            gx += s_rand(-3.5, 3.5);
            gy += s_rand(-4.5, 4.5);
        }
        s_piece(out, pts, npts);
    }
}

/* Noise: curves that cross the text, short strokes like parts of letters, dots. */
static void s_draw_noise(FILE *f) {
    const double w = GW_CAPTCHA_WIDTH, h = GW_CAPTCHA_HEIGHT;
    char ink[32];
    int ncurves = 2 + (int)randombytes_uniform(2);
    for (int i = 0; i < ncurves; i++) {
        s_ink(ink);
        fprintf(f,
                "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" d=\"M %.1f %.1f C %.1f "
                "%.1f %.1f %.1f %.1f %.1f\"/>",
                ink, s_rand(1.0, 2.0), s_rand(0, 10), s_rand(5, h - 5), s_rand(30, 70),
                s_rand(-20, h + 20), s_rand(90, 130), s_rand(-20, h + 20), s_rand(w - 10, w),
                s_rand(5, h - 5));
    }
    int nshort = 4 + (int)randombytes_uniform(4);
    for (int i = 0; i < nshort; i++) {
        s_ink(ink);
        double x = s_rand(5, w - 5), y = s_rand(5, h - 5);
        fprintf(f,
                "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linecap=\"round\" "
                "d=\"M %.1f %.1f Q %.1f %.1f %.1f %.1f\"/>",
                ink, s_rand(1.0, 1.8), x, y, x + s_rand(-10, 10), y + s_rand(-10, 10),
                x + s_rand(-14, 14), y + s_rand(-8, 8));
    }
    int ndots = 40 + (int)randombytes_uniform(30);
    for (int i = 0; i < ndots; i++) {
        s_ink(ink);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>", s_rand(0, w),
                s_rand(0, h), s_rand(0.5, 1.4), ink);
    }
}

char *gw_captcha_svg(const char *answer) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const double w = GW_CAPTCHA_WIDTH, h = GW_CAPTCHA_HEIGHT;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\"><rect width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>",
            GW_CAPTCHA_WIDTH, GW_CAPTCHA_HEIGHT, GW_CAPTCHA_WIDTH, GW_CAPTCHA_HEIGHT,
            GW_CAPTCHA_WIDTH, GW_CAPTCHA_HEIGHT, 235 + (int)randombytes_uniform(21),
            235 + (int)randombytes_uniform(21), 225 + (int)randombytes_uniform(31));
    size_t n = strlen(answer);
    s_pieces_t pieces = {.n = 0};
    s_xform_t t = {.wave_amp = s_rand(1.5, 3.0),
                   .wave_freq = s_rand(0.04, 0.09),
                   .wave_phase = s_rand(0, 6.28)};
    double slot = n ? (w - 16.0) / (double)n : 0;
    if (slot > 30)
        slot = 30;
    double left = (w - slot * (double)n) / 2.0;
    for (size_t i = 0; i < n; i++) {
        const char *strokes = s_glyph(answer[i]);
        if (!strokes)
            continue;
        double angle = s_rand(-0.3, 0.3); /* about +-17 degrees */
        t.cx = left + slot * ((double)i + 0.5) + s_rand(-2.0, 2.0);
        t.cy = h / 2.0 + s_rand(-3.5, 3.5);
        t.scale = s_rand(1.65, 2.15);
        t.cosr = cos(angle);
        t.sinr = sin(angle);
        t.shear = s_rand(-0.25, 0.25);
        s_draw_glyph(&pieces, strokes, &t);
    }
    s_draw_decoys(&pieces, &t);
    /* Fisher-Yates: the order of the paths is not the order of the letters. */
    for (int i = pieces.n - 1; i > 0; i--) {
        int j = (int)randombytes_uniform((uint32_t)i + 1);
        char *tmp = pieces.text[i];
        pieces.text[i] = pieces.text[j];
        pieces.text[j] = tmp;
    }
    for (int i = 0; i < pieces.n; i++) {
        fputs(pieces.text[i], f);
        free(pieces.text[i]);
    }
    s_draw_noise(f);
    fputs("</svg>", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *gw_captcha_data_url(const char *answer) {
    static const char prefix[] = "data:image/svg+xml;base64,";
    char *svg = gw_captcha_svg(answer);
    if (!svg)
        return NULL;
    size_t len = strlen(svg);
    size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *url = malloc(sizeof(prefix) - 1 + b64);
    if (url) {
        memcpy(url, prefix, sizeof(prefix) - 1);
        sodium_bin2base64(url + sizeof(prefix) - 1, b64, (const unsigned char *)svg, len,
                          sodium_base64_VARIANT_ORIGINAL);
    }
    free(svg);
    return url;
}
