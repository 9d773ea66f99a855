/* sms_status: per-message delivery status and receipt matching (see sms_status.h).
 * The record is a small JSON object (jansson), so fields can be added without a
 * migration: {"p": provider, "r": ref, "s": sent_ms, "a": await deadline,
 * "d": receipt state, "t": receipt_ms, "x": number prefix, "m": masked phone,
 * "v": verified_ms, "vc": the verification is counted}. */
#include "sms_status.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmn_log.h"

#define S_UNCONFIRMED 100 /* "d" of a message whose receipt never came */
#define S_AWAIT_KEY (8 + SMS_ID_MAX)
#define S_REF_KEY (16 + SMS_REF_MAX)

struct sms_status {
    MDB_dbi status, byref, await;
};

sms_status_t *sms_status_new(cmn_db_t *db) {
    sms_status_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->status = cmn_db_dbi(db, 3);
    self->byref = cmn_db_dbi(db, 4);
    self->await = cmn_db_dbi(db, 5);
    return self;
}

void sms_status_destroy(sms_status_t **self_p) {
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static size_t s_await_key(uint8_t *out, uint64_t ms, const char *id) {
    for (int i = 7; i >= 0; i--, ms >>= 8)
        out[i] = (uint8_t)ms;
    size_t n = strlen(id);
    memcpy(out + 8, id, n);
    return 8 + n;
}

static size_t s_ref_key(char *out, const char *provider, const char *ref) {
    size_t a = strlen(provider), b = strlen(ref);
    if (a > 15)
        a = 15;
    if (b >= SMS_REF_MAX)
        b = SMS_REF_MAX - 1;
    memcpy(out, provider, a);
    out[a] = '\0';
    memcpy(out + a + 1, ref, b);
    return a + 1 + b;
}

/* The record of id, or a new empty object when there is none; NULL on error. */
static json_t *s_load(sms_status_t *self, MDB_txn *txn, const char *id, int *found) {
    MDB_val v;
    int rc = cmn_db_get(txn, self->status, id, strlen(id), &v);
    *found = rc == CMN_DB_OK;
    if (rc == CMN_DB_NOTFOUND)
        return json_object();
    if (rc != CMN_DB_OK)
        return NULL;
    json_t *obj = json_loadb(v.mv_data, v.mv_size, 0, NULL);
    if (!json_is_object(obj)) {
        CMN_ERROR(NULL, "sms status: record of %s is not JSON; starting it again", id);
        json_decref(obj);
        obj = json_object();
    }
    return obj;
}

static int s_store(sms_status_t *self, MDB_txn *txn, const char *id, json_t *obj) {
    char *text = json_dumps(obj, JSON_COMPACT);
    if (!text)
        return -1;
    int rc = cmn_db_put(txn, self->status, id, strlen(id), text, strlen(text), 0);
    free(text);
    return rc == CMN_DB_OK ? 0 : -1;
}

static uint64_t s_u64(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static const char *s_str(json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int s_final(int d) {
    return d == SMS_DLR_DELIVERED || d == SMS_DLR_FAILED || d == SMS_DLR_EXPIRED ||
           d == S_UNCONFIRMED;
}

/* The byref entry (a receipt names the provider's ref) and the await entry (a receipt is
 * due by await_ms) of a message just sent; *with_ref and *with_await say which were
 * written. 0 or -1. */
static int s_index_sent(sms_status_t *self, MDB_txn *txn, const char *message_id,
                        const char *provider, const char *ref, uint64_t await_ms, bool final,
                        bool *with_ref, bool *with_await) {
    *with_ref = ref && ref[0];
    *with_await = await_ms && !final;
    if (*with_ref) {
        char key[S_REF_KEY];
        size_t klen = s_ref_key(key, provider, ref);
        if (cmn_db_put(txn, self->byref, key, klen, message_id, strlen(message_id), 0) != CMN_DB_OK)
            return -1;
    }
    if (*with_await) {
        uint8_t key[S_AWAIT_KEY];
        size_t klen = s_await_key(key, await_ms, message_id);
        if (cmn_db_put(txn, self->await, key, klen, "", 0, 0) != CMN_DB_OK)
            return -1;
    }
    return 0;
}

/* A record written as text, without snprintf (this runs for every SMS and receipt):
 * n counts what was asked for, so n > cap says it did not fit. */
typedef struct {
    char *p;
    size_t n, cap;
} s_text_t;

static void s_put_bytes(s_text_t *t, const char *s, size_t len) {
    if (t->n + len <= t->cap)
        memcpy(t->p + t->n, s, len);
    t->n += len;
}

/* a, then b and c when not NULL. */
static void s_put(s_text_t *t, const char *a, const char *b, const char *c) {
    s_put_bytes(t, a, strlen(a));
    if (b)
        s_put_bytes(t, b, strlen(b));
    if (c)
        s_put_bytes(t, c, strlen(c));
}

static void s_put_u64(s_text_t *t, uint64_t v) {
    char digits[20];
    size_t i = sizeof(digits);
    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    s_put_bytes(t, digits + i, sizeof(digits) - i);
}

/* Printable ASCII without quote or backslash: the JSON string is the text itself. */
static bool s_plain(const char *s) {
    for (; s && *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return false;
    return true;
}

/* The common case of sms_status_sent, a message without a record yet and with plain
 * values: the record written as text, the same fields the object path writes, without a
 * heap object per field (this runs once per SMS). 0, -1, or 1 when it does not apply. */
static int s_sent_new(sms_status_t *self, MDB_txn *txn, const char *message_id,
                      const char *provider, const char *ref, uint64_t sent_ms, uint64_t await_ms,
                      const char *prefix, const char *masked) {
    MDB_val v;
    int rc = cmn_db_get(txn, self->status, message_id, strlen(message_id), &v);
    if (rc != CMN_DB_NOTFOUND)
        return rc == CMN_DB_OK ? 1 : -1;
    if (!s_plain(provider) || !s_plain(ref) || !s_plain(prefix) || !s_plain(masked))
        return 1;
    bool with_ref, with_await;
    if (s_index_sent(self, txn, message_id, provider, ref, await_ms, false, &with_ref,
                     &with_await) != 0)
        return -1;
    char text[64 + SMS_NAME_MAX + SMS_REF_MAX + SMS_CONV_PREFIX_MAX + 64];
    s_text_t t = {.p = text, .cap = sizeof(text)};
    s_put(&t, "{\"p\":\"", provider, "\"");
    s_put(&t, ",\"s\":", NULL, NULL);
    s_put_u64(&t, sent_ms);
    if (prefix && prefix[0])
        s_put(&t, ",\"x\":\"", prefix, "\"");
    if (masked && masked[0])
        s_put(&t, ",\"m\":\"", masked, "\"");
    if (with_ref)
        s_put(&t, ",\"r\":\"", ref, "\"");
    if (with_await) {
        s_put(&t, ",\"a\":", NULL, NULL);
        s_put_u64(&t, await_ms);
    }
    s_put(&t, "}", NULL, NULL);
    if (t.n > t.cap)
        return 1; /* longer than any value here should be: the object path (same indexes) */
    size_t n = t.n;
    return cmn_db_put(txn, self->status, message_id, strlen(message_id), text, n, 0) == CMN_DB_OK
               ? 0
               : -1;
}

int sms_status_sent(sms_status_t *self, MDB_txn *txn, const char *message_id, const char *provider,
                    const char *ref, uint64_t sent_ms, uint64_t await_ms, const char *prefix,
                    const char *masked) {
    int fast = s_sent_new(self, txn, message_id, provider, ref, sent_ms, await_ms, prefix, masked);
    if (fast <= 0)
        return fast; /* a new record has no verification to count early */
    int found;
    json_t *obj = s_load(self, txn, message_id, &found);
    if (!obj)
        return -1;
    /* A receipt may have come first (a dlr-url call racing the HTTP answer). */
    bool final = s_final((int)s_u64(obj, "d"));
    json_object_set_new(obj, "p", json_string(provider));
    json_object_set_new(obj, "s", json_integer((json_int_t)sent_ms));
    if (prefix && prefix[0])
        json_object_set_new(obj, "x", json_string(prefix));
    if (masked && masked[0])
        json_object_set_new(obj, "m", json_string(masked));
    /* A verification that came before the provider's answer is counted now. */
    int early = s_u64(obj, "v") && !s_u64(obj, "vc");
    if (early)
        json_object_set_new(obj, "vc", json_integer(1));
    bool with_ref, with_await;
    int rc =
        s_index_sent(self, txn, message_id, provider, ref, await_ms, final, &with_ref, &with_await);
    if (with_ref)
        json_object_set_new(obj, "r", json_string(ref));
    if (with_await)
        json_object_set_new(obj, "a", json_integer((json_int_t)await_ms));
    if (rc == 0)
        rc = s_store(self, txn, message_id, obj);
    json_decref(obj);
    return rc < 0 ? -1 : early;
}

int sms_status_verified(sms_status_t *self, MDB_txn *txn, const char *message_id, uint64_t at_ms,
                        char *provider, char *prefix) {
    provider[0] = prefix[0] = '\0';
    int found;
    json_t *obj = s_load(self, txn, message_id, &found);
    if (!obj)
        return -1;
    int rc = SMS_VERIFIED_REPEAT;
    if (!s_u64(obj, "v")) {
        json_object_set_new(obj, "v", json_integer((json_int_t)(at_ms ? at_ms : 1)));
        const char *p = s_str(obj, "p");
        rc = SMS_VERIFIED_EARLY;
        if (p[0]) {
            json_object_set_new(obj, "vc", json_integer(1));
            snprintf(provider, SMS_NAME_MAX, "%s", p);
            snprintf(prefix, SMS_CONV_PREFIX_MAX, "%s", s_str(obj, "x"));
            rc = SMS_VERIFIED_NOW;
        }
        if (s_store(self, txn, message_id, obj) != 0)
            rc = -1;
    }
    json_decref(obj);
    return rc;
}

/* Drops the await entry of obj, if any. */
static int s_unawait(sms_status_t *self, MDB_txn *txn, const char *id, json_t *obj) {
    uint64_t at = s_u64(obj, "a");
    if (!at)
        return 0;
    uint8_t key[S_AWAIT_KEY];
    size_t klen = s_await_key(key, at, id);
    json_object_del(obj, "a");
    return cmn_db_del(txn, self->await, key, klen) == CMN_DB_ERROR ? -1 : 0;
}

/* --- the receipt of a record as written by s_sent_new, without jansson ------------- */

/* One member of a flat record: "key": then a plain string or an unsigned integer. */
typedef struct {
    const char *key, *val; /* val: the value's text (a string with its quotes) */
    size_t klen, vlen;
    uint64_t num; /* an integer's value */
    bool is_num;
} s_member_t;

/* Reads the member at *p (after '{' or ','): 0, or -1 when it is not of that plain kind
 * (escapes, nesting, floats, negative numbers, spaces): the caller then uses jansson. */
static int s_member(const char **p, const char *end, s_member_t *m) {
    const char *q = *p;
    if (q >= end || *q != '"')
        return -1;
    m->key = ++q;
    while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q + 1 >= end || *q != '"' || q[1] != ':')
        return -1;
    m->klen = (size_t)(q - m->key);
    q += 2;
    m->val = q;
    m->num = 0;
    m->is_num = q < end && *q >= '0' && *q <= '9';
    if (m->is_num) {
        if (*q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9')
            return -1; /* not JSON */
        for (int digits = 0; q < end && *q >= '0' && *q <= '9'; q++, digits++) {
            if (digits == 18) /* beyond what a time in ms or a state needs (and int64) */
                return -1;
            m->num = m->num * 10 + (uint64_t)(*q - '0');
        }
    } else {
        if (q >= end || *q != '"')
            return -1;
        for (q++; q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20; q++)
            ;
        if (q >= end || *q != '"')
            return -1;
        q++;
    }
    m->vlen = (size_t)(q - m->val);
    *p = q;
    return 0;
}

static bool s_is(const s_member_t *m, const char *key) {
    return m->klen == strlen(key) && memcmp(m->key, key, m->klen) == 0;
}

/* sms_status_receipt on a found record that is a flat object of plain strings and
 * integers (every record s_sent_new writes, and the object path's for plain values):
 * the same decisions and the same record as the jansson path (members in place, "d"
 * and "t" set where they are or appended, "a" dropped with its await entry), without a
 * heap object per field. Returns what sms_status_receipt returns, or 2 when the record
 * is not of that kind. */
static int s_receipt_flat(sms_status_t *self, MDB_txn *txn, const char *id, const MDB_val *v,
                          sms_dlr_t dlr, uint64_t at_ms, uint64_t *sent_ms, char *via) {
    const char *p = v->mv_data, *end = p + v->mv_size;
    char out[512];
    size_t n = 0;
    if (v->mv_size < 2 || v->mv_size > sizeof(out) - 64 || *p != '{' || end[-1] != '}')
        return 2;
    uint64_t d = 0, await = 0, sent = 0;
    const char *prov = NULL;
    size_t provlen = 0;
    bool has_d = false, has_t = false;
    unsigned seen = 0; /* p, s, a, d, t: a key twice is left to jansson */
    char d_text[24], t_text[24];
    s_text_t dt = {.p = d_text, .cap = sizeof(d_text)}, tt = {.p = t_text, .cap = sizeof(t_text)};
    s_put_u64(&dt, (uint64_t)dlr); /* an enum of small values */
    s_put_u64(&tt, at_ms);
    size_t dl = dt.n, tl = tt.n;
    out[n++] = '{';
    p++;
    while (p < end - 1) {
        s_member_t m;
        if (s_member(&p, end - 1, &m) != 0)
            return 2;
        if (p < end - 1 && *p++ != ',')
            return 2;
        static const char *const keys[] = {"p", "s", "a", "d", "t"};
        for (unsigned k = 0; k < 5; k++) {
            if (!s_is(&m, keys[k]))
                continue;
            if ((seen & 1u << k) || m.is_num != (k > 0))
                return 2; /* not what s_sent_new writes: the object path decides */
            seen |= 1u << k;
        }
        if (s_is(&m, "p")) {
            prov = m.val + 1;
            provlen = m.vlen - 2;
        }
        if (s_is(&m, "s"))
            sent = m.num;
        if (s_is(&m, "a")) {
            await = m.num;
            continue; /* dropped: no receipt is awaited any more */
        }
        const char *val = m.val;
        size_t vlen = m.vlen;
        if (s_is(&m, "d")) {
            d = m.num;
            has_d = true;
            val = d_text;
            vlen = dl;
        } else if (s_is(&m, "t")) {
            has_t = true;
            val = t_text;
            vlen = tl;
        }
        /* this member, and "d" and "t" appended after it, fit */
        if (n + m.klen + vlen + 4 > sizeof(out) - 48)
            return 2;
        if (n > 1)
            out[n++] = ',';
        out[n++] = '"';
        memcpy(out + n, m.key, m.klen);
        n += m.klen;
        out[n++] = '"';
        out[n++] = ':';
        memcpy(out + n, val, vlen);
        n += vlen;
    }
    *sent_ms = sent;
    if (prov && provlen > 0) {
        provlen = provlen < SMS_NAME_MAX ? provlen : SMS_NAME_MAX - 1;
        memcpy(via, prov, provlen);
        via[provlen] = '\0';
    }
    if (s_final((int)d) || !s_final((int)dlr))
        return 0;
    s_text_t o = {.p = out, .n = n, .cap = sizeof(out)};
    if (!has_d) {
        s_put(&o, n > 1 ? ",\"d\":" : "\"d\":", NULL, NULL);
        s_put_bytes(&o, d_text, dl);
    }
    if (!has_t) {
        s_put(&o, ",\"t\":", NULL, NULL);
        s_put_bytes(&o, t_text, tl);
    }
    s_put(&o, "}", NULL, NULL);
    if (o.n > o.cap)
        return 2; /* cannot be: each member was checked against the room left */
    n = o.n;
    if (await) {
        uint8_t key[S_AWAIT_KEY];
        size_t klen = s_await_key(key, await, id);
        if (cmn_db_del(txn, self->await, key, klen) == CMN_DB_ERROR)
            return -1;
    }
    return cmn_db_put(txn, self->status, id, strlen(id), out, n, 0) == CMN_DB_OK ? 1 : -1;
}

int sms_status_receipt(sms_status_t *self, MDB_txn *txn, const char *provider,
                       const char *message_id, const char *ref, sms_dlr_t dlr, uint64_t at_ms,
                       char *id, uint64_t *sent_ms, char *via) {
    *sent_ms = 0;
    id[0] = '\0';
    snprintf(via, SMS_NAME_MAX, "%s", provider);
    if (message_id && message_id[0]) {
        if (strlen(message_id) > SMS_ID_MAX)
            return 0;
        snprintf(id, SMS_ID_MAX + 1, "%s", message_id);
    } else if (ref && ref[0]) {
        char key[S_REF_KEY];
        size_t klen = s_ref_key(key, provider, ref);
        MDB_val v;
        int rc = cmn_db_get(txn, self->byref, key, klen, &v);
        if (rc != CMN_DB_OK)
            return rc == CMN_DB_NOTFOUND ? 0 : -1;
        if (v.mv_size == 0 || v.mv_size > SMS_ID_MAX)
            return 0;
        memcpy(id, v.mv_data, v.mv_size);
        id[v.mv_size] = '\0';
    } else {
        return 0;
    }
    MDB_val v;
    int got = cmn_db_get(txn, self->status, id, strlen(id), &v);
    if (got == CMN_DB_ERROR)
        return -1;
    if (got == CMN_DB_OK) {
        int flat = s_receipt_flat(self, txn, id, &v, dlr, at_ms, sent_ms, via);
        if (flat != 2)
            return flat;
    }
    int found;
    json_t *obj = s_load(self, txn, id, &found);
    if (!obj)
        return -1;
    *sent_ms = s_u64(obj, "s");
    if (found && s_str(obj, "p")[0])
        snprintf(via, SMS_NAME_MAX, "%s", s_str(obj, "p"));
    int rc = 0;
    if (s_final((int)s_u64(obj, "d")) || !s_final((int)dlr)) {
        json_decref(obj);
        return 0;
    }
    if (!found)
        json_object_set_new(obj, "p", json_string(provider));
    json_object_set_new(obj, "d", json_integer(dlr));
    json_object_set_new(obj, "t", json_integer((json_int_t)at_ms));
    if (s_unawait(self, txn, id, obj) != 0 || s_store(self, txn, id, obj) != 0)
        rc = -1;
    json_decref(obj);
    return rc < 0 ? -1 : 1;
}

int sms_status_expire(sms_status_t *self, MDB_txn *txn, uint64_t now, int max,
                      void (*fn)(void *arg, const char *provider), void *arg) {
    MDB_cursor *cur;
    int rc = cmn_db_note(mdb_cursor_open(txn, self->await, &cur));
    if (rc != 0)
        return -1;
    int n = 0;
    MDB_val k, v;
    while (n < max && (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
        if (k.mv_size <= 8 || k.mv_size > S_AWAIT_KEY) {
            rc = cmn_db_note(cmn_db_wrote(mdb_cursor_del(cur, 0)));
            if (rc != 0)
                break;
            continue;
        }
        uint64_t at = 0;
        for (int i = 0; i < 8; i++)
            at = at << 8 | ((const uint8_t *)k.mv_data)[i];
        if (at >= now)
            break;
        char id[SMS_ID_MAX + 1];
        memcpy(id, (const uint8_t *)k.mv_data + 8, k.mv_size - 8);
        id[k.mv_size - 8] = '\0';
        if ((rc = cmn_db_note(cmn_db_wrote(mdb_cursor_del(cur, 0)))) != 0)
            break;
        int found;
        json_t *obj = s_load(self, txn, id, &found);
        if (!obj) {
            rc = -1;
            break;
        }
        if (found && !s_final((int)s_u64(obj, "d"))) {
            json_object_del(obj, "a");
            json_object_set_new(obj, "d", json_integer(S_UNCONFIRMED));
            json_object_set_new(obj, "t", json_integer((json_int_t)now));
            if (s_store(self, txn, id, obj) != 0) {
                json_decref(obj);
                rc = -1;
                break;
            }
            if (fn)
                fn(arg, s_str(obj, "p"));
            CMN_WARN(NULL, "sms message_id=%s: no delivery receipt from %s in time", id,
                     s_str(obj, "p"));
        }
        json_decref(obj);
        n++;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? n : -1;
}

int sms_status_get(sms_status_t *self, MDB_txn *txn, const char *message_id,
                   sms_status_rec_t *rec) {
    static const char *const names[] = {"", "delivered", "failed", "expired", ""};
    int found;
    json_t *obj = s_load(self, txn, message_id, &found);
    if (!obj)
        return SMS_QUEUE_ERROR;
    if (found) {
        int d = (int)s_u64(obj, "d");
        snprintf(rec->provider, sizeof(rec->provider), "%s", s_str(obj, "p"));
        snprintf(rec->ref, sizeof(rec->ref), "%s", s_str(obj, "r"));
        rec->sent_ms = s_u64(obj, "s");
        rec->receipt_ms = s_u64(obj, "t");
        snprintf(rec->prefix, sizeof(rec->prefix), "%s", s_str(obj, "x"));
        snprintf(rec->phone_masked, sizeof(rec->phone_masked), "%s", s_str(obj, "m"));
        rec->verified = s_u64(obj, "v") != 0;
        const char *state = d == S_UNCONFIRMED ? "unconfirmed" : d >= 1 && d <= 3 ? names[d] : "";
        snprintf(rec->state, sizeof(rec->state), "%s", state);
    }
    json_decref(obj);
    return found ? SMS_QUEUE_OK : SMS_QUEUE_NOTFOUND;
}

int sms_status_forget(void *arg, MDB_txn *txn, const char *message_id) {
    sms_status_t *self = arg;
    int found;
    json_t *obj = s_load(self, txn, message_id, &found);
    if (!obj)
        return -1;
    int rc = 0;
    if (found) {
        const char *ref = s_str(obj, "r");
        if (ref[0]) {
            char key[S_REF_KEY];
            size_t klen = s_ref_key(key, s_str(obj, "p"), ref);
            rc |= cmn_db_del(txn, self->byref, key, klen) == CMN_DB_ERROR ? -1 : 0;
        }
        rc |= s_unawait(self, txn, message_id, obj);
        rc |=
            cmn_db_del(txn, self->status, message_id, strlen(message_id)) == CMN_DB_ERROR ? -1 : 0;
    }
    json_decref(obj);
    return rc ? -1 : 0;
}
