#!/usr/bin/env python3
"""make_corpus: writes the seed corpora of tests/fuzz/corpus/<target>/ (tests/fuzz/README.md).

The seeds are small valid and invalid examples of each target's input, named by what
they show. Protobuf seeds are written in text format here and encoded with
`protoc-c --encode`, so they stay readable and follow proto/*.proto. Files this script
does not know (crash reproducers added by hand, inputs libFuzzer found) are left alone.
Run from anywhere: tests/fuzz/make_corpus.py
"""

import os
import struct
import subprocess
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(FUZZ))
CORPUS = os.path.join(FUZZ, "corpus")

# --- protobuf: dvcid.Request ------------------------------------------------------
ENVELOPE = 'request_id: 7 deadline_ms: 1764097200000 client_ip: "203.0.113.7" ' \
           'trace_id: "0123456789abcdef" '

REQUESTS = {
    "ping": "ping {}",
    "captcha_new": "captcha_new {}",
    "reg_start": 'reg_start { id_number: "001099012345" full_name: "Nguyễn Văn An" '
                 'date_of_birth: "1999-05-12" phone: "0912345678" email: "an@example.vn" '
                 'captcha_id: "c1" captcha_answer: "ABCD" }',
    "reg_resend": 'reg_resend { registration_id: "0190f0a1b2c3d4e5f60718293a4b5c6d" }',
    "reg_verify": 'reg_verify { registration_id: "0190f0a1b2c3d4e5f60718293a4b5c6d" '
                  'code: "123456" }',
    "reg_password": 'reg_password { registration_id: "r1" password: "Tr0ng!Dong2024" '
                    'password_confirm: "Tr0ng!Dong2024" }',
    "login_start": 'login_start { id_number: "001099012345" password: "Tr0ng!Dong2024" '
                   'captcha_id: "c1" captcha_answer: "ABCD" }',
    "login_method": 'login_method { login_id: "l1" method_id: "m2" }',
    "reset_start": 'reset_start { id_number: "001099012345" phone: "0912345678" '
                   'captcha_id: "c1" captcha_answer: "ABCD" }',
    "me_add_phone": 'me_add_phone { token: "t0k3n" phone: "+84987654321" }',
    "jwks_get": "jwks_get {}",
    "otp_issue": r'otp_issue { flow_id: "\001\220\360\241\262\303\324\345\366\007\030\051'
                 r'\072\113\134\155" purpose: PURPOSE_REGISTER phone: "+84912345678" }',
    "otp_issue_silent": r'otp_issue { flow_id: "\001\002" purpose: PURPOSE_PASSWORD_RESET '
                        r'phone: "+84912345678" silent: true }',
    "otp_resend": r'otp_resend { flow_id: "\001\002" purpose: PURPOSE_PHONE_CHANGE '
                  r'phone: "+84987654321" }',
    "otp_verify": r'otp_verify { flow_id: "\001\002" purpose: PURPOSE_LOGIN code: "654321" }',
    "otp_notice": 'otp_notice { message_id: "notice-1" phone: "+84912345678" }',
    "sms_send": 'sms_send { message_id: "m-1" phone: "+84912345678" purpose: PURPOSE_REGISTER '
                'code: "123456" lang: "vi" }',
}

