/* gw_captcha: draws a captcha answer as an SVG image a person reads and a naive
 * OCR does not: each character stroked from a small font of our own, randomly
 * turned, scaled, moved and wobbled, with noise curves, lines and dots in the same
 * colours. The answer never appears in the SVG as text. Random every time.
 *
 * Nor can it be read off the markup (issue 19): a letter's strokes are cut into
 * pieces at random, each piece its own path with its own ink and width, decoy
 * pieces of the same form are added, and all of them are written in a shuffled
 * order, so neither path order nor path counts per letter spell the answer. */
#ifndef GW_CAPTCHA_H
#define GW_CAPTCHA_H

#define GW_CAPTCHA_WIDTH 160
#define GW_CAPTCHA_HEIGHT 50

/* The SVG document for answer (A-Z and 2-9; lower case is drawn upper case).
 * Caller owns the result (free). NULL when out of memory. */
char *gw_captcha_svg(const char *answer);

/* The same as a "data:image/svg+xml;base64,..." URL. Caller owns (free); NULL on
 * failure. */
char *gw_captcha_data_url(const char *answer);

#endif
