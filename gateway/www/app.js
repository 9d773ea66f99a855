/*
 * dvcid web page: the account screens of the National Public Service Portal user guide,
 * driven by the JSON API under /v1 (api.md section 3). Plain JavaScript, no framework and
 * nothing from another origin: the Content-Security-Policy allows only the page's own files.
 *
 * How it is put together:
 *  - index.html holds each screen as a <template>. A screen is cloned the first time it is
 *    shown and then kept, but only the shown one is attached to <main>. So the document
 *    never holds two "Mật khẩu" fields or two "Đăng ký" buttons (a person, a screen reader
 *    and a test all find the one they see), and a screen keeps what was typed when the
 *    user comes back to it.
 *  - `flow` is the one flow in progress (registration, sign-in, ...): its id and its OTP
 *    deadlines. The OTP screen renders from it, whichever flow it is.
 *  - The other modules: text.js (every word, both languages), i18n.js (the language
 *    switch), forms.js (the API call, checks, errors next to their fields, the captcha).
 */

import { lang, readStorage, setLanguage, setMsg, t, translate, writeStorage } from './i18n.js';
import {
  api, captchaSpent, CHECK, checkForm, cleanName, clearErrors, digits, field, loadCaptcha,
  parseDate, seg, setAlert, setFieldError, setupCaptcha, showError
} from './forms.js';

// ---------------------------------------------------------------------------------------
// Language

function setLang(next) {
  setLanguage(next);
  const toggle = document.getElementById('lang-toggle');
  // The button names the other language, in that language.
  toggle.textContent = lang === 'en' ? 'Tiếng Việt' : 'English';
  toggle.lang = lang === 'en' ? 'vi' : 'en';
  if (current) {
    SCREENS[current].render?.(SCREENS[current].node);
    document.title = pageTitle();
  }
}

/* Disables form's buttons while fn runs, so a double press sends one request. */
async function busy(form, fn) {
  const buttons = [...form.querySelectorAll('button')].filter((b) => !b.disabled);
  form.setAttribute('aria-busy', 'true');
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await fn();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute('aria-busy');
    if (current) SCREENS[current].render?.(SCREENS[current].node); // re-applies timed disables
  }
}

// ---------------------------------------------------------------------------------------
// Flow state and timers

/* The flow in progress: {kind, id, otp, ...}. kind names what the OTP screen confirms:
 * register | login | phone (lost phone, inside a sign-in) | reset | add_phone | unlock. */
let flow = null;

function setOtp(otp) {
  const now = Date.now();
  flow.otp = {
    phone: otp.phone_masked || '',
    length: otp.length || 6,
    expiresAt: now + (otp.expires_in || 0) * 1000,
    resendAt: now + (otp.resend_after || 0) * 1000,
    dead: false
  };
}

/* Seconds until ms (epoch), at least 0. */
const secondsUntil = (ms) => Math.max(0, Math.ceil((ms - Date.now()) / 1000));
const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

/* A rate-limited answer says when to try again: move the resend deadline there. */
function noteRetry(error) {
  if (flow && flow.otp && error.retry_after) {
    flow.otp.resendAt = Math.max(flow.otp.resendAt, Date.now() + error.retry_after * 1000);
  }
}

/* One ticker for every countdown: the shown screen's render() reads the clock. */
let ticker = 0;
function startTicker() {
  if (!ticker) ticker = setInterval(() => current && SCREENS[current].render?.(SCREENS[current].node), 1000);
}
function stopTicker() {
  clearInterval(ticker);
  ticker = 0;
}

/* Shows "wait N s" in waitEl and keeps button disabled until flow's resend time. */
function renderCooldown(button, waitEl) {
  const left = flow && flow.otp ? secondsUntil(flow.otp.resendAt) : 0;
  button.disabled = left > 0 || button.closest('form').hasAttribute('aria-busy');
  setMsg(waitEl, left > 0 ? { key: 'wait.send', vars: { seconds: left } } : null, { hide: false });
  return left;
}

// ---------------------------------------------------------------------------------------
// Sessions: the cookie is HttpOnly, so the page only remembers that it signed in, to
// know whether asking GET /v1/me on a reload makes sense.

const SIGNED_KEY = 'dvcid.signedIn';
const signedIn = () => readStorage(sessionStorage, SIGNED_KEY) === '1';
function setSignedIn(yes) {
  writeStorage(sessionStorage, SIGNED_KEY, yes ? '1' : null);
}

