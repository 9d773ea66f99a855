/* cmn_log: masks of phones and ID numbers, escaping of control characters, debug
 * lines that cost nothing (not even their arguments) when not printed. */
#include "cmn_log.h"
#include "tap.h"

static int s_evaluated;

static const char *s_arg(void) {
    s_evaluated++;
    return "x";
}

int main(void) {
    char out[64];
    static const struct {
        const char *in, *want;
    } phones[] = {{"+84912345678", "091****678"}, {"+84362345671", "036****671"},
                  {"0912345678", "***"},          {"", "***"},
                  {"+8491234567", "***"},         {"+14155552671", "***"}};
    for (size_t i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
        cmn_mask_phone(phones[i].in, out, sizeof(out));
        CHECK_STR(out, phones[i].want);
    }
    static const struct {
        const char *in, *want;
    } ids[] = {{"001099012345", "001******345"}, {"123456789", "123***789"}, {"12", "***"}};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        cmn_mask_id(ids[i].in, out, sizeof(out));
        CHECK_STR(out, ids[i].want);
    }
    cmn_log_escape("a\nINFO forged\r\\x", out, sizeof(out));
    CHECK_STR(out, "a\\x0aINFO forged\\x0d\\x5cx");
    cmn_log_escape("Nguyễn", out, sizeof(out));
    CHECK_STR(out, "Nguyễn");
    CHECK(cmn_log_init("test", "info") == 0, "info");
    CMN_DEBUG(NULL, "not printed: %s", s_arg());
    CHECK(s_evaluated == 0, "a skipped debug line evaluated its arguments");
    CHECK(cmn_log_init("test", "debug") == 0, "debug");
    CMN_DEBUG(NULL, "printed: %s", s_arg());
    CHECK(s_evaluated == 1, "a debug line at debug level: %d", s_evaluated);
    return TEST_DONE();
}
