/* sms_pdu: SMPP PDUs (see sms_pdu.h): bind_transceiver through libsmpp34 (its structs
 * hold every field of the PDU, header first; smpp34_pack writes command_length itself);
 * submit_sm and deliver_sm_resp written here, deliver_sm read here. */
#include "sms_pdu.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
/* libsmpp34 needs <stdint.h> first, then its headers in this order. */
#include <smpp34.h>

#include <smpp34_structs.h>

#include <smpp34_params.h>

#include "sms_gsm.h"

#define S_TLV_MESSAGE_PAYLOAD 0x0424
#define S_TLV_RECEIPTED_ID 0x001E
#define S_TLV_MESSAGE_STATE 0x0427

/* Copies src into a C-octet field of size bytes (cut to fit). */
static void s_copy(uint8_t *dst, size_t size, const char *src) {
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int s_pack(uint32_t type, void *pdu, uint8_t *out, size_t outlen) {
    int len = 0;
    if (outlen > SMS_PDU_MAX * 4)
        outlen = SMS_PDU_MAX * 4;
    if (smpp34_pack(type, out, (int)outlen, &len, pdu) != 0)
        return -1;
    return len;
}

int sms_pdu_bind(uint32_t seq, const char *system_id, const char *password, uint8_t *out,
                 size_t outlen) {
    bind_transceiver_t b;
    memset(&b, 0, sizeof(b));
    b.command_id = BIND_TRANSCEIVER;
    b.sequence_number = seq;
    s_copy(b.system_id, sizeof(b.system_id), system_id);
    s_copy(b.password, sizeof(b.password), password);
    b.interface_version = SMPP_VERSION;
    int n = s_pack(BIND_TRANSCEIVER, &b, out, outlen);
    memset(&b, 0, sizeof(b));
    return n;
}

/* The PDUs sent per message are packed here, not by smpp34_pack, which formats a
 * debug dump of every field with snprintf whether anyone reads it or not (a fifth of
 * sms-worker's instructions per SMS on the SMPP path); the bytes are the same
 * (tests/unit/test_sms_pdu.c compares them with smpp34_pack's). */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} s_out_t;

static void s_u8(s_out_t *o, uint8_t v) {
    if (o->len < o->cap)
        o->p[o->len] = v;
    o->len++;
}

static void s_u32(s_out_t *o, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        s_u8(o, (uint8_t)(v >> shift));
}

static void s_bytes(s_out_t *o, const void *src, size_t n) {
    if (o->len + n <= o->cap)
        memcpy(o->p + o->len, src, n);
    o->len += n;
}

/* A C-octet string of a field of size bytes: cut to size - 1, NUL-terminated. */
static void s_cstr(s_out_t *o, const char *src, size_t size) {
    s_bytes(o, src, strnlen(src, size - 1));
    s_u8(o, 0);
}

/* Fills in command_length; the length, or -1 when it did not fit (or is beyond what
 * smpp34_pack accepts) or seq is 0, which smpp34_pack refuses. */
static int s_finish(s_out_t *o, uint32_t seq) {
    if (o->len > o->cap || o->len > SMS_PDU_MAX * 4 || seq == 0)
        return -1;
    size_t len = o->len;
    o->len = 0;
    s_u32(o, (uint32_t)len);
    return (int)len;
}