# --- protobuf: dvcid.Reply ---------------------------------------------------------
OTP = 'otp { phone_masked: "091****678" length: 6 expires_in: 300 resend_after: 60 }'
REPLIES = {
    "pong": 'pong { service: "account-svc" ready: true }',
    "pong_not_ready": 'pong { service: "account-svc" }',
    "captcha": 'captcha { captcha_id: "c1" answer: "AB3D7" }',
    "captcha_empty_answer": 'captcha { captcha_id: "c1" }',
    "reg_start": 'reg_start { registration_id: "r1" %s }' % OTP,
    "reg_start_no_otp": 'reg_start { registration_id: "r1" }',
    "otp_sent": "otp_sent { %s }" % OTP,
    "flow_state": 'flow_state { state: "otp_verified" }',
    "account": 'account { id_number: "001099012345" phone_masked: "091****678" }',
    "login_start": 'login_start { login_id: "l1" %s methods { method_id: "m1" '
                   'phone_masked: "091****678" primary: true } methods { method_id: "m2" '
                   'phone_masked: "098****321" } }' % OTP,
    "session": 'session { token: "t0k3n" expires_in: 28800 access_token: "a.b.c" }',
    "me": 'me { id_number: "001099012345" full_name: "Nguyễn Văn An" phones { '
          'phone_masked: "091****678" primary: true } }',
    "jwks": 'jwks { keys { kid: "k1" x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } }',
    "otp_verified": 'otp_verified { phone: "+84912345678" }',
    "sms_ack": 'sms_ack { message_id: "m-1" duplicate: true }',
    "error_validation": 'error { status: STATUS_VALIDATION_FAILED details { field: "phone" '
                        'code: "invalid" } details { field: "full_name" code: "not_nfc" } }',
    "error_otp_invalid": "error { status: STATUS_OTP_INVALID attempts_left { value: 2 } }",
    "error_rate_limited": "error { status: STATUS_RATE_LIMITED retry_after { value: 45 } }",
    "error_unavailable": "error { status: STATUS_UNAVAILABLE }",
    "error_with_body": 'error { status: STATUS_INTERNAL } pong { service: "x" ready: true }',
    "error_ok_status": "error { }",
}

# --- protobuf: store records (first byte: the type, in fuzz_proto_store.c's order) -
STORE = [
    ("registration", 'id_number: "001099012345" full_name: "Nguyễn Văn An" '
                     'date_of_birth: "1999-05-12" phone: "+84912345678" state: 2 '
                     'created_ms: 1764097200000 expires_ms: 1764099000000'),
    ("phone", 'e164: "+84912345678" primary: true added_ms: 1764097200000'),
    ("account", r'account_id: "\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017'
                r'\020" full_name: "Nguyễn Văn An" date_of_birth: "1999-05-12" '
                r'phones { e164: "+84912345678" primary: true } phones { e164: "+84987654321" } '
                r'password_hash: "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g" '
                r'created_ms: 1764097200000 session_gen: 3'),
    ("flow", 'kind: 1 id_number: "001099012345" state: 2 phone: "+84912345678" '
             'new_phone: "+84987654321" expires_ms: 1764099000000 decoy: true'),
    ("session", r'id_number: "001099012345" gen: 3 created_ms: 1 expires_ms: 2 '
                r'add_flow: "\001\002"'),
    ("failures", "count: 4 locks: 1 consecutive: 9 locked_until_ms: 1764097200000 "
                 "updated_ms: 1764097100000"),
    ("notice", 'phone: "+84912345678" created_ms: 1764097200000'),
    ("captcha", r'answer_hash: "\377\376\375\374\373\372\371\370\367\366\365\364\363\362\361'
                r'\360" expires_ms: 1764097500000'),
    ("challenge", r'purpose: 1 phone: "+84912345678" code_hash: "\001\002\003\004" '
                  r'expires_ms: 1764097500000 attempts_left: 5 sends: 1 '
                  r'last_sent_ms: 1764097200000 used: false silent: true'),
    ("window", "start_ms: 1764097200000 count: 4"),
    ("sms_job", r'message_id: "m-1" sealed: "\000\001\002\003\004\005\006\007\010\011\012'
                r'\013\014\015\016\017\020\021\022\023\024\025\026\027xyz" purpose: 1 state: 2 '
                r'tries: 3 created_ms: 1 next_try_ms: 2 sent_ms: 3'),
    ("sms_send", 'message_id: "m-1" phone: "+84912345678" purpose: PURPOSE_LOGIN '
                 'code: "123456" lang: "vi"'),
]
STORE_TYPES = {
    "registration": "dvcid.store.Registration", "phone": "dvcid.store.Phone",
    "account": "dvcid.store.Account", "flow": "dvcid.store.Flow",
    "session": "dvcid.store.Session", "failures": "dvcid.store.Failures",
    "notice": "dvcid.store.Notice", "captcha": "dvcid.store.Captcha",
    "challenge": "dvcid.store.Challenge", "window": "dvcid.store.Window",
    "sms_job": "dvcid.store.SmsJob", "sms_send": "dvcid.SmsSend",
}

