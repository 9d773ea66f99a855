/* Unit test of sms_pdu: submit_sm packed for GSM-7, UCS-2 and long text
 * (message_payload) and read back with libsmpp34; bind_transceiver; receipts in
 * deliver_sm by text and by TLV (table of stat: values); submit_sm_resp statuses
 * and ids; the header-only PDUs byte by byte. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* libsmpp34 needs <stdint.h> first, then its headers in this order. */
#include <smpp34.h>

#include <smpp34_structs.h>

#include <smpp34_params.h>

#include "sms_gsm.h"
#include "sms_pdu.h"
#include "tap.h"

static uint32_t s_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Packs a deliver_sm receipt with text and, when ref_tlv, the TLVs. */
static int s_receipt_pdu(const char *text, uint8_t esm, const char *ref_tlv, int state,
                         uint8_t *out, size_t outlen) {
    deliver_sm_t d;
    memset(&d, 0, sizeof(d));
    d.command_id = DELIVER_SM;
    d.sequence_number = 7;
    d.esm_class = esm;
    d.sm_length = (uint8_t)strlen(text);
    memcpy(d.short_message, text, strlen(text));
    tlv_t t;
    if (ref_tlv) {
        memset(&t, 0, sizeof(t));
        t.tag = 0x001E;
        t.length = (uint16_t)(strlen(ref_tlv) + 1);
        memcpy(t.value.octet, ref_tlv, strlen(ref_tlv) + 1);
        build_tlv(&d.tlv, &t);
        memset(&t, 0, sizeof(t));
        t.tag = 0x0427;
        t.length = 1;
        t.value.val08 = (uint8_t)state;
        build_tlv(&d.tlv, &t);
    }
    int len = 0;
    int rc = smpp34_pack(DELIVER_SM, out, (int)outlen, &len, &d);
    if (d.tlv)
        destroy_tlv(d.tlv);
    return rc == 0 ? len : -1;
}

/* What smpp34_pack makes of the submit_sm sms_pdu_submit is meant to write (the
 * reference for its hand-written bytes): octets of coding, one segment or a payload. */
static int s_ref_submit(uint32_t seq, const char *source, const char *to, const uint8_t *octets,
                        int n, int coding, uint8_t *out, size_t outlen) {
    submit_sm_t s;
    memset(&s, 0, sizeof(s));
    s.command_id = SUBMIT_SM;
    s.sequence_number = seq;
    int numeric = source[0] && strspn(source, "0123456789") == strlen(source);
    s.source_addr_ton = numeric ? TON_International : TON_Alphanumeric;
    s.source_addr_npi = numeric ? NPI_ISDN_E163_E164 : NPI_Unknown;
    snprintf((char *)s.source_addr, sizeof(s.source_addr), "%s", source);
    s.dest_addr_ton = TON_International;
    s.dest_addr_npi = NPI_ISDN_E163_E164;
    snprintf((char *)s.destination_addr, sizeof(s.destination_addr), "%s",
             to[0] == '+' ? to + 1 : to);
    s.registered_delivery = SMPP34_DELIVERY_RECEIPT_ON;
    s.data_coding = (uint8_t)coding;
    if (coding == 0 ? n <= 160 : n <= 140) {
        s.sm_length = (uint8_t)n;
        memcpy(s.short_message, octets, (size_t)n);
    } else {
        tlv_t tlv;
        memset(&tlv, 0, sizeof(tlv));
        tlv.tag = 0x0424;
        tlv.length = (uint16_t)n;
        memcpy(tlv.value.octet, octets, (size_t)n);
        build_tlv(&s.tlv, &tlv);
    }
    int len = 0;
    int rc = smpp34_pack(SUBMIT_SM, out, (int)outlen, &len, &s);
    if (s.tlv)
        destroy_tlv(s.tlv);
    return rc == 0 ? len : -1;
}

/* sms_pdu_submit's bytes against smpp34_pack's for the same message. */
static void s_same_submit(uint32_t seq, const char *source, const char *to, const char *text) {
    uint8_t mine[SMS_PDU_MAX], ref[SMS_PDU_MAX], octets[SMS_PDU_MAX / 2];
    int coding = 0;
    int n = sms_gsm_encode(text, octets, sizeof(octets), &coding);
    int a = sms_pdu_submit(seq, source, to, text, mine, sizeof(mine));
    int b = s_ref_submit(seq, source, to, octets, n, coding, ref, sizeof(ref));
    CHECK(n >= 0 && a > 0 && a == b && memcmp(mine, ref, (size_t)a) == 0,
          "submit_sm as smpp34_pack writes it: seq %u from %s, %d octets coding %d (%d vs %d)", seq,
          source, n, coding, a, b);
}

typedef struct {
    const char *text;
    sms_dlr_t dlr;
    const char *ref;
} receipt_row_t;

