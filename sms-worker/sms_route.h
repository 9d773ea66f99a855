/* sms_route: which provider takes a message. Pure functions over plain structs,
 * with the time passed in, so the table-driven unit test drives every case.
 *
 * Routes (setting sms.routes): "PREFIX[,PREFIX...]=PROVIDER[*WEIGHT],...;..."
 * e.g. "+8486,+8496,+8497,+8498,+8432=smpp*3,http; *=http,smpp". The longest
 * prefix of the number wins; "*" matches every number. Within a route a message
 * goes to one of the providers that can take it now, drawn by weight (default 1);
 * a provider of weight 0 is a stand-by, taken only when no weighted one can.
 *
 * Each provider a route names has a gate (sms_gate): a route whose providers' gates
 * are all open is "broken": its messages wait. */
#ifndef SMS_ROUTE_H
#define SMS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sms_gate.h"

#define SMS_ROUTE_MAX 32  /* routes (prefixes) */
#define SMS_ROUTE_WAYS 4  /* providers in one route */
#define SMS_PREFIX_MAX 16 /* "+" and digits, or "*" */
#define SMS_WEIGHT_MAX 1000

typedef struct {
    char prefix[SMS_PREFIX_MAX + 1];
    int n;
    int prov[SMS_ROUTE_WAYS];   /* index into the provider names */
    int weight[SMS_ROUTE_WAYS]; /* 0 (stand-by) .. SMS_WEIGHT_MAX */
} sms_route_t;

/* Parses spec into routes (at most max). Provider names must be among names
 * (nnames of them); an empty spec gives one route "*" to names[0]. Returns the
 * number of routes, or -1 with a reason in err. */
int sms_route_parse(const char *spec, const char *const *names, int nnames, sms_route_t *routes,
                    int max, char *err, size_t errlen);

/* The route with the longest prefix of phone (E.164), or NULL. */
const sms_route_t *sms_route_match(const sms_route_t *routes, int n, const char *phone);

enum { SMS_PICK_BROKEN = -1, SMS_PICK_CAPPED = -2 };

/* Picks a provider of route for one message and takes its token: the index, or
 * SMS_PICK_CAPPED (some provider is up but out of tokens: wait a moment) or
 * SMS_PICK_BROKEN (every provider's breaker is open). rnd draws by weight. */
int sms_route_pick(const sms_route_t *route, sms_gate_t *gates, uint64_t now, uint32_t rnd);

#endif
