/* gw_page: the placeholder home page (Vietnamese first, UTF-8). */
#include "gw_page.h"

static const char s_html[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"vi\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>dvcid — Cổng dịch vụ công: đăng ký tài khoản</title>\n"
    "<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;"
    "padding:0 1rem;line-height:1.5;color:#1d1d1f}h1{color:#a31d1d;font-size:1.5rem}"
    "code{background:#f3f3f3;padding:0 .25rem}</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>dvcid — Cổng dịch vụ công: đăng ký tài khoản</h1>\n"
    "<p>Dịch vụ đăng ký và đăng nhập tài khoản công dân của Cổng Dịch vụ công quốc gia: "
    "đăng ký bằng số CMND/CCCD và số điện thoại di động, xác thực bằng mã OTP gửi qua SMS.</p>\n"
    "<p>Trang web đầy đủ đang được xây dựng. Trong lúc chờ, có thể dùng giao diện lập trình "
    "(API) JSON tại <code>/v1</code>:</p>\n"
    "<ul>\n"
    "<li><code>POST /v1/captcha</code> — lấy mã xác thực (captcha)</li>\n"
    "<li><code>POST /v1/registrations</code> — bắt đầu đăng ký tài khoản</li>\n"
    "<li><code>POST /v1/registrations/{id}/otp/verify</code> — xác nhận mã OTP</li>\n"
    "<li><code>POST /v1/registrations/{id}/otp/resend</code> — gửi lại OTP</li>\n"
    "<li><code>POST /v1/registrations/{id}/password</code> — đặt mật khẩu, hoàn tất đăng ký</li>\n"
    "</ul>\n"
    "<p>Tài liệu API: tệp <code>docs/api.md</code> trong mã nguồn (mô tả đầy đủ các bước, "
    "mã lỗi và ví dụ). Trạng thái dịch vụ: "
    "<a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a>.</p>\n"
    "</body>\n"
    "</html>\n";

const char *gw_page_html(void) { return s_html; }
