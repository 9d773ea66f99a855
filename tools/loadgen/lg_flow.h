/* lg_flow: the flows a load run drives, as state machines over HTTP steps: which request
 * each step sends, what answer it expects, and what it keeps from the answer (captcha id,
 * registration id, login id) for the next step. No I/O: the worker (lg_worker) sends what
 * lg_flow_request writes and hands each answer to lg_flow_answer.
 *   get         GET a fixed path (the HTTP ceiling against nginx, or any page)
 *   register    captcha -> start -> OTP verify -> password (argon2id hash)
 *   otp         captcha -> start -> OTP verify
 *   start       captcha -> start
 *   login       captcha -> sign-in start (argon2id verify) -> OTP verify
 *   resend      captcha -> start -> resend -> OTP verify (needs otp.resend_after = 0)
 *   wrong-code  captcha -> start -> N wrong codes (each answered 400 otp_invalid) -> verify
 * Without the captcha step (--no-captcha) the start sends a made-up captcha id, which the
 * server's captcha.test_answer lets through. Codes are the server's otp.test_code. */
#ifndef LG_FLOW_H
#define LG_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lg_ident.h"

typedef enum {
    LG_STEP_GET,
    LG_STEP_CAPTCHA,
    LG_STEP_REG_START,
    LG_STEP_REG_RESEND,
    LG_STEP_REG_WRONG,
    LG_STEP_REG_VERIFY,
    LG_STEP_REG_PASSWORD,
    LG_STEP_LOGIN_START,
    LG_STEP_LOGIN_VERIFY,
    LG_NSTEPS
} lg_step_t;

typedef enum {
    LG_FLOW_GET,
    LG_FLOW_REGISTER,
    LG_FLOW_OTP,
    LG_FLOW_START,
    LG_FLOW_LOGIN,
    LG_FLOW_RESEND,
    LG_FLOW_WRONG,
    LG_NFLOWS
} lg_flow_kind_t;

#define LG_FLOW_ID_MAX 64 /* longest flow or captcha id kept from an answer */

/* What the flows need from the command line. Strings are borrowed for the whole run. */
typedef struct {
    const char *base_path;      /* path prefix of the URL ("" for none) */
    const char *get_path;       /* the path of the get flow */
    const char *test_code;      /* the server's otp.test_code */
    const char *captcha_answer; /* the server's captcha.test_answer */
    const char *password;       /* the password of every account made or used */
    const char *full_name;
    bool captcha_step; /* ask for a captcha first (else a made-up captcha id) */
    int wrong;         /* wrong codes per wrong-code flow (>= 1) */
} lg_flow_opts_t;

typedef struct {
    lg_flow_kind_t kind;
    const lg_step_t *prog; /* the steps, in order */
    int len, pos;
    int wrong_left;
    char id_number[LG_ID_LEN + 1];
    char dob[11];
    char phone[LG_PHONE_LEN + 1];
    char captcha_id[LG_FLOW_ID_MAX + 1];
    char flow_id[LG_FLOW_ID_MAX + 1];
} lg_flow_t;

typedef enum { LG_FLOW_NEXT, LG_FLOW_DONE, LG_FLOW_FAILED } lg_flow_result_t;

/* Names: "captcha", "reg_start", ...; "register", "wrong-code", .... */
const char *lg_step_name(lg_step_t step);
const char *lg_flow_name(lg_flow_kind_t kind);

/* The flow kind called name, or -1. */
int lg_flow_kind(const char *name);

/* Starts a flow of kind for a person (id_number, dob, phone; dob and phone unused by login,
 * id_number unused by get). nonce makes the made-up captcha id (no captcha step). */
void lg_flow_begin(lg_flow_t *self, const lg_flow_opts_t *opts, lg_flow_kind_t kind,
                   const char *id_number, const char *dob, const char *phone, uint64_t nonce);

/* The step the flow is at (valid until lg_flow_answer says DONE or FAILED). */
lg_step_t lg_flow_step(const lg_flow_t *self);

/* Writes the current step's request: *method (a literal), path (with the base path) and the
 * JSON body (body_len 0 for none). Returns 0, or -1 when a buffer is too small. */
int lg_flow_request(const lg_flow_t *self, const lg_flow_opts_t *opts, const char **method,
                    char *path, size_t path_cap, char *body, size_t body_cap, size_t *body_len);

/* Takes the answer to the current step. NEXT: the flow moved to its next step; DONE: that
 * was the last one; FAILED: not the expected answer, with the reason in err ("429
 * rate_limited", "201 without registration_id", ...). */
lg_flow_result_t lg_flow_answer(lg_flow_t *self, int status, const char *body, size_t len,
                                char *err, size_t err_cap);

#endif