# Byte strings no encoder makes: each decoder must refuse or survive them.
BROKEN_WIRE = {
    "empty": b"",
    "truncated_varint": b"\x08\xff\xff",
    "varint_too_long": b"\x08" + b"\xff" * 10 + b"\x01",
    "length_past_end": b"\x1a\x7f" + b"abc",
    "length_huge": b"\x1a\xff\xff\xff\xff\x0f" + b"abc",
    "wire_type_7": b"\x0f\x00",
    "field_zero": b"\x00\x01",
    "unknown_fields": b"\xf8\x07\x01\xfa\x07\x03abc\xfd\x07\x01\x02\x03\x04",
    "group_start": b"\x0b\x08\x01\x0c",
    "string_not_utf8": b"\x1a\x03\xff\xfe\xfd",
    "string_with_nul": b"\x1a\x05ab\x00cd",
}


def protoc_encode(message_type, text):
    out = subprocess.run(
        ["protoc-c", "--proto_path=" + ROOT, "--encode=" + message_type,
         "proto/dvcid.proto", "proto/store.proto"],
        input=text.encode("utf-8"), stdout=subprocess.PIPE, check=True, cwd=ROOT)
    return out.stdout


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def proto_seeds():
    for name, body in REQUESTS.items():
        write("proto_request", name, protoc_encode("dvcid.Request", ENVELOPE + body))
    # Two oneof members in one message: the decoder must keep one and free the other.
    two = protoc_encode("dvcid.Request", ENVELOPE + REQUESTS["reg_verify"]) + \
        protoc_encode("dvcid.Request", REQUESTS["otp_verify"])
    write("proto_request", "two_bodies", two)
    for name, body in REPLIES.items():
        write("proto_reply", name, protoc_encode("dvcid.Reply", "request_id: 7 " + body))
    two = protoc_encode("dvcid.Reply", REPLIES["reg_start"]) + \
        protoc_encode("dvcid.Reply", REPLIES["flow_state"])
    write("proto_reply", "two_bodies", two)
    for i, (name, text) in enumerate(STORE):
        write("proto_store", name, bytes([i]) + protoc_encode(STORE_TYPES[name], text))
    for name, data in BROKEN_WIRE.items():
        write("proto_request", "broken_" + name, data)
        write("proto_reply", "broken_" + name, data)
    for i, name in enumerate(["empty", "truncated_varint", "length_past_end",
                              "unknown_fields", "string_not_utf8"]):
        write("proto_store", "broken_" + name, bytes([i * 2 + 1]) + BROKEN_WIRE[name])


# --- HTTP: "METHOD /path" then the JSON body -----------------------------------------
REG = ('{"id_number":"001099012345","full_name":"Nguyễn Văn An","date_of_birth":"1999-05-12",'
       '"phone":"0912345678","email":"an@example.vn","captcha_id":"c1","captcha_answer":"ABCD"}')