// ---------------------------------------------------------------------------------------
// Screens: {setup(node) once, show(node, params) each time, render(node) on every tick
// and language change, hide() when left, restorable() for the back button}.

const $ = (node, role) => node.querySelector(`[data-role="${role}"]`);

const SCREENS = {
  home: {
    show(node, params = {}) {
      setMsg($(node, 'notice'), params.notice || null);
      $(node, 'profile-link').hidden = !signedIn();
    }
  },

  'register-type': {
    setup(node) {
      const citizen = $(node, 'citizen');
      citizen.addEventListener('click', () => {
        citizen.setAttribute('aria-pressed', 'true');
        $(node, 'ways').hidden = false;
        $(node, 'ways').querySelector('button:not([disabled])').focus();
      });
    }
  },

  register: {
    setup(node) {
      const form = node.querySelector('form');
      setupCaptcha(form);
      // "Account exists": the guide's way out is "Quên mật khẩu", one press away.
      $(node, 'to-forgot').addEventListener('click', () => {
        const id = field(form, 'id_number').value;
        show('forgot');
        field(SCREENS.forgot.node.querySelector('form'), 'id_number').value = id;
      });
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        $(node, 'exists').hidden = true;
        const ok = checkForm(form, {
          id_number: CHECK.idNumber,
          full_name: CHECK.required,
          date_of_birth: CHECK.date,
          phone: CHECK.phone,
          email: CHECK.email,
          captcha_answer: CHECK.required
        });
        if (ok) busy(form, () => startRegistration(form));
      });
    },
    show(node) {
      const form = node.querySelector('form');
      if (!form.dataset.captchaId) loadCaptcha(form);
    }
  },

  otp: {
    setup(node) {
      const form = node.querySelector('form');
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const length = flow.otp.length;
        const ok = checkForm(form, {
          code: (v) => (!v.trim() ? 'required' : new RegExp(`^\\d{${length}}$`).test(v.trim()) ? null
            : { code: 'invalid', vars: { length } })
        });
        if (ok) busy(form, () => verifyOtp(form));
      });
      $(node, 'resend').addEventListener('click', () => busy(form, () => resendOtp(form)));
      $(node, 'other-method').addEventListener('click', () => show('method'));
      $(node, 'lost-phone').addEventListener('click', () => show('new-phone'));
      $(node, 'back').addEventListener('click', () => show(OTP[flow.kind].back));
    },
    show(node, params = {}) {
      const form = node.querySelector('form');
      clearErrors(form);
      if (params.fresh) field(form, 'code').value = '';
      setMsg($(node, 'status'), params.status || null, { hide: false });
      $(node, 'login-extras').hidden = flow.kind !== 'login';
      field(form, 'code').maxLength = flow.otp.length;
      startTicker();
    },
    render(node) {
      const o = flow.otp;
      const sent = { reset: 'otp.sent.reset', unlock: 'otp.sent.unlock' }[flow.kind] || 'otp.sent';
      $(node, 'title').textContent = t('otp.title.' + flow.kind);
      $(node, 'sent').textContent = t(sent, { length: o.length, phone: o.phone });
      const left = secondsUntil(o.expiresAt);
      $(node, 'expiry').textContent = left > 0 ? t('otp.expires', { time: clock(left) }) : t('otp.expired');
      renderCooldown($(node, 'resend'), $(node, 'resend-wait'));
      $(node, 'confirm').disabled = o.dead || node.querySelector('form').hasAttribute('aria-busy');
    },
    hide: stopTicker,
    restorable: () => Boolean(flow && flow.otp && !flow.done)
  },

  password: {
    setup(node) {
      const form = node.querySelector('form');
      const update = () => renderRules(node);
      field(form, 'password').addEventListener('input', update);
      field(form, 'password_confirm').addEventListener('input', update);
      $(node, 'show').addEventListener('change', (e) => {
        const type = e.target.checked ? 'text' : 'password';
        field(form, 'password').type = type;
        field(form, 'password_confirm').type = type;
      });
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const pw = field(form, 'password').value;
        const rules = passwordRules(pw, field(form, 'password_confirm').value);
        const composed = rules.length && rules.lower && rules.upper && rules.digit && rules.special;
        const ok = checkForm(form, {
          password: (v) => (!v ? 'required' : composed ? null : 'rule'),
          password_confirm: (v) => (!v ? 'required' : v === pw ? null : 'mismatch')
        });
        if (ok) busy(form, () => submitPassword(form));
      });
    },
    show(node) {
      const form = node.querySelector('form');
      form.reset();
      clearErrors(form);
      renderRules(node);
    },
    render(node) {
      $(node, 'title').textContent = t('pw.title.' + flow.kind);
      $(node, 'intro').textContent = t('pw.intro.' + flow.kind);
      $(node, 'submit').textContent = t('pw.submit.' + flow.kind);
      renderRules(node);
    },
    restorable: () => false
  },

  done: {
    show(node, params) {
      this.params = params;
    },
    render(node) {
      const p = this.params || { kind: 'register', vars: {} };
      $(node, 'title').textContent = t('done.title.' + p.kind);
      $(node, 'text').textContent = t('done.text.' + p.kind, p.vars);
    },
    restorable: () => false
  },

  'login-choose': {},

  login: {
    setup(node) {
      const form = node.querySelector('form');
      setupCaptcha(form);
      // One tab today; pressing it (as the guide says) keeps it selected.
      node.querySelector('[role="tab"]').addEventListener('click', () => field(form, 'id_number').focus());
      // "Locked": the owner need not wait, a code to the account's phone lifts the lock.
      $(node, 'to-unlock').addEventListener('click', () => {
        const id = field(form, 'id_number').value;
        show('unlock');
        field(SCREENS.unlock.node.querySelector('form'), 'id_number').value = id;
      });
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const ok = checkForm(form, {
          id_number: CHECK.idNumber,
          password: CHECK.required,
          captcha_answer: CHECK.required
        });
        if (ok) busy(form, () => startLogin(form));
      });
    },
    show(node, params = {}) {
      const form = node.querySelector('form');
      clearErrors(form);
      $(node, 'locked').hidden = true;
      if (params.alert) setAlert(form, params.alert);
      loadCaptcha(form);
    }
  },

  unlock: {
    setup(node) {
      const form = node.querySelector('form');
      setupCaptcha(form);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const ok = checkForm(form, { id_number: CHECK.idNumber, captcha_answer: CHECK.required });
        if (ok) busy(form, () => startUnlock(form));
      });
    },
    show(node, params = {}) {
      const form = node.querySelector('form');
      clearErrors(form);
      if (params.alert) setAlert(form, params.alert);
      loadCaptcha(form);
    }
  },

  method: {
    setup(node) {
      const form = node.querySelector('form');
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const chosen = form.querySelector('input[name="method_id"]:checked');
        if (chosen) busy(form, () => chooseMethod(form, chosen.value));
      });
      $(node, 'back').addEventListener('click', () => show('otp'));
    },
    show(node) {
      const form = node.querySelector('form');
      clearErrors(form);
      const list = $(node, 'list');
      list.replaceChildren();
      for (const [i, m] of (flow.methods || []).entries()) {
        const id = `method-${i}`;
        const row = document.createElement('div');
        row.className = 'radio';
        const input = document.createElement('input');
        Object.assign(input, { type: 'radio', name: 'method_id', id, value: m.method_id });
        input.checked = m.method_id === flow.methodId;
        const label = document.createElement('label');
        label.htmlFor = id;
        label.dataset.phone = m.phone_masked;
        label.dataset.primary = m.primary ? '1' : '';
        row.append(input, label);
        list.append(row);
      }
      $(node, 'single').hidden = (flow.methods || []).length > 1;
      startTicker();
    },
    render(node) {
      for (const label of $(node, 'list').querySelectorAll('label')) {
        label.textContent = label.dataset.phone + (label.dataset.primary ? ` (${t('profile.primary')})` : '');
      }
      renderCooldown($(node, 'submit'), $(node, 'wait'));
    },
    hide: stopTicker,
    restorable: () => Boolean(flow && flow.kind === 'login' && !flow.done)
  },

  'new-phone': {
    setup(node) {
      const form = node.querySelector('form');
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (checkForm(form, { new_phone: CHECK.phone })) busy(form, () => startPhoneChange(form));
      });
      $(node, 'back').addEventListener('click', () => {
        flow.kind = 'login'; // back to the sign-in OTP, whose code still works
        show('otp');
      });
    },
    show(node) {
      clearErrors(node.querySelector('form'));
      startTicker();
    },
    render(node) {
      renderCooldown($(node, 'submit'), $(node, 'wait'));
    },
    hide: stopTicker,
    restorable: () => Boolean(flow && (flow.kind === 'login' || flow.kind === 'phone') && !flow.done)
  },

  forgot: {
    setup(node) {
      const form = node.querySelector('form');
      setupCaptcha(form);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const ok = checkForm(form, {
          id_number: CHECK.idNumber,
          phone: CHECK.phone,
          captcha_answer: CHECK.required
        });
        if (ok) busy(form, () => startReset(form));
      });
    },
    show(node, params = {}) {
      const form = node.querySelector('form');
      clearErrors(form);
      if (params.alert) setAlert(form, params.alert);
      loadCaptcha(form);
    }
  },

  profile: {
    setup(node) {
      const form = node.querySelector('form');
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (checkForm(form, { phone: CHECK.phone })) busy(form, () => startAddPhone(form));
      });
      $(node, 'logout').addEventListener('click', () => logout(node));
    },
    show(node, params = {}) {
      setMsg($(node, 'notice'), params.notice || null);
      setMsg($(node, 'alert'), null);
      clearErrors(node.querySelector('form'));
      if (params.phones) renderPhones(node, params.phones);
      loadProfile(node);
    },
    render(node) {
      for (const li of $(node, 'phones').children) {
        li.querySelector('.tag')?.replaceChildren(t('profile.primary'));
      }
    },
    restorable: signedIn
  }
};

