/* sms_gsm: how an SMS text goes on the air. GSM-7 (3GPP TS 23.038 default
 * alphabet and its extension table) when every character has a code there: 160
 * characters per segment; UCS-2 otherwise (Vietnamese with diacritics): 70. The
 * SMPP provider sends GSM-7 as one octet per septet (data_coding 0, "SMSC default
 * alphabet") and UCS-2 big-endian (data_coding 8). Pure functions. */
#ifndef SMS_GSM_H
#define SMS_GSM_H

#include <stddef.h>
#include <stdint.h>

/* SMPP data_coding values. */
#define SMS_CODING_GSM7 0
#define SMS_CODING_UCS2 8

/* The coding utf8 needs: SMS_CODING_GSM7 or SMS_CODING_UCS2 (characters beyond
 * the BMP go as UTF-16 surrogate pairs, as handsets expect); -1 for invalid UTF-8. */
int sms_gsm_coding(const char *utf8);

/* Encodes utf8 in the coding sms_gsm_coding gives into out. Returns the number of
 * octets, or -1 (invalid text, out too small); *coding gets the coding. */
int sms_gsm_encode(const char *utf8, uint8_t *out, size_t outlen, int *coding);

/* Segments the text takes: 1 up to 160 septets (GSM-7) or 70 characters (UCS-2),
 * then 153 or 67 per segment of a concatenated message. -1 for invalid text. */
int sms_gsm_segments(const char *utf8);

#endif
