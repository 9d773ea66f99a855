/*
 * Forms of the web page and the API they talk to: one JSON call helper, the checks done
 * here for comfort (the server is the authority), each error shown next to the field it
 * concerns (the API's details[].field), and the captcha of the forms that have one.
 */

import { MSG } from './text.js';
import { lang, setMsg, t } from './i18n.js';

// ---------------------------------------------------------------------------------------
// The API

/* One JSON request to the gateway. Never throws: answers {ok, status, data} or
 * {ok: false, status, error} where error is the API's error object ({code, message,
 * details?, attempts_left?, retry_after?}) or {code: 'network'}. The session cookie
 * (HttpOnly) goes along by itself: the script never sees the token. The page's language
 * goes along too (Accept-Language, and "lang" in every body): the SMS a step sends is
 * worded in it. */
export async function api(method, path, body) {
  const init = {
    method, headers: { Accept: 'application/json', 'Accept-Language': lang }, credentials: 'same-origin',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify({ ...body, lang });
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, error: { code: 'network' } };
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (res.ok) return { ok: true, status: res.status, data };
  const error = data && typeof data.error === 'object' && data.error ? data.error
    : { code: 'http_' + res.status, message: '' };
  return { ok: false, status: res.status, error };
}

export const seg = (id) => encodeURIComponent(id);

// ---------------------------------------------------------------------------------------
// Forms: values, checks done here for comfort (the server is the authority), and errors
// shown next to the field they concern.

export function field(form, name) {
  const el = form.elements.namedItem(name);
  return el instanceof HTMLInputElement ? el : null;
}

function errorBox(input) {
  return input.closest('.field')?.querySelector('.field-error') ?? null;
}

export function setFieldError(input, msg) {
  setMsg(errorBox(input), msg);
  if (msg) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

export function setAlert(form, msg) {
  const box = form.querySelector('.form-alert');
  box.tabIndex = -1; // focusable from script, so focus can be moved to the news
  setMsg(box, msg);
}

export function clearErrors(form) {
  setAlert(form, null);
  for (const input of form.querySelectorAll('input')) {
    if (errorBox(input)) setFieldError(input, null);
  }
}

/* Field name in the API -> input name on the page, where they differ. */
const FIELD_ALIAS = { captcha_id: 'captcha_answer' };

/* Fields whose messages are another field's (a new phone is a phone). */
const MSG_AS = { new_phone: 'phone' };

/* The message for one detail {field, code} of a 422, or of a check done here. */
function detailMsg(name, code, vars) {
  for (const key of [`f.${MSG_AS[name] || name}.${code}`, `f.any.${code}`]) {
    if (MSG[key]) return { key, vars };
  }
  return { key: 'f.any.invalid' };
}

/* Errors that concern one field even without details. */
const ERROR_FIELD = {
  captcha_invalid: 'captcha_answer',
  account_exists: 'id_number',
  otp_invalid: 'code',
  otp_expired: 'code',
  otp_attempts_exceeded: 'code'
};

/* Shows a failed answer on form: each detail next to its field, an error that concerns
 * one field next to it, anything else at the top of the form; then focuses the first
 * field in error (or the alert), so keyboard and screen-reader users land on it. */
/* A wait in words: "40 giây", "15 phút". */
export const duration = (s) => (s < 90 ? t('dur.s', { n: s }) : t('dur.m', { n: Math.ceil(s / 60) }));

export function showError(form, error) {
  clearErrors(form);
  const marked = [];
  const mark = (name, msg) => {
    const input = field(form, FIELD_ALIAS[name] || name);
    if (!input) return false;
    if (!marked.includes(input)) {
      setFieldError(input, msg);
      marked.push(input);
    }
    return true;
  };
  let placed = false;
  if (Array.isArray(error.details) && error.details.length) {
    for (const d of error.details) {
      if (d && typeof d.field === 'string') placed = mark(d.field, detailMsg(d.field, d.code)) || placed;
    }
  }
  const target = ERROR_FIELD[error.code];
  if (!placed && target) placed = mark(target, { err: error });
  if (!placed) {
    // A wait the server asked for is said in numbers: "try again in 40 seconds".
    setAlert(form, error.retry_after
      ? { parts: [{ err: error }, { key: 'err.retry', vars: { time: duration(error.retry_after) } }] }
      : { err: error });
  }
  // Elements sorted in page order, so focus goes to the first one a person would read.
  const first = marked.sort((a, b) => (a.compareDocumentPosition(b) & 4 ? -1 : 1))[0];
  if (first) first.focus();
  else form.querySelector('.form-alert:not([hidden])')?.focus();
}

/* Runs checks {name: fn(value) -> null | code | {code, vars}} over form; shows every
 * failure next to its field and focuses the first. Returns true when all passed. */
export function checkForm(form, checks) {
  clearErrors(form);
  let first = null;
  for (const [name, check] of Object.entries(checks)) {
    const input = field(form, name);
    if (!input) continue;
    let res = check(input.value);
    if (!res) continue;
    if (typeof res === 'string') res = { code: res };
    setFieldError(input, detailMsg(name, res.code, res.vars));
    first = first || input;
  }
  if (first) first.focus();
  return !first;
}

export const digits = (v) => v.replace(/[\s.-]/g, '');
export const CHECK = {
  required: (v) => (v.trim() ? null : 'required'),
  idNumber: (v) => (!v.trim() ? 'required' : /^(\d{9}|\d{12})$/.test(digits(v)) ? null : 'invalid'),
  phone: (v) => (!v.trim() ? 'required' : /^\+?\d{9,12}$/.test(digits(v).replace(/[()]/g, '')) ? null : 'invalid'),
  email: (v) => (!v.trim() || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? null : 'invalid'),
  date: (v) => (!v.trim() ? 'required' : parseDate(v) ? null : 'invalid')
};

/* "05/12/1990", "5-12-1990", "5.12.1990" or "1990-12-05" -> "1990-12-05"; null when it
 * has none of those shapes. Whether the date exists is the server's to say. */
export function parseDate(v) {
  const s = v.trim();
  let m = s.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/);
  if (m) return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  m = s.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  return m ? s : null;
}

/* A name as the server wants it: NFC, single spaces, no spaces around. */
export const cleanName = (v) => v.normalize('NFC').trim().replace(/\s+/g, ' ');

// ---------------------------------------------------------------------------------------
// Captcha: one per form that has [data-captcha]; single use, so a fresh one after every
// answer that consumed it.

export async function loadCaptcha(form) {
  const input = field(form, 'captcha_answer');
  const img = form.querySelector('.captcha-img');
  input.value = '';
  const r = await api('POST', '/v1/captcha');
  if (!r.ok || !r.data || typeof r.data.image !== 'string' || !r.data.image.startsWith('data:image/')) {
    form.dataset.captchaId = '';
    img.removeAttribute('src');
    setFieldError(input, r.ok ? { key: 'captcha.failed' } : { err: r.error });
    return;
  }
  form.dataset.captchaId = r.data.captcha_id;
  img.src = r.data.image;
}

export function setupCaptcha(form) {
  form.querySelector('[data-role="captcha-refresh"]').addEventListener('click', () => {
    setFieldError(field(form, 'captcha_answer'), null);
    loadCaptcha(form).then(() => field(form, 'captcha_answer').focus());
  });
}

/* A failed answer consumed the captcha unless the request was refused before it was
 * checked (shape or field errors: api.md "Order of checks"). */
export function captchaSpent(error) {
  return !['validation_failed', 'invalid_request', 'network'].includes(error.code);
}
