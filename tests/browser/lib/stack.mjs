// stack.mjs: starts the four real dvcid processes of one build on a temporary data dir
// and a free port, as tests/integration/dvcid_stack.py does for the Python tests, and
// reads what the "phones" received from the SMS sink (the file provider's outbox).
//
// The build comes from DVCID_BIN (the CMake build dir, set by ctest), else
// DVCID_SRC/build. On stop every process gets SIGTERM and must exit 0 with no sanitizer
// report in its log; otherwise stop() throws, so a crash or a leak fails the test file.
// The temp dir is removed unless something failed (DVCID_KEEP=1 keeps it always).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

// Start order: each process's peers exist before it (stop order is the reverse).
const PROCESSES = ['sms-worker', 'otp-svc', 'account-svc', 'gateway'];
const SANITIZER_MARKS = ['ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer'];

export const PASSWORD = 'Tr0ng!Dong2024';
export const FULL_NAME = 'Nguyễn Văn An';
export const CAPTCHA = 'TEST'; // [captcha] test_answer of the test config

const used = new Set();
function unique(make) {
  for (;;) {
    const v = make();
    if (!used.has(v)) {
      used.add(v);
      return v;
    }
  }
}
const rand = (n) => Math.floor(Math.random() * n);
const randDigits = (n) => Array.from({ length: n }, () => rand(10)).join('');

/** A random Vietnamese mobile in national form ("0912345678"), unique per run. */
export function newPhone() {
  return unique(() => '091' + randDigits(7));
}

/** National "0912345678" -> "+84912345678". */
export function e164(phone) {
  const d = phone.replace(/\D/g, '');
  if (d.startsWith('84') && d.length === 11) return '+' + d;
  if (!(d.startsWith('0') && d.length === 10)) throw new Error('not a national phone: ' + phone);
  return '+84' + d.slice(1);
}

/** The API's phone_masked: national form, first 3 and last 3 digits kept. */
export function maskPhone(phone) {
  const national = '0' + e164(phone).slice(3);
  return national.slice(0, 3) + '****' + national.slice(-3);
}

/** {idNumber, dob: "YYYY-MM-DD", dobShown: "DD/MM/YYYY"}: a valid CCCD of Hà Nội (001)
 * whose century/gender digit and year digits agree with the birth date. */