RID = "/v1/registrations/0190f0a1b2c3d4e5f60718293a4b5c6d"
HTTP = {
    "reg_start": "POST /v1/registrations\n" + REG,
    "reg_start_no_email": "POST /v1/registrations\n" + REG.replace(',"email":"an@example.vn"', ""),
    "reg_start_null_email": "POST /v1/registrations\n" + REG.replace('"an@example.vn"', "null"),
    "reg_start_missing": 'POST /v1/registrations\n{"id_number":"001099012345"}',
    "reg_start_types": 'POST /v1/registrations\n{"id_number":1,"full_name":[],"phone":{},'
                       '"date_of_birth":true,"captcha_id":null,"captcha_answer":1.5}',
    "reg_start_too_long": 'POST /v1/registrations\n{"full_name":"%s"}' % ("A" * 1100),
    "reg_start_duplicate_key": 'POST /v1/registrations\n{"phone":"0912345678","phone":"1"}',
    "reg_start_escapes": 'POST /v1/registrations\n{"full_name":"Nguy\\u1ec5n \\"A\\"\\n",'
                         '"phone":"\\ud83d\\ude00"}',
    "reg_start_nul_escape": 'POST /v1/registrations\n{"full_name":"a\\u0000b"}',
    "reg_start_not_object": "POST /v1/registrations\n[1,2,3]",
    "reg_start_trailing": 'POST /v1/registrations\n{"phone":"0912345678"} {}',
    "reg_start_not_utf8": b'POST /v1/registrations\n{"full_name":"\xc3\x28"}',
    "reg_start_nested": "POST /v1/registrations\n" + '{"a":' * 64 + "1" + "}" * 64,
    "reg_start_empty": "POST /v1/registrations\n",
    "reg_verify": "POST " + RID + '/otp/verify\n{"code":"123456"}',
    "reg_verify_number": "POST " + RID + '/otp/verify\n{"code":123456}',
    "reg_resend": "POST " + RID + "/otp/resend\n",
    "reg_password": "POST " + RID + '/password\n{"password":"Tr0ng!Dong2024",'
                                    '"password_confirm":"Tr0ng!Dong2024"}',
    "reg_password_id_too_long": "POST /v1/registrations/" + "a" * 65 + "/password\n{}",
    "captcha": "POST /v1/captcha\n",
    "captcha_body_ignored": 'POST /v1/captcha\n{"x":1}',
    "readyz": "GET /readyz\n",
    "head_page": "HEAD /\n",
    "bad_method": "DELETE /v1/registrations\n{}",
    "not_found": "POST /v1/nothing\n{}",
    "login": 'POST /v1/logins\n{"id_number":"001099012345","password":"Tr0ng!Dong2024",'
             '"captcha_id":"c1","captcha_answer":"ABCD"}',
    "login_method": 'POST /v1/logins/l1/otp/method\n{"method_id":"m2"}',
    "login_verify": 'POST /v1/logins/l1/otp/verify\n{"code":"123456"}',
    "login_phone": 'POST /v1/logins/l1/phone\n{"new_phone":"0987654321"}',
    "login_phone_verify": 'POST /v1/logins/l1/phone/verify\n{"code":"123456"}',
    "reset": 'POST /v1/password-resets\n{"id_number":"001099012345","phone":"0912345678",'
             '"captcha_id":"c1","captcha_answer":"ABCD"}',
    "reset_password": 'POST /v1/password-resets/p1/password\n{"password":"Tr0ng!Dong2024",'
                      '"password_confirm":"x"}',
    "me": "GET /v1/me\n",
    "me_phones": 'POST /v1/me/phones\n{"phone":"0987654321"}',
    "logout": "POST /v1/logout\n",
    "jwks": "GET /.well-known/jwks.json\n",
    "login_resend": "POST /v1/logins/l1/otp/resend\n",
    "reset_resend": "POST /v1/password-resets/p1/otp/resend\n",
    "reset_verify": 'POST /v1/password-resets/p1/otp/verify\n{"code":"123456"}',
    "me_phones_verify": 'POST /v1/me/phones/verify\n{"code":"123456"}',
    "metrics": "GET /metrics\n",
    "healthz": "GET /healthz\n",
}

# --- metrics: the Prometheus texts of several processes, NUL between them ------------
OTP_TEXT = ("# HELP dvcid_otp_issued_total OTPs issued.\n# TYPE dvcid_otp_issued_total counter\n"
            'dvcid_otp_issued_total{service="otp-svc",purpose="register"} 12\n'
            "# HELP dvcid_request_seconds Latency.\n# TYPE dvcid_request_seconds histogram\n"
            'dvcid_request_seconds_bucket{service="otp-svc",op="otp_issue",le="0.001"} 3\n'
            'dvcid_request_seconds_bucket{service="otp-svc",op="otp_issue",le="+Inf"} 12\n'
            'dvcid_request_seconds_sum{service="otp-svc",op="otp_issue"} 0.0123\n'
            'dvcid_request_seconds_count{service="otp-svc",op="otp_issue"} 12\n')
ACCT_TEXT = ("# HELP dvcid_request_seconds Latency.\n# TYPE dvcid_request_seconds histogram\n"
             'dvcid_request_seconds_count{service="account-svc",op="reg_start"} 4\n'
             "# TYPE dvcid_lmdb_map_used_bytes gauge\n"
             'dvcid_lmdb_map_used_bytes{service="account-svc"} 1.048576e+06\n')