int sms_pdu_submit(uint32_t seq, const char *source, const char *to, const char *text, uint8_t *out,
                   size_t outlen) {
    uint8_t octets[SMS_PDU_MAX / 2];
    int coding = 0;
    int n = sms_gsm_encode(text, octets, sizeof(octets), &coding);
    if (n < 0)
        return -2;
    s_out_t o = {.p = out, .cap = outlen};
    s_u32(&o, 0); /* command_length, filled in at the end */
    s_u32(&o, SUBMIT_SM);
    s_u32(&o, 0);
    s_u32(&o, seq);
    s_u8(&o, 0); /* service_type "" */
    bool numeric = source[0] && strspn(source, "0123456789") == strlen(source);
    s_u8(&o, numeric ? TON_International : TON_Alphanumeric);
    s_u8(&o, numeric ? NPI_ISDN_E163_E164 : NPI_Unknown);
    s_cstr(&o, source, 21);
    s_u8(&o, TON_International);
    s_u8(&o, NPI_ISDN_E163_E164);
    s_cstr(&o, to[0] == '+' ? to + 1 : to, 21);
    s_u8(&o, 0); /* esm_class */
    s_u8(&o, 0); /* protocol_id */
    s_u8(&o, 0); /* priority_flag */
    s_u8(&o, 0); /* schedule_delivery_time "" */
    s_u8(&o, 0); /* validity_period "" */
    s_u8(&o, SMPP34_DELIVERY_RECEIPT_ON);
    s_u8(&o, 0); /* replace_if_present_flag */
    s_u8(&o, (uint8_t)coding);
    s_u8(&o, 0); /* sm_default_msg_id */
    /* One segment goes in short_message; longer text in message_payload, which
     * the SMSC splits (libsmpp34 refuses short_message of 254 octets and more). */
    if (coding == SMS_CODING_GSM7 ? n <= 160 : n <= 140) {
        s_u8(&o, (uint8_t)n);
        s_bytes(&o, octets, (size_t)n);
    } else {
        s_u8(&o, 0);
        s_u8(&o, (uint8_t)(S_TLV_MESSAGE_PAYLOAD >> 8));
        s_u8(&o, (uint8_t)S_TLV_MESSAGE_PAYLOAD);
        s_u8(&o, (uint8_t)(n >> 8));
        s_u8(&o, (uint8_t)n);
        s_bytes(&o, octets, (size_t)n);
    }
    memset(octets, 0, sizeof(octets)); /* the text holds the code */
    return s_finish(&o, seq);
}

int sms_pdu_deliver_resp(uint32_t seq, uint32_t status, uint8_t *out, size_t outlen) {
    s_out_t o = {.p = out, .cap = outlen};
    s_u32(&o, 0);
    s_u32(&o, DELIVER_SM_RESP);
    s_u32(&o, status);
    s_u32(&o, seq);
    s_u8(&o, 0); /* message_id "" */
    return s_finish(&o, seq);
}

void sms_pdu_header(uint32_t id, uint32_t status, uint32_t seq, uint8_t out[16]) {
    uint32_t v[4] = {16, id, status, seq};
    for (int i = 0; i < 4; i++) {
        out[i * 4] = (uint8_t)(v[i] >> 24);
        out[i * 4 + 1] = (uint8_t)(v[i] >> 16);
        out[i * 4 + 2] = (uint8_t)(v[i] >> 8);
        out[i * 4 + 3] = (uint8_t)v[i];
    }
}

sms_dlr_t sms_pdu_receipt_text(const char *text, char *ref, size_t reflen) {
    const char *id = strstr(text, "id:");
    if (id && reflen > 0) {
        id += 3;
        size_t n = strcspn(id, " ");
        if (n >= reflen)
            n = reflen - 1;
        memcpy(ref, id, n);
        ref[n] = '\0';
    }
    const char *stat = strstr(text, "stat:");
    if (!stat)
        return SMS_DLR_NONE;
    stat += 5;
    if (strncmp(stat, "DELIVRD", 7) == 0)
        return SMS_DLR_DELIVERED;
    if (strncmp(stat, "EXPIRED", 7) == 0)
        return SMS_DLR_EXPIRED;
    if (strncmp(stat, "UNDELIV", 7) == 0 || strncmp(stat, "REJECTD", 7) == 0 ||
        strncmp(stat, "DELETED", 7) == 0)
        return SMS_DLR_FAILED;
    return SMS_DLR_ACCEPTED;
}

/* Skips a C-octet string of at most max bytes (NUL included) at *off. 0 or -1. */
static int s_skip_cstr(const uint8_t *p, size_t len, size_t *off, size_t max) {
    size_t start = *off;
    while (*off < len && p[*off] != 0) {
        (*off)++;
        if (*off - start >= max)
            return -1;
    }
    if (*off >= len)
        return -1;
    (*off)++;
    return 0;
}