// ---------------------------------------------------------------------------------------
// Navigation

const main = () => document.getElementById('main');
let current = null;

/* Screens shown on a reload or the back button without any flow state. */
const ALWAYS = new Set(['home', 'register-type', 'register', 'login-choose', 'login', 'forgot', 'unlock']);

function pageTitle() {
  const h1 = main().querySelector('h1');
  const site = lang === 'en' ? 'National Public Service Portal' : 'Cổng Dịch vụ công Quốc gia';
  return h1 && h1.textContent ? `${h1.textContent} — ${site}` : site;
}

/* Shows screen name (its node cloned from tpl-<name> the first time), moves focus to its
 * heading so the change is announced and Tab starts from the top, and records it in
 * the browser history (replace: no new history entry). */
function show(name, params, { history: how = 'push' } = {}) {
  const def = SCREENS[name];
  if (current && current !== name) SCREENS[current].hide?.();
  if (!def.node) {
    def.node = document.getElementById('tpl-' + name).content.firstElementChild.cloneNode(true);
    wireGo(def.node);
    def.setup?.(def.node);
  }
  current = name;
  translate(def.node);
  def.show?.(def.node, params);
  def.render?.(def.node);
  main().replaceChildren(def.node);
  document.title = pageTitle();
  if (how === 'push') history.pushState({ screen: name }, '', '#' + name);
  else if (how === 'replace') history.replaceState({ screen: name }, '', '#' + name);
  window.scrollTo(0, 0);
  def.node.querySelector('h1')?.focus();
}

