/* gw_lang: the user's language for the SMS a request sends (api.md extension): the
 * body's optional "lang" ("vi" or "en"; anything else is refused 400 invalid_request,
 * details [{field: "lang", code: "invalid"}]), else the first of vi and en that
 * Accept-Language prefers, else none ("": Vietnamese, the default). The page sends
 * both. Pure. */
#ifndef GW_LANG_H
#define GW_LANG_H

#include <stdbool.h>

#define GW_LANG_MAX 3 /* "vi", "en" or "", with the NUL */

/* Is lang one the API accepts in a body ("vi", "en")? */
bool gw_lang_valid(const char *lang);

/* The language an Accept-Language header (NULL: none) prefers among vi and en: the one
 * with the higher q (the earlier at equal q; q=0 is "not this one"), "" when it names
 * neither. A primary tag counts for its subtags ("en-US" is en). */
void gw_lang_accept(const char *header, char out[GW_LANG_MAX]);

#endif