METRICS = {
    "two_services": OTP_TEXT + "\0" + ACCT_TEXT,
    "one": OTP_TEXT,
    "type_before_help": "# TYPE a counter\n# HELP a A.\na 1\n\0# HELP a A again.\na 2\n",
    "series_before_head": "orphan 1\n# HELP b B.\nb 2",
    "comments_blank": "# just a comment\n\n#\n# HELP\n# TYPE \nx 1\n",
    "long_name": "# HELP " + "n" * 200 + " long.\n" + "n" * 200 + " 1\n",
    "many_families": "".join("# HELP f%d x\nf%d %d\n" % (i, i, i) for i in range(40)),
    "crlf": "# HELP c C.\r\n# TYPE c gauge\r\nc 1\r\n",
    "empty_texts": "\0\0\0",
    "empty": "",
}

# --- configuration ----------------------------------------------------------------------
CONFIG = {
    "empty": "",
    "comments_only": "; nothing\n# nothing either\n\n",
    "small": "[gateway]\nlisten = 0.0.0.0:8080\n[storage]\ndir = /var/lib/dvcid\n",
    "crlf": "[otp]\r\nlength = 8\r\nttl = 120\r\n",
    "no_final_newline": "[log]\nlevel = debug",
    "inline_comments": "[otp]\nlength = 6 ; digits\nttl = 300    ; seconds\n",
    "unknown_key": "[otp]\nlenght = 6\n",
    "unknown_section": "[nope]\nkey = 1\n",
    "key_before_section": "listen = 1\n",
    "int_bad": "[otp]\nttl = 5 minutes\n",
    "int_range": "[otp]\nlength = 99\n",
    "int_overflow": "[storage]\nmap_size_mib = 99999999999999999999999\n",
    "int_negative": "[gateway]\ntimeout_ms = -1\n",
    "enum_bad": "[sms]\nprovider = carrier-pigeon\n",
    "enum_unbuilt": "[sms]\nprovider = smpp\n",
    "bool": "[gateway]\ncookie_secure = yes\n",
    "bool_bad": "[gateway]\ncookie_secure = maybe\n",
    "too_long": "[storage]\ndir = /" + "d" * 300 + "\n",
    "long_line": "[sms]\nhttp_url = http://x/?" + "q" * 5000 + "\n",
    "section_unclosed": "[gateway\nlisten = 1\n",
    "no_equals": "[gateway]\nlisten\n",
    "repeated_key": "[otp]\nlength = 6\nlength = 7\n",
    "control_chars": "[log]\nlevel = \x1b[31mred\x07\n",
    "routes": "[sms]\nroutes = +8486,+8496,+8432=smpp*3,http*0; *=http,smpp\n",
    "routes_bad": "[sms]\nroutes = 8486=smpp; +84=pigeon; *=http*1001;;+=http\n",
    "routes_twice_many": "[sms]\nroutes = +1=http;+1=smpp;" + ";".join("+%d=http" % i for i in range(40)) + "\n",
    "http_templates": "[sms]\nprovider = http\n"
                      "http_url = http://127.0.0.1:13013/cgi-bin/sendsms?to={to_digits}&text={text}"
                      "&dlr-url={dlr_url}&coding={coding}\n"
                      'http_body = {"to":"{to}","text":"{text}","id":"{message_id}","from":"{sender}"}\n'
                      "http_content_type = application/json\n",
    "http_template_unknown": "[sms]\nhttp_url = http://x/?a={nope}&b={to\nhttp_body = {{}}{TO}{}\n",
}


def config_seeds():
    for name, text in CONFIG.items():
        write("config", name, text)
    for name, path in (("dev_conf", "deploy/dev.conf"), ("prod_conf", "deploy/dvcid.conf")):
        with open(os.path.join(ROOT, path), "rb") as f:
            write("config", name, f.read())


# --- validators: id, dob, phone, name, email, password, confirm -----------------------
def fields(*values):
    return "\n".join(values)


GOOD = ["001099012345", "1999-05-12", "0912345678", "Nguyễn Văn An", "an@example.vn",
        "Tr0ng!Dong2024", "Tr0ng!Dong2024"]