/* Buttons and links with data-go="screen" navigate there. */
function wireGo(root) {
  for (const el of root.querySelectorAll('[data-go]')) {
    el.addEventListener('click', (e) => {
      e.preventDefault();
      show(el.dataset.go);
    });
  }
}

function restorable(name) {
  const def = SCREENS[name];
  if (!def) return false;
  return ALWAYS.has(name) || Boolean(def.restorable && def.restorable());
}

window.addEventListener('popstate', (e) => {
  const name = (e.state && e.state.screen) || location.hash.slice(1) || 'home';
  if (!SCREENS[name]) return; // an in-page anchor such as the skip link's #main
  if (restorable(name)) show(name, undefined, { history: 'none' });
  else show('home', undefined, { history: 'replace' });
});

// ---------------------------------------------------------------------------------------
// The flows: each step is one API call; on failure the form shows why.

async function startRegistration(form) {
  const v = (n) => field(form, n).value;
  const r = await api('POST', '/v1/registrations', {
    id_number: digits(v('id_number')),
    full_name: cleanName(v('full_name')),
    date_of_birth: parseDate(v('date_of_birth')),
    phone: v('phone').trim(),
    email: v('email').trim(),
    captcha_id: form.dataset.captchaId || '',
    captcha_answer: v('captcha_answer').trim()
  });
  if (!r.ok) {
    $(SCREENS.register.node, 'exists').hidden = r.error.code !== 'account_exists';
    return failWithCaptcha(form, r.error);
  }
  flow = { kind: 'register', id: r.data.registration_id, idNumber: digits(v('id_number')) };
  setOtp(r.data.otp);
  form.dataset.captchaId = ''; // spent: a new one when the form is shown again
  show('otp', { fresh: true });
}

