/* gw_errors: the one table from Status to HTTP status, code and message. Messages
 * are what a citizen reads on the page, so they say what to do next. */
#include "gw_errors.h"

#include <stddef.h>
#include <stdlib.h>

#include "gw_jw.h"

#define S(x) DVCID__STATUS__STATUS_##x

static const gw_error_t s_internal = {500, "internal",
                                      "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau."};

static const gw_error_t s_status[] = {
    [S(INVALID_REQUEST)] = {400, "invalid_request",
                            "Yêu cầu không hợp lệ. Vui lòng kiểm tra lại thông tin đã nhập."},
    [S(VALIDATION_FAILED)] = {422, "validation_failed",
                              "Thông tin chưa hợp lệ. Vui lòng kiểm tra lại các trường được "
                              "đánh dấu."},
    [S(CAPTCHA_INVALID)] = {400, "captcha_invalid",
                            "Mã xác thực không đúng hoặc đã hết hạn. Vui lòng nhập mã mới."},
    [S(ACCOUNT_EXISTS)] = {409, "account_exists",
                           "Số CMND/CCCD này đã được đăng ký tài khoản. Vui lòng dùng chức "
                           "năng “Quên mật khẩu” ở màn hình đăng nhập, hoặc đến bộ phận một "
                           "cửa để được hỗ trợ."},
    [S(INVALID_CREDENTIALS)] = {401, "invalid_credentials",
                                "Số CMND/CCCD hoặc mật khẩu không đúng."},
    /* Said of the sign-in, not of "the account": an unknown ID number locks too, and
     * the answer must not tell the two apart (security.md). The owner need not wait:
     * a code to the account's phone lifts the lock (POST /v1/unlocks). */
    [S(ACCOUNT_LOCKED)] = {423, "account_locked",
                           "Bạn đã nhập sai thông tin đăng nhập quá số lần cho phép. Vui lòng "
                           "thử lại sau, hoặc mở khóa ngay bằng mã OTP gửi đến số điện thoại "
                           "của tài khoản (“Mở khóa bằng điện thoại”)."},
    [S(OTP_INVALID)] = {400, "otp_invalid", "Mã OTP không đúng."},
    [S(OTP_EXPIRED)] = {410, "otp_expired",
                        "Mã OTP đã hết hiệu lực. Vui lòng bấm “Gửi lại OTP” để nhận mã mới."},
    [S(OTP_ATTEMPTS_EXCEEDED)] = {429, "otp_attempts_exceeded",
                                  "Bạn đã nhập sai mã OTP quá số lần cho phép. Vui lòng thực "
                                  "hiện lại từ đầu."},
    [S(RATE_LIMITED)] = {429, "rate_limited",
                         "Bạn thao tác quá nhiều lần. Vui lòng chờ một lúc rồi thử lại."},
    [S(FLOW_STATE)] = {409, "flow_state",
                       "Bước này chưa thể thực hiện. Vui lòng làm lần lượt theo các bước."},
    [S(NOT_FOUND)] = {404, "not_found", "Không tìm thấy yêu cầu, hoặc yêu cầu đã hết hạn."},
    [S(UNAUTHORIZED)] = {401, "unauthorized",
                         "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập "
                         "lại."},
    [S(UNAVAILABLE)] = {503, "unavailable",
                        "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút."},
    [S(TIMEOUT)] = {504, "timeout", "Hệ thống phản hồi quá lâu. Vui lòng thử lại."},
    [S(INTERNAL)] = {500, "internal", "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau."},
    /* A shard refused a key it does not own: this gateway's shard map is stale
     * (mid-split). The same words as unavailable: a retry after the switch works. */
    [S(WRONG_SHARD)] = {503, "unavailable",
                        "Hệ thống đang tạm thời gián đoạn. Vui lòng thử lại sau ít phút."},
    /* The SMS-pumping defence (otp-svc otp_guard; README "SMS-pumping defence"): codes
     * that cannot go out now, said as such, never a silent drop. */
    [S(SMS_PAUSED)] = {503, "sms_paused",
                       "Hệ thống đang tạm dừng gửi tin nhắn SMS mã OTP. Vui lòng thử lại sau."},
    [S(SMS_BUDGET)] = {429, "sms_budget_exhausted",
                       "Hệ thống đã gửi hết số tin nhắn SMS cho phép trong ngày. Vui lòng thử "
                       "lại sau thời gian được thông báo."},
    [S(SMS_PREFIX_BLOCKED)] = {429, "sms_prefix_blocked",
                               "Tạm thời không gửi được mã OTP đến số điện thoại này. Vui lòng "
                               "thử lại sau thời gian được thông báo, hoặc dùng số điện thoại "
                               "khác."},
};