VALIDATE = {
    "valid": fields(*GOOD),
    "valid_cmnd_plus84": fields("123456789", "2000-02-29", "+84 912 345 678", "Lê Thị Ánh-Mai",
                                "", "Mật!Khẩu01Hồ Gươm", "Mật!Khẩu01Hồ Gươm"),
    "valid_2000s": fields("079203000001", "2003-12-31", "84.98.765.4321", "O'Brien Jr.",
                          "a.b+c@sub.example.com.vn", "Aa1!aaaa", "Aa1!aaaa"),
    "id_mismatch": fields("001099012345", "1998-05-12", "0212345678", "Nguyen Van A1",
                          "a@b", "password", "passwort"),
    "id_future": fields("001399012345", "2099-01-01", "1900123456", "  two  spaces ",
                        "@example.vn", "short", ""),
    "id_bad_province": fields("999099012345", "1899-12-31", "+1 212 555 0100", "a",
                              "a..b@example.vn", "ALLUPPER123!", "ALLUPPER123!"),
    "date_bad": fields("", "1999-02-29", "09123456789", "", "x@xn--p1ai", "", ""),
    "date_shapes": fields("00109901234", "99-05-12", "0912-345-678", "Nguyễn  Văn", "a@b.c",
                          "\u00e0\u00e1\u1ea1\u1ea3\u00e3", "x"),
    "name_decomposed": fields("001099012345", "1999-05-12", "0912345678",
                              "Nguye\u0302\u0303n Va\u0306n An", "", "A" * 129, ""),
    "name_long": fields("", "", "", "A" * 101, "a" * 65 + "@example.vn", "Ab1!" * 40, ""),
    "not_utf8": b"\xff\xfe\n\xc0\xaf\n\xed\xa0\x80\n\xf4\x90\x80\x80\n\xe1\x80\n\x80\n",
    "control": "0011\x00990\n1999-05-12\x1b\n0912\t345678\nAn\r\n\x7f@x.vn\nTr0ng!\x01Dong\n",
    "combining_first": fields("", "", "", "\u0301An", "", "\u0301Aa1!aaaa", ""),
    "common_password": fields("", "", "", "", "", "Password1!", "Password1!"),
    "digits_unicode": fields("", "", "", "", "", "Aa\u0663\u0664!aaaa", ""),
    "empty": "",
}

# --- client address: trusted CIDRs, peer, X-Forwarded-For ----------------------------
CLIENT_IP = {
    "untrusted_peer": "10.0.0.0/8\n203.0.113.9\n198.51.100.7",
    "trusted_chain": "10.0.0.0/8 192.168.0.0/16\n10.0.0.2\n198.51.100.7, 192.168.1.1, 10.0.0.3",
    "ipv6": "::1 fd00::/8\n::1\n2001:db8::1, fd00::2",
    "brackets_ports": "127.0.0.1\n127.0.0.1\n[2001:db8::1]:443, 198.51.100.7:8080",
    "garbage_entry": "127.0.0.1/32\n127.0.0.1\n198.51.100.7, not-an-ip, 127.0.0.1",
    "all_trusted": "0.0.0.0/0 ::/0\n1.2.3.4\n5.6.7.8, 9.10.11.12",
    "mapped": "::ffff:10.0.0.0/104\n::ffff:10.1.2.3\n198.51.100.7",
    "bad_cidr": "10.0.0.0/33\n10.0.0.1\n1.2.3.4",
    "bad_cidr_v6": "fd00::/129, ::1\n::1\n1.2.3.4",
    "empty_list": "\n10.0.0.1\n1.2.3.4",
    "commas_blanks": "127.0.0.1\n127.0.0.1\n , ,\t,",
    "long_entry": "127.0.0.1\n127.0.0.1\n" + "1" * 100,
    "sockaddr_in": b"\x02\x00\x1f\x90\x7f\x00\x00\x01" + b"\x00" * 8,
    "sockaddr_in6": b"\x0a\x00\x1f\x90\x00\x00\x00\x00" + b"\x00" * 10 + b"\xff\xff\x0a\x00\x00\x01",
}