async function startLogin(form) {
  const r = await api('POST', '/v1/logins', {
    id_number: digits(field(form, 'id_number').value),
    password: field(form, 'password').value,
    captcha_id: form.dataset.captchaId || '',
    captcha_answer: field(form, 'captcha_answer').value.trim()
  });
  if (!r.ok) {
    // The same answer for a wrong ID number and a wrong password, shown above the form;
    // a locked sign-in offers the unlock with the phone next to it.
    $(SCREENS.login.node, 'locked').hidden = r.error.code !== 'account_locked';
    return failWithCaptcha(form, r.error);
  }
  const methods = Array.isArray(r.data.methods) ? r.data.methods : [];
  const primary = methods.find((m) => m.primary) || methods[0];
  flow = { kind: 'login', id: r.data.login_id, methods, methodId: primary ? primary.method_id : '' };
  setOtp(r.data.otp);
  field(form, 'password').value = '';
  show('otp', { fresh: true });
}

async function startReset(form) {
  const r = await api('POST', '/v1/password-resets', {
    id_number: digits(field(form, 'id_number').value),
    phone: field(form, 'phone').value.trim(),
    captcha_id: form.dataset.captchaId || '',
    captcha_answer: field(form, 'captcha_answer').value.trim()
  });
  if (!r.ok) return failWithCaptcha(form, r.error);
  flow = { kind: 'reset', id: r.data.reset_id };
  setOtp(r.data.otp);
  show('otp', { fresh: true });
}

async function startUnlock(form) {
  const idNumber = digits(field(form, 'id_number').value);
  const r = await api('POST', '/v1/unlocks', {
    id_number: idNumber,
    captcha_id: form.dataset.captchaId || '',
    captcha_answer: field(form, 'captcha_answer').value.trim()
  });
  if (!r.ok) return failWithCaptcha(form, r.error);
  flow = { kind: 'unlock', id: r.data.unlock_id, idNumber };
  setOtp(r.data.otp);
  show('otp', { fresh: true });
}

async function failWithCaptcha(form, error) {
  noteRetry(error);
  if (captchaSpent(error)) await loadCaptcha(form);
  showError(form, error);
}

async function startPhoneChange(form) {
  const phone = field(form, 'new_phone').value.trim();
  const r = await api('POST', `/v1/logins/${seg(flow.id)}/phone`, { new_phone: phone });
  if (!r.ok) {
    noteRetry(r.error);
    return showError(form, r.error);
  }
  flow.kind = 'phone';
  flow.newPhone = phone;
  setOtp(r.data.otp);
  show('otp', { fresh: true });
}

async function chooseMethod(form, methodId) {
  const r = await api('POST', `/v1/logins/${seg(flow.id)}/otp/method`, { method_id: methodId });
  if (!r.ok) {
    noteRetry(r.error);
    return showError(form, r.error);
  }
  flow.methodId = methodId;
  setOtp(r.data.otp);
  show('otp', { fresh: true, status: { key: 'otp.method.sent', vars: { phone: flow.otp.phone } } },
    { history: 'replace' });
}

async function startAddPhone(form) {
  const phone = field(form, 'phone').value.trim();
  // The password again, when the session is no longer fresh (account.reauth_seconds).
  const password = field(form, 'password').value;
  const r = await api('POST', '/v1/me/phones', password ? { phone, password } : { phone });
  if (!r.ok) {
    if (r.error.code === 'unauthorized') return sessionOver();
    return showError(form, r.error);
  }
  flow = { kind: 'add_phone', phone };
  setOtp(r.data.otp);
  show('otp', { fresh: true });
}