static const gw_error_t s_http[GW_ERR_HTTP_COUNT] = {
    [GW_ERR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large", "Dữ liệu gửi lên quá lớn."},
    [GW_ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type",
                                       "Dữ liệu gửi lên phải ở dạng JSON (application/json)."},
    [GW_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed",
                                   "Phương thức này không được hỗ trợ tại địa chỉ này."},
    [GW_ERR_CROSS_SITE] = {403, "cross_site",
                           "Yêu cầu không được gửi từ trang của hệ thống nên đã bị từ chối. Vui "
                           "lòng mở lại trang Dịch vụ công rồi thử lại."},
};

const gw_error_t *gw_errors_status(int status) {
    if (status <= 0 || (size_t)status >= sizeof(s_status) / sizeof(s_status[0]) ||
        !s_status[status].code)
        return &s_internal;
    return &s_status[status];
}

const gw_error_t *gw_errors_http(gw_http_err_t err) {
    if ((int)err < 0 || err >= GW_ERR_HTTP_COUNT)
        return &s_internal;
    return &s_http[err];
}

/* Written with gw_jw, not a jansson tree: errors are a hot answer (every wrong code). The
 * bytes are those json_dumps made of {"error": {code, message, details?, attempts_left?,
 * retry_after?}}. */
int gw_errors_answer(gw_answer_t *ans, const gw_error_t *e, json_t *details, long attempts_left,
                     long retry_after) {
    gw_jw_t w;
    gw_jw_init(&w);
    gw_jw_raw(&w, "{\"error\":{\"code\":");
    gw_jw_str(&w, e->code);
    gw_jw_raw(&w, ",\"message\":");
    gw_jw_str(&w, e->message);
    if (details && json_array_size(details) > 0) {
        char *text = json_dumps(details, JSON_COMPACT);
        if (!text)
            w.failed = true;
        gw_jw_raw(&w, ",\"details\":");
        if (text)
            gw_jw_raw(&w, text);
        free(text);
    }
    json_decref(details);
    if (attempts_left >= 0) {
        gw_jw_raw(&w, ",\"attempts_left\":");
        gw_jw_int(&w, attempts_left);
    }
    if (retry_after >= 0) {
        gw_jw_raw(&w, ",\"retry_after\":");
        gw_jw_int(&w, retry_after);
    }
    gw_jw_raw(&w, "}}");
    if (gw_jw_answer(&w, ans, e->http) != 0)
        return gw_answer_json(ans, 500, NULL); /* a bare 500, as when out of memory */
    /* Retry-After: 0 would invite an instant retry storm; say at least one second. */
    if (retry_after >= 0)
        ans->retry_after = retry_after > 0 ? (unsigned)retry_after : 1;
    return 0;
}

int gw_errors_answer_status(gw_answer_t *ans, int status) {
    return gw_errors_answer(ans, gw_errors_status(status), NULL, -1, -1);
}

int gw_errors_answer_reply(gw_answer_t *ans, const Dvcid__Error *err) {
    json_t *details = NULL;
    if (err->n_details > 0) {
        details = json_array();
        for (size_t i = 0; details && i < err->n_details; i++) {
            const Dvcid__FieldError *fe = err->details[i];
            if (fe &&
                !gw_errors_detail(details, fe->field ? fe->field : "", fe->code ? fe->code : "")) {
                json_decref(details);
                details = NULL;
            }
        }
        if (!details)
            return gw_answer_json(ans, 500, NULL);
    }
    long attempts = err->attempts_left ? (long)err->attempts_left->value : -1;
    long retry = err->retry_after ? (long)err->retry_after->value : -1;
    return gw_errors_answer(ans, gw_errors_status(err->status), details, attempts, retry);
}

json_t *gw_errors_detail(json_t *details, const char *field, const char *code) {
    if (!details)
        return NULL;
    if (json_array_append_new(details, json_pack("{s:s, s:s}", "field", field, "code", code)) != 0)
        return NULL;
    return details;
}