export function newIdentity() {
  const year = 1950 + rand(56);
  const century = Math.floor((year - 1900) / 100) * 2 + rand(2);
  const idNumber = unique(() => `001${century}${String(year % 100).padStart(2, '0')}${randDigits(6)}`);
  const mm = String(1 + rand(12)).padStart(2, '0');
  const dd = String(1 + rand(28)).padStart(2, '0');
  return { idNumber, dob: `${year}-${mm}-${dd}`, dobShown: `${dd}/${mm}/${year}` };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function findBinary(bindir, name) {
  for (const c of [name, 'dvcid-' + name, path.join(name, name)]) {
    const p = path.join(bindir, c);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch { /* next candidate */ }
  }
  throw new Error(`binary ${name} not found under DVCID_BIN=${bindir}`);
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${e.message})`;
  }
}

export class Stack {
  /** overrides: {otp: {ttl: 3}, ...} merged into the config written for the processes. */
  constructor(overrides = {}) {
    const src = process.env.DVCID_SRC || fileURLToPath(new URL('../../..', import.meta.url));
    this.bindir = process.env.DVCID_BIN || path.join(src, 'build');
    this.binaries = Object.fromEntries(PROCESSES.map((n) => [n, findBinary(this.bindir, n)]));
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dvcid-br-'));
    this.var = path.join(this.tmp, 'var');
    this.sink = path.join(this.var, 'sms-outbox.jsonl');
    this.overrides = overrides;
    this.procs = {};
    this.problems = [];
    this.seen = new Map(); // "to|purpose" -> message ids already handed out
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  logPath(name) {
    return path.join(this.tmp, name + '.log');
  }

  async start() {
    this.port = await freePort();
    const config = {
      // Plain HTTP: a Secure cookie would not come back (gateway.cookie_secure is true by default).
      // No management listener (no second port to find); /metrics on the API's port.
      gateway: {
        listen: `127.0.0.1:${this.port}`, timeout_ms: 5000, cookie_secure: false,
        management_listen: '', public_metrics: true
      },
      storage: { dir: this.var },
      account: {
        endpoint: `ipc://${this.tmp}/account.ipc`,
        argon2_ops: 2,
        argon2_mem_mib: 19,
        registration_ttl: 1800
      },
      // A short resend_after so "Gửi lại OTP" can be pressed within a test.
      otp: { endpoint: `ipc://${this.tmp}/otp.ipc`, resend_after: 2 },
      captcha: { test_answer: CAPTCHA },
      sms: { endpoint: `ipc://${this.tmp}/sms.ipc`, provider: 'file', file: this.sink },
      log: { level: 'info' }
    };
    for (const [section, keys] of Object.entries(this.overrides)) {
      config[section] = { ...(config[section] || {}), ...keys };
    }
    this.configPath = path.join(this.tmp, 'dvcid.conf');
    let text = '';
    for (const [section, keys] of Object.entries(config)) {
      text += `[${section}]\n`;
      for (const [k, v] of Object.entries(keys)) text += `${k} = ${v}\n`;
      text += '\n';
    }
    fs.writeFileSync(this.configPath, text);
    const env = {
      ...process.env,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'abort_on_error=0:detect_leaks=1',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1'
    };
    for (const name of PROCESSES) {
      const log = fs.openSync(this.logPath(name), 'a');
      const child = spawn(this.binaries[name], ['--config', this.configPath], {
        cwd: this.tmp,
        env,
        stdio: ['ignore', log, log]
      });
      fs.closeSync(log);
      const rec = { child, exit: null };
      rec.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
        rec.exit = { code, signal };
        resolve(rec.exit);
      }));
      this.procs[name] = rec;
    }
    try {
      await this.waitReady();
    } catch (e) {
      await this.stop({ failed: true }).catch(() => {});
      throw e;
    }
    return this;
  }

  dead() {
    return Object.entries(this.procs).filter(([, r]) => r.exit).map(([n, r]) => `${n} (${JSON.stringify(r.exit)})`);
  }

  logsTail(lines = 40) {
    return PROCESSES.map((n) => `----- ${n} (${this.logPath(n)}) -----\n${tail(this.logPath(n), lines)}`).join('\n');
  }

  async waitReady(timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    let last = null;
    while (Date.now() < deadline) {
      if (this.dead().length) throw new Error(`exited while waiting for /readyz: ${this.dead()}\n${this.logsTail()}`);
      try {
        const r = await fetch(this.url + '/readyz', { signal: AbortSignal.timeout(2000) });
        last = r.status;
        if (r.status === 200) return;
      } catch (e) {
        last = e.message;
      }
      await sleep(100);
    }
    throw new Error(`GET /readyz not 200 within ${timeoutMs} ms (last: ${last})\n${this.logsTail()}`);
  }

  /** SIGTERM in reverse start order; each must exit 0 within 5 s; then the logs are
   * searched for sanitizer reports. Throws with every problem found. */
  async stop({ failed = false } = {}) {
    for (const name of [...PROCESSES].reverse()) {
      const rec = this.procs[name];
      if (!rec) continue;
      if (!rec.exit) {
        rec.child.kill('SIGTERM');
        const timer = sleep(5000).then(() => 'timeout');
        if ((await Promise.race([rec.exited, timer])) === 'timeout') {
          rec.child.kill('SIGKILL');
          await rec.exited;
          this.problems.push(`${name} did not exit within 5 s of SIGTERM`);
          continue;
        }
      }
      if (rec.exit.code !== 0) {
        this.problems.push(`${name} exited with ${JSON.stringify(rec.exit)} (expected 0); log tail:\n${tail(this.logPath(name))}`);
      }
    }
    for (const name of PROCESSES) {
      let text = '';
      try { text = fs.readFileSync(this.logPath(name), 'utf8'); } catch { continue; }
      for (const mark of SANITIZER_MARKS) {
        const at = text.indexOf(mark);
        if (at >= 0) this.problems.push(`${name} log has ${mark}:\n${text.slice(Math.max(0, at - 200), at + 3000)}`);
      }
    }
    if (failed || this.problems.length) {
      process.stderr.write(`\n===== dvcid stack kept in ${this.tmp} =====\n${this.logsTail()}\n`);
    } else if (!process.env.DVCID_KEEP) {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
    if (this.problems.length) throw new Error('dvcid stack problems:\n' + this.problems.join('\n\n'));
  }

  // ---- HTTP (for setting up accounts quickly; the flows under test go through the page)

  async request(method, urlPath, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const r = await fetch(this.url + urlPath, init);
    const text = await r.text();
    let data = text;
    if ((r.headers.get('content-type') || '').includes('json')) data = JSON.parse(text);
    return { status: r.status, headers: r.headers, body: data };
  }

  /** The whole registration over the API; returns {idNumber, phone, password, dob}. */
  async register({ phone = newPhone(), password = PASSWORD } = {}) {
    const id = newIdentity();
    const cap = await this.request('POST', '/v1/captcha');
    if (cap.status !== 201) throw new Error(`captcha: ${cap.status} ${JSON.stringify(cap.body)}`);
    const r = await this.request('POST', '/v1/registrations', {
      id_number: id.idNumber,
      full_name: FULL_NAME,
      date_of_birth: id.dob,
      phone,
      captcha_id: cap.body.captcha_id,
      captcha_answer: CAPTCHA
    });
    if (r.status !== 201) throw new Error(`registration: ${r.status} ${JSON.stringify(r.body)}`);
    const rid = r.body.registration_id;
    const code = await this.lastOtp(phone, 'register');
    const v = await this.request('POST', `/v1/registrations/${rid}/otp/verify`, { code });
    if (v.status !== 200) throw new Error(`verify: ${v.status} ${JSON.stringify(v.body)}`);
    const p = await this.request('POST', `/v1/registrations/${rid}/password`, { password, password_confirm: password });
    if (p.status !== 201) throw new Error(`password: ${p.status} ${JSON.stringify(p.body)}`);
    return { idNumber: id.idNumber, dob: id.dob, phone, password };
  }

  /** Signs in over the API (the OTP from the sink); returns the session token. */
  async signIn(account) {
    return (await this.signInAnswer(account)).session.token;
  }

  /** The same sign-in; returns the whole answer of otp/verify ({session, access_token, …}). */
  async signInAnswer(account) {
    const cap = await this.request('POST', '/v1/captcha');
    const r = await this.request('POST', '/v1/logins', {
      id_number: account.idNumber,
      password: account.password,
      captcha_id: cap.body.captcha_id,
      captcha_answer: CAPTCHA
    });
    if (r.status !== 201) throw new Error(`login: ${r.status} ${JSON.stringify(r.body)}`);
    const code = await this.lastOtp(account.phone, 'login');
    const v = await this.request('POST', `/v1/logins/${r.body.login_id}/otp/verify`, { code });
    if (v.status !== 200) throw new Error(`login verify: ${v.status} ${JSON.stringify(v.body)}`);
    return v.body;
  }

  /** Adds phone to the account over the API (signs in, then /v1/me/phones). */
  async addPhone(account, phone) {
    const token = await this.signIn(account);
    const auth = { Authorization: `Bearer ${token}` };
    const r = await this.request('POST', '/v1/me/phones', { phone }, auth);
    if (r.status !== 200) throw new Error(`add phone: ${r.status} ${JSON.stringify(r.body)}`);
    const code = await this.lastOtp(phone, 'add_phone');
    const v = await this.request('POST', '/v1/me/phones/verify', { code }, auth);
    if (v.status !== 200) throw new Error(`add phone verify: ${v.status} ${JSON.stringify(v.body)}`);
    await this.request('POST', '/v1/logout', undefined, auth);
    return v.body.phones;
  }

  // ---- SMS sink: what the phones received

  smsLines() {
    let data;
    try {
      data = fs.readFileSync(this.sink, 'utf8');
    } catch {
      return [];
    }
    const lines = data.split('\n');
    lines.pop(); // the part after the last newline is not complete yet
    return lines.filter((l) => l.trim()).map((l) => JSON.parse(l));
  }

  /** Lines to phone (any form), optionally of one purpose, without duplicates. */
  smsFor(phone, purpose) {
    const to = e164(phone);
    const ids = new Set();
    return this.smsLines().filter((l) => {
      if (l.to !== to || (purpose && l.purpose !== purpose) || ids.has(l.message_id)) return false;
      ids.add(l.message_id);
      return true;
    });
  }

  /** Waits for an SMS to phone for purpose not handed out yet; returns its code. */
  async lastOtp(phone, purpose, timeoutMs = 5000) {
    const key = `${e164(phone)}|${purpose}`;
    if (!this.seen.has(key)) this.seen.set(key, new Set());
    const seen = this.seen.get(key);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.smsFor(phone, purpose);
      const fresh = lines.filter((l) => !seen.has(l.message_id));
      if (fresh.length) {
        lines.forEach((l) => seen.add(l.message_id));
        return otpCode(fresh[fresh.length - 1]);
      }
      if (Date.now() > deadline) {
        throw new Error(`no new SMS to ${e164(phone)} for ${purpose} within ${timeoutMs} ms; sink has ${this.smsLines().length} lines\n${this.logsTail(15)}`);
      }
      await sleep(50);
    }
  }
}

/** The code of an OTP SMS: the only run of 6 or more digits in its text. */
export function otpCode(line) {
  const runs = (line.text || '').match(/\d{6,}/g) || [];
  if (runs.length !== 1) throw new Error('SMS text must hold exactly one 6+ digit run: ' + JSON.stringify(line));
  return runs[0];
}

/** A 6-digit code that is not code (for the wrong-OTP tests). */
export function wrongCode(code) {
  return String((Number(code) + 1) % 1000000).padStart(6, '0');
}