/* What each kind of OTP does: where the code is checked and resent, what follows. */
const OTP = {
  register: {
    verify: (code) => api('POST', `/v1/registrations/${seg(flow.id)}/otp/verify`, { code }),
    resend: () => api('POST', `/v1/registrations/${seg(flow.id)}/otp/resend`),
    next: () => show('password', undefined, { history: 'replace' }),
    back: 'register'
  },
  login: {
    verify: (code) => api('POST', `/v1/logins/${seg(flow.id)}/otp/verify`, { code }),
    resend: () => api('POST', `/v1/logins/${seg(flow.id)}/otp/resend`),
    next: () => {
      flow.done = true;
      setSignedIn(true);
      show('profile', undefined, { history: 'replace' });
    },
    back: 'login'
  },
  phone: {
    verify: (code) => api('POST', `/v1/logins/${seg(flow.id)}/phone/verify`, { code }),
    // No resend route for the lost-phone code: asking again sends a fresh one.
    resend: () => api('POST', `/v1/logins/${seg(flow.id)}/phone`, { new_phone: flow.newPhone }),
    next: (data) => {
      flow.done = true;
      show('done', { kind: 'phone', vars: { phone: data.phone_masked || flow.otp.phone } }, { history: 'replace' });
    },
    back: 'new-phone'
  },
  reset: {
    verify: (code) => api('POST', `/v1/password-resets/${seg(flow.id)}/otp/verify`, { code }),
    resend: () => api('POST', `/v1/password-resets/${seg(flow.id)}/otp/resend`),
    next: () => show('password', undefined, { history: 'replace' }),
    back: 'forgot'
  },
  unlock: {
    verify: (code) => api('POST', `/v1/unlocks/${seg(flow.id)}/otp/verify`, { code }),
    resend: () => api('POST', `/v1/unlocks/${seg(flow.id)}/otp/resend`),
    next: () => {
      flow.done = true;
      const idNumber = flow.idNumber;
      show('login', { alert: { key: 'unlock.done' } }, { history: 'replace' });
      field(SCREENS.login.node.querySelector('form'), 'id_number').value = idNumber;
    },
    back: 'unlock'
  },
  add_phone: {
    verify: (code) => api('POST', '/v1/me/phones/verify', { code }),
    resend: () => api('POST', '/v1/me/phones', { phone: flow.phone }),
    next: (data) => {
      const phone = flow.otp.phone;
      flow = null;
      SCREENS.profile.node.querySelector('form').reset(); // done: the field is free again
      show('profile', { phones: data.phones, notice: { key: 'profile.added', vars: { phone } } },
        { history: 'replace' });
    },
    back: 'profile'
  }
};

async function verifyOtp(form) {
  const code = field(form, 'code').value.trim();
  const r = await OTP[flow.kind].verify(code);
  if (r.ok) return OTP[flow.kind].next(r.data || {});
  const e = r.error;
  if (e.code === 'unauthorized' && flow.kind === 'add_phone') return sessionOver();
  if (e.code === 'otp_invalid' && Number.isInteger(e.attempts_left)) {
    showError(form, e);
    setFieldError(field(form, 'code'), { key: 'otp.wrong', vars: { n: e.attempts_left } });
  } else if (e.code === 'otp_attempts_exceeded') {
    flow.otp.dead = true;
    showError(form, e);
    setFieldError(field(form, 'code'), { key: 'otp.dead' });
  } else {
    noteRetry(e);
    showError(form, e);
  }
  field(form, 'code').select();
}

async function resendOtp(form) {
  const r = await OTP[flow.kind].resend();
  const node = SCREENS.otp.node;
  if (!r.ok) {
    if (r.error.code === 'unauthorized' && flow.kind === 'add_phone') return sessionOver();
    // A reset has no resend of its own (a new code needs a new captcha, like the first):
    // back to its form, which keeps the ID number and phone.
    if (r.error.code === 'not_found' && flow.kind === 'reset') {
      return show('forgot', { alert: { key: 'reset.again' } }, { history: 'replace' });
    }
    if (r.error.code === 'not_found' && flow.kind === 'unlock') {
      return show('unlock', { alert: { key: 'unlock.again' } }, { history: 'replace' });
    }
    noteRetry(r.error);
    return showError(form, r.error);
  }
  setOtp(r.data.otp);
  clearErrors(form);
  field(form, 'code').value = '';
  // An unlock's answer names no phone (it would tell a stranger who owns the ID).
  const resent = flow.kind === 'unlock' ? 'otp.resent.unlock' : 'otp.resent';
  setMsg($(node, 'status'), { key: resent, vars: { phone: flow.otp.phone } }, { hide: false });
  field(form, 'code').focus();
}