int main(void) {
    uint8_t buf[SMS_PDU_MAX];
    submit_sm_t s;

    /* GSM-7: alphanumeric sender, international destination without '+'. */
    int n = sms_pdu_submit(42, "DVCQG", "+84912345678", "Ma OTP 123456 @", buf, sizeof(buf));
    CHECK(n > 16 && s_be32(buf) == (uint32_t)n && s_be32(buf + 4) == SUBMIT_SM &&
              s_be32(buf + 12) == 42,
          "submit header (n %d)", n);
    memset(&s, 0, sizeof(s));
    CHECK(smpp34_unpack(SUBMIT_SM, &s, buf, n) == 0, "unpack: %s", smpp34_strerror);
    CHECK_STR((char *)s.source_addr, "DVCQG");
    CHECK(s.source_addr_ton == TON_Alphanumeric && s.dest_addr_ton == TON_International &&
              s.dest_addr_npi == NPI_ISDN_E163_E164,
          "addresses");
    CHECK_STR((char *)s.destination_addr, "84912345678");
    CHECK(s.registered_delivery == 1 && s.data_coding == 0, "receipt asked, GSM-7");
    CHECK(s.sm_length == 15 && memcmp(s.short_message, "Ma OTP 123456 \x00", 15) == 0,
          "short_message");
    if (s.tlv)
        destroy_tlv(s.tlv);

    /* UCS-2 for diacritics; a numeric sender is international. */
    n = sms_pdu_submit(43, "8190", "+84912345678", "Mã 123456", buf, sizeof(buf));
    memset(&s, 0, sizeof(s));
    CHECK(n > 0 && smpp34_unpack(SUBMIT_SM, &s, buf, n) == 0, "unpack ucs2");
    CHECK(s.data_coding == 8 && s.sm_length == 18 && s.short_message[0] == 0 &&
              s.short_message[1] == 'M' && s.short_message[2] == 0 && s.short_message[3] == 0xE3,
          "ucs2 octets");
    CHECK(s.source_addr_ton == TON_International, "numeric sender");
    if (s.tlv)
        destroy_tlv(s.tlv);

    /* Longer than one segment: message_payload, empty short_message. */
    char longer[200];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    n = sms_pdu_submit(44, "DVCQG", "+84912345678", longer, buf, sizeof(buf));
    memset(&s, 0, sizeof(s));
    CHECK(n > 0 && smpp34_unpack(SUBMIT_SM, &s, buf, n) == 0, "unpack long");
    CHECK(s.sm_length == 0 && s.tlv && s.tlv->tag == 0x0424 && s.tlv->length == 199,
          "message_payload");
    if (s.tlv)
        destroy_tlv(s.tlv);
    CHECK(sms_pdu_submit(45, "DVCQG", "+84912345678", "\xff", buf, sizeof(buf)) == -2, "bad text");
    CHECK(sms_pdu_submit(45, "DVCQG", "+84912345678", "hi", buf, 20) == -1, "small buffer");

    /* bind_transceiver. */
    n = sms_pdu_bind(1, "dvcid", "pw", buf, sizeof(buf));
    bind_transceiver_t b;
    memset(&b, 0, sizeof(b));
    CHECK(n > 0 && smpp34_unpack(BIND_TRANSCEIVER, &b, buf, n) == 0, "unpack bind");
    CHECK_STR((char *)b.system_id, "dvcid");
    CHECK_STR((char *)b.password, "pw");
    CHECK(b.interface_version == 0x34, "version");

    /* Receipts: the text's stat:, and the TLVs when present (they win). */
    const receipt_row_t rows[] = {
        {"id:SIM1 sub:001 dlvrd:001 submit date:2611250000 done date:2611250000 stat:DELIVRD "
         "err:000 text:",
         SMS_DLR_DELIVERED, "SIM1"},
        {"id:abc stat:EXPIRED", SMS_DLR_EXPIRED, "abc"},
        {"id:abc stat:UNDELIV", SMS_DLR_FAILED, "abc"},
        {"id:abc stat:REJECTD", SMS_DLR_FAILED, "abc"},
        {"id:abc stat:DELETED", SMS_DLR_FAILED, "abc"},
        {"id:abc stat:ENROUTE", SMS_DLR_ACCEPTED, "abc"},
        {"id:abc", SMS_DLR_NONE, "abc"},
        {"stat:DELIVRD", SMS_DLR_DELIVERED, ""},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char ref[SMS_REF_MAX] = "";
        CHECK(sms_pdu_receipt_text(rows[i].text, ref, sizeof(ref)) == rows[i].dlr, "row %zu", i);
        CHECK_STR(ref, rows[i].ref);
    }
    char ref[SMS_REF_MAX];
    sms_dlr_t dlr = SMS_DLR_NONE;
    n = s_receipt_pdu("id:SIM7 stat:DELIVRD err:000", 4, NULL, 0, buf, sizeof(buf));
    CHECK(n > 0 && sms_pdu_receipt(buf, (size_t)n, ref, sizeof(ref), &dlr) == 1, "receipt");
    CHECK(dlr == SMS_DLR_DELIVERED && strcmp(ref, "SIM7") == 0, "receipt %d %s", dlr, ref);
    n = s_receipt_pdu("id:x stat:DELIVRD", 4, "ABCDEF", 5, buf, sizeof(buf));
    CHECK(n > 0 && sms_pdu_receipt(buf, (size_t)n, ref, sizeof(ref), &dlr) == 1, "tlv receipt");
    CHECK(dlr == SMS_DLR_FAILED && strcmp(ref, "ABCDEF") == 0, "tlv %d %s", dlr, ref);
    n = s_receipt_pdu("hello from a phone", 0, NULL, 0, buf, sizeof(buf));
    CHECK(n > 0 && sms_pdu_receipt(buf, (size_t)n, ref, sizeof(ref), &dlr) == 0, "MO message");
    CHECK(sms_pdu_receipt(buf, 10, ref, sizeof(ref), &dlr) == -1, "truncated accepted");

    /* submit_sm_resp: statuses and the id. */
    CHECK(sms_pdu_submit_status(ESME_ROK) == SMS_RES_ACCEPTED, "ok");
    CHECK(sms_pdu_submit_status(ESME_RTHROTTLED) == SMS_RES_THROTTLED, "throttled");
    CHECK(sms_pdu_submit_status(ESME_RMSGQFUL) == SMS_RES_THROTTLED, "queue full");
    CHECK(sms_pdu_submit_status(ESME_RINVDSTADR) == SMS_RES_REJECTED, "bad destination");
    CHECK(sms_pdu_submit_status(ESME_RSYSERR) == SMS_RES_FAILED, "system error");
    CHECK(sms_pdu_submit_status(0x401) == SMS_RES_FAILED, "vendor code");
    sms_pdu_submit_ref((const uint8_t *)"SIM9\0", 5, ref, sizeof(ref));
    CHECK_STR(ref, "SIM9");
    sms_pdu_submit_ref((const uint8_t *)"SIM9", 4, ref, sizeof(ref));
    CHECK_STR(ref, ""); /* not terminated: no id */
    sms_pdu_submit_ref((const uint8_t *)"", 0, ref, sizeof(ref));
    CHECK_STR(ref, "");

    /* Header-only PDUs, and deliver_sm_resp. */
    uint8_t h[16];
    sms_pdu_header(ENQUIRE_LINK, 0, 0x01020304, h);
    const uint8_t want[16] = {0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(memcmp(h, want, 16) == 0, "enquire_link bytes");
    n = sms_pdu_deliver_resp(7, 0, buf, sizeof(buf));
    CHECK(n == 17 && s_be32(buf + 4) == DELIVER_SM_RESP && s_be32(buf + 12) == 7 && buf[16] == 0,
          "deliver_sm_resp (n %d)", n);

    /* The hand-written PDUs are byte for byte what smpp34_pack writes, and refused where
     * it refuses them (sequence number 0). */
    char payload[700];
    memset(payload, 'y', sizeof(payload) - 1);
    payload[sizeof(payload) - 1] = '\0';
    s_same_submit(1, "DVCQG", "+84912345678", "Ma OTP 123456 @");
    s_same_submit(0x7FFFFFFF, "8190", "+84912345678", "M\xc3\xa3 123456");
    s_same_submit(44, "DVCQG", "+84912345678", longer);
    s_same_submit(45, "DVCQG", "+84912345678", payload);
    s_same_submit(46, "A-sender-longer-than-twenty", "84912345678901234567890123", "x");
    s_same_submit(47, "", "+84912345678", "");
    for (uint32_t status = 0; status < 2; status++) {
        uint8_t ref[64];
        deliver_sm_resp_t r;
        memset(&r, 0, sizeof(r));
        r.command_id = DELIVER_SM_RESP;
        r.command_status = status ? ESME_RSYSERR : ESME_ROK;
        r.sequence_number = 0x12345678;
        int len = 0;
        CHECK(smpp34_pack(DELIVER_SM_RESP, ref, sizeof(ref), &len, &r) == 0, "reference resp");
        n = sms_pdu_deliver_resp(0x12345678, r.command_status, buf, sizeof(buf));
        CHECK(n == len && memcmp(buf, ref, (size_t)n) == 0, "deliver_sm_resp as smpp34_pack's");
    }
    deliver_sm_resp_t r0;
    memset(&r0, 0, sizeof(r0));
    r0.command_id = DELIVER_SM_RESP;
    int len0 = 0;
    uint8_t ref0[64];
    CHECK(smpp34_pack(DELIVER_SM_RESP, ref0, sizeof(ref0), &len0, &r0) != 0 &&
              sms_pdu_deliver_resp(0, 0, buf, sizeof(buf)) == -1,
          "sequence 0 refused by both");
    r0.sequence_number = 0xFFFFFFFFu;
    CHECK(smpp34_pack(DELIVER_SM_RESP, ref0, sizeof(ref0), &len0, &r0) == 0 &&
              sms_pdu_deliver_resp(0xFFFFFFFFu, 0, buf, sizeof(buf)) == len0 &&
              memcmp(buf, ref0, (size_t)len0) == 0,
          "sequence 0xFFFFFFFF (an SMSC's) answered as smpp34_pack does");
    CHECK(sms_pdu_deliver_resp(7, 0, buf, 16) == -1, "deliver_sm_resp: small buffer");
    return TEST_DONE();
}