/* deliver_sm is read here by hand, bounds checked at every field: libsmpp34's unpacker
 * overruns a buffer on hostile TLV runs (found by tests/fuzz/fuzz_smpp.c) and leaks on
 * others, and a receipt needs only esm_class, the text and two TLVs. */
int sms_pdu_receipt(const uint8_t *pdu, size_t len, char *ref, size_t reflen, sms_dlr_t *dlr) {
    if (reflen > 0)
        ref[0] = '\0';
    *dlr = SMS_DLR_NONE;
    if (len < 16 || len > SMS_PDU_MAX * 32)
        return -1;
    size_t off = 16; /* the header: length, command, status, sequence */
    if (s_skip_cstr(pdu, len, &off, 6) != 0 || off + 2 > len) /* service_type */
        return -1;
    off += 2;                                                  /* source ton, npi */
    if (s_skip_cstr(pdu, len, &off, 21) != 0 || off + 2 > len) /* source_addr */
        return -1;
    off += 2;                                                  /* dest ton, npi */
    if (s_skip_cstr(pdu, len, &off, 21) != 0 || off + 3 > len) /* destination_addr */
        return -1;
    uint8_t esm_class = pdu[off];
    off += 3; /* esm_class, protocol_id, priority_flag */
    if (s_skip_cstr(pdu, len, &off, 17) != 0 || s_skip_cstr(pdu, len, &off, 17) != 0 ||
        off + 5 > len) /* schedule_delivery_time, validity_period */
        return -1;
    off += 4; /* registered_delivery, replace_if_present, data_coding, sm_default_msg_id */
    size_t sm_length = pdu[off++];
    if (off + sm_length > len)
        return -1;
    const uint8_t *sm = pdu + off;
    off += sm_length;
    if (!(esm_class & SMPP34_DELIVERY_RECEIPT))
        return 0;
    char text[256];
    size_t n = sm_length < sizeof(text) - 1 ? sm_length : sizeof(text) - 1;
    memcpy(text, sm, n);
    text[n] = '\0';
    *dlr = sms_pdu_receipt_text(text, ref, reflen);
    while (off + 4 <= len) {
        uint16_t tag = (uint16_t)(pdu[off] << 8 | pdu[off + 1]);
        size_t tlen = (size_t)(pdu[off + 2] << 8 | pdu[off + 3]);
        off += 4;
        if (off + tlen > len)
            return -1;
        if (tag == S_TLV_RECEIPTED_ID && tlen > 0 && tlen < reflen) {
            memcpy(ref, pdu + off, tlen);
            ref[tlen] = '\0';
        } else if (tag == S_TLV_MESSAGE_STATE && tlen == 1) {
            uint8_t st = pdu[off];
            if (st == 2)
                *dlr = SMS_DLR_DELIVERED;
            else if (st == 3)
                *dlr = SMS_DLR_EXPIRED;
            else if (st == 4 || st == 5 || st == 8)
                *dlr = SMS_DLR_FAILED;
        }
        off += tlen;
    }
    return 1;
}

sms_res_kind_t sms_pdu_submit_status(uint32_t status) {
    switch (status) {
    case ESME_ROK:
        return SMS_RES_ACCEPTED;
    case ESME_RTHROTTLED:
    case ESME_RMSGQFUL:
        return SMS_RES_THROTTLED;
    case ESME_RINVDSTADR:
    case ESME_RINVDSTTON:
    case ESME_RINVDSTNPI:
    case ESME_RINVMSGLEN:
        return SMS_RES_REJECTED;
    default:
        return SMS_RES_FAILED;
    }
}

void sms_pdu_submit_ref(const uint8_t *body, size_t len, char *ref, size_t reflen) {
    /* Read here rather than unpacked: libsmpp34 refuses a command_status it does
     * not know (vendor codes), and the id matters only on success anyway. */
    size_t n = strnlen((const char *)body, len);
    if (reflen == 0)
        return;
    ref[0] = '\0';
    if (n < len && n < reflen)
        memcpy(ref, body, n + 1);
}