async function submitPassword(form) {
  const body = {
    password: field(form, 'password').value,
    password_confirm: field(form, 'password_confirm').value
  };
  const path = flow.kind === 'register' ? `/v1/registrations/${seg(flow.id)}/password`
    : `/v1/password-resets/${seg(flow.id)}/password`;
  const r = await api('POST', path, body);
  if (!r.ok) return showError(form, r.error);
  form.reset();
  flow.done = true;
  if (flow.kind === 'register') {
    const account = (r.data && r.data.account) || {};
    SCREENS.register.node?.querySelector('form').reset(); // a second registration starts empty
    show('done', {
      kind: 'register',
      vars: { id: account.id_number || flow.idNumber, phone: account.phone_masked || flow.otp.phone }
    }, { history: 'replace' });
  } else {
    show('done', { kind: 'reset', vars: {} }, { history: 'replace' });
  }
}

/* The password rule of flows.md, as the server counts it: code points, Unicode classes;
 * "special" is anything that is not a letter, digit or combining mark. */
function passwordRules(pw, confirm) {
  return {
    length: [...pw].length >= 8,
    lower: /\p{Ll}/u.test(pw),
    upper: /[\p{Lu}\p{Lt}]/u.test(pw),
    digit: /\p{Nd}/u.test(pw),
    special: /[^\p{L}\p{Nd}\p{M}]/u.test(pw),
    match: pw.length > 0 && pw === confirm
  };
}

function renderRules(node) {
  const form = node.querySelector('form');
  const state = passwordRules(field(form, 'password').value, field(form, 'password_confirm').value);
  for (const li of node.querySelectorAll('[data-rule]')) {
    const ok = state[li.dataset.rule];
    li.classList.toggle('ok', ok);
    // Said before the rule by a screen reader; the tick or dot is drawn by CSS.
    li.querySelector('[data-role="state"]').textContent = t(ok ? 'pw.rule.ok' : 'pw.rule.no');
  }
}

// ---- the account page -------------------------------------------------------------------

function renderPhones(node, phones) {
  const list = $(node, 'phones');
  list.replaceChildren();
  for (const p of phones || []) {
    const li = document.createElement('li');
    const num = document.createElement('span');
    num.className = 'phone';
    num.textContent = p.phone_masked;
    li.append(num);
    if (p.primary) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = t('profile.primary');
      li.append(' ', tag);
    }
    list.append(li);
  }
}

async function loadProfile(node) {
  const r = await api('GET', '/v1/me');
  if (!r.ok) {
    if (r.error.code === 'unauthorized') return sessionOver();
    return setMsg($(node, 'alert'), { err: r.error });
  }
  $(node, 'full_name').textContent = r.data.full_name || '';
  $(node, 'id_number').textContent = r.data.id_number || '';
  renderPhones(node, r.data.phones);
}

function sessionOver() {
  setSignedIn(false);
  flow = null;
  show('login', { alert: { key: 'session.over' } }, { history: 'replace' });
}

async function logout(node) {
  const r = await api('POST', '/v1/logout');
  if (!r.ok && r.error.code !== 'unauthorized') return setMsg($(node, 'alert'), { err: r.error });
  setSignedIn(false);
  flow = null;
  show('home', { notice: { key: 'home.bye' } }, { history: 'replace' });
}

// ---------------------------------------------------------------------------------------
// Start

function start() {
  document.getElementById('lang-toggle').addEventListener('click', () => setLang(lang === 'en' ? 'vi' : 'en'));
  // Typing in a field marked wrong takes its mark away: the person is fixing it, and the
  // next press of the button checks it again.
  main().addEventListener('input', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.getAttribute('aria-invalid') === 'true') {
      setFieldError(e.target, null);
    }
  });
  wireGo(document.querySelector('.masthead'));
  setLang(lang);
  const asked = location.hash.slice(1);
  if (asked === 'profile' && signedIn()) show('profile', undefined, { history: 'replace' });
  else if (ALWAYS.has(asked)) show(asked, undefined, { history: 'replace' });
  else show('home', undefined, { history: 'replace' });
}

start();