# --- session token: Authorization value, Cookie header -------------------------------
SESSION = {
    "bearer": "Bearer 0123456789abcdefABCDEF-._~+/==\n",
    "bearer_case_spaces": "bEaReR    tok3n   \n",
    "basic": "Basic dXNlcjpwYXNz\n",
    "bearer_empty": "Bearer \n",
    "bearer_bad_chars": "Bearer tok en,;\"\n",
    "bearer_long": "Bearer " + "a" * 200 + "\n",
    "cookie": "\ntheme=dark; dvcid_session=0123456789abcdef; lang=vi",
    "cookie_quoted": '\ndvcid_session="abc.def"',
    "cookie_first_empty": "\ndvcid_session=; dvcid_session=second",
    "cookie_case": "\nDVCID_SESSION=upper; dvcid_session2=x",
    "cookie_spaces_tabs": "\n \t dvcid_session =\t v1 \t;",
    "cookie_no_equals": "\ndvcid_session; a=b;;; =c",
    "cookie_long": "\ndvcid_session=" + "b" * 300,
    "both": "Bearer t1\ndvcid_session=t2",
    "empty": "",
}


# --- SMPP: PDUs an SMSC sends the smpp provider ----------------------------------------
def smpp_pdu(command_id, body, seq=7, status=0, length=None):
    return struct.pack(">IIII", 16 + len(body) if length is None else length, command_id,
                       status, seq) + body


def deliver_sm(sm, esm=0x04, tlvs=b"", sm_length=None):
    def cstr(text):
        return text.encode() + b"\0"
    body = (cstr("") + bytes([1, 1]) + cstr("84912345678") + bytes([5, 0]) + cstr("DVCQG")
            + bytes([esm, 0, 0]) + cstr("") + cstr("") + bytes([0, 0, 0, 0])
            + bytes([len(sm) if sm_length is None else sm_length]) + sm + tlvs)
    return smpp_pdu(0x00000005, body)


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


RECEIPT = ("id:0123456789 sub:001 dlvrd:001 submit date:2511252100 done date:2511252101 "
           "stat:%s err:000 text:Ma OTP cua ban")
SMPP = {
    "dlr_delivered": deliver_sm((RECEIPT % "DELIVRD").encode()),
    "dlr_undeliv": deliver_sm((RECEIPT % "UNDELIV").encode()),
    "dlr_expired": deliver_sm((RECEIPT % "EXPIRED").encode()),
    "dlr_enroute": deliver_sm((RECEIPT % "ENROUTE").encode()),
    "dlr_tlvs": deliver_sm(b"stat:DELIVRD", tlvs=tlv(0x001E, b"abc123\0") + tlv(0x0427, b"\x02")),
    "dlr_tlv_state_only": deliver_sm(b"", tlvs=tlv(0x0427, b"\x05")),
    "dlr_id_long": deliver_sm(b"id:" + b"9" * 120 + b" stat:DELIVRD"),
    "mo_message": deliver_sm(b"Xin chao", esm=0x00),
    "truncated": deliver_sm((RECEIPT % "DELIVRD").encode())[:40],
    "length_says_more": smpp_pdu(0x00000005, b"\0\1\1", length=4096),
    "length_says_less": smpp_pdu(0x00000005, b"\0\1\1abc\0", length=8),
    "sm_length_past_end": deliver_sm(b"id:1", sm_length=200),
    # A TLV running past the end leaks in libsmpp34: repro/smpp-deliver_sm-tlv-past-end.leak
    "tlv_many": deliver_sm(b"stat:DELIVRD", tlvs=b"".join(tlv(0x1400 + i, b"x" * i) for i in range(40))),
    "submit_sm_resp": smpp_pdu(0x80000004, b"msg-0001\0"),
    "submit_sm_resp_vendor_status": smpp_pdu(0x80000004, b"", status=0x00000400),
    "enquire_link": smpp_pdu(0x00000015, b""),
    "body_no_nul": b"msg-without-terminator",
    "empty": b"",
}


def main():
    proto_seeds()
    for name, text in HTTP.items():
        write("http_body", name, text)
    config_seeds()
    for name, text in VALIDATE.items():
        write("validate", name, text)
    for name, text in CLIENT_IP.items():
        write("client_ip", name, text)
    for name, text in SESSION.items():
        write("session", name, text)
    for name, data in SMPP.items():
        write("smpp", name, data)
    for name, text in METRICS.items():
        write("metrics_merge", name, text)
    for target in sorted(os.listdir(CORPUS)):
        print("%-15s %3d files" % (target, len(os.listdir(os.path.join(CORPUS, target)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
