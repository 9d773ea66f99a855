/* sms_pdu: the SMPP 3.4 PDUs the `smpp` provider sends and reads: bind_transceiver
 * packed with libsmpp34, the per-message PDUs (submit_sm, deliver_sm_resp, deliver_sm)
 * written and read by hand; no socket, no state, so the unit test round-trips them
 * and compares them with libsmpp34's bytes. libsmpp34 keeps its errors in process-wide globals:
 * call these from one thread only (the provider's). */
#ifndef SMS_PDU_H
#define SMS_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "sms_provider.h"

#define SMS_PDU_MAX 2048 /* the largest PDU packed here */

/* Packs a bind_transceiver. Returns its length, or -1. */
int sms_pdu_bind(uint32_t seq, const char *system_id, const char *password, uint8_t *out,
                 size_t outlen);

/* Packs a submit_sm of text (UTF-8) to `to` (E.164) from source, asking for a
 * delivery receipt: GSM-7 (data_coding 0) or UCS-2 (8) as sms_gsm chooses; one
 * segment in short_message, longer in the message_payload TLV. Returns its
 * length, -1 when it does not pack, -2 when the text cannot be encoded. */
int sms_pdu_submit(uint32_t seq, const char *source, const char *to, const char *text, uint8_t *out,
                   size_t outlen);

/* Packs a deliver_sm_resp. Returns its length, or -1. */
int sms_pdu_deliver_resp(uint32_t seq, uint32_t status, uint8_t *out, size_t outlen);

/* Writes a PDU of a header only (enquire_link, generic_nack, unbind and resps). */
void sms_pdu_header(uint32_t id, uint32_t status, uint32_t seq, uint8_t out[16]);

/* Reads a deliver_sm: 1 when it is a delivery receipt (ref and *dlr set), 0 when
 * it is not one, -1 when it does not unpack. */
int sms_pdu_receipt(const uint8_t *pdu, size_t len, char *ref, size_t reflen, sms_dlr_t *dlr);

/* The state of a receipt's text "id:XYZ ... stat:DELIVRD ..." (SMPP 3.4 appendix
 * B); ref gets the id when there is one. */
sms_dlr_t sms_pdu_receipt_text(const char *text, char *ref, size_t reflen);

/* What a submit_sm_resp's command_status means for the message. */
sms_res_kind_t sms_pdu_submit_status(uint32_t status);

/* The message_id of a submit_sm_resp body (a C-octet string) into ref ("" if none). */
void sms_pdu_submit_ref(const uint8_t *body, size_t len, char *ref, size_t reflen);

#endif
