/* fuzz_smpp: what the `smpp` SMS provider reads from the SMSC (sms_pdu): a deliver_sm
 * that may be a delivery receipt (unpacked with libsmpp34), the receipt's text
 * "id:… stat:…", and a submit_sm_resp body. Input: a whole PDU; the same bytes are also
 * read as receipt text and as a response body. Every answer is -1, 0 or 1, a known
 * receipt state, and a reference that fits its buffer. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sms_pdu.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

static void s_check_dlr(sms_dlr_t dlr) {
    FUZZ_CHECK(dlr == SMS_DLR_NONE || dlr == SMS_DLR_DELIVERED || dlr == SMS_DLR_FAILED ||
               dlr == SMS_DLR_EXPIRED || dlr == SMS_DLR_ACCEPTED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char ref[65];
    sms_dlr_t dlr = SMS_DLR_NONE;
    memset(ref, 'x', sizeof(ref));
    int rc = sms_pdu_receipt(data, size, ref, sizeof(ref), &dlr);
    FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
    if (rc == 1) {
        FUZZ_CHECK(memchr(ref, '\0', sizeof(ref)) != NULL);
        s_check_dlr(dlr);
    }

    char *text = fuzz_cstr(data, size);
    memset(ref, 'x', sizeof(ref));
    ref[0] = '\0'; /* the text may hold no id: ref is then left as it was */
    s_check_dlr(sms_pdu_receipt_text(text, ref, sizeof(ref)));
    FUZZ_CHECK(memchr(ref, '\0', sizeof(ref)) != NULL);
    free(text);

    memset(ref, 'x', sizeof(ref));
    sms_pdu_submit_ref(data, size, ref, sizeof(ref));
    FUZZ_CHECK(memchr(ref, '\0', sizeof(ref)) != NULL);
    (void)sms_pdu_submit_status(size >= 4 ? (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
                                                (uint32_t)data[2] << 8 | data[3]
                                          : 0);
    return 0;
}
