// The page itself: how the gateway serves it (security headers, caching), the English
// toggle, the browser's back button, and a whole registration by keyboard alone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openPage, shot, waitCaptcha, waitDescription, waitScreen } from './lib/browser.mjs';
import { CAPTCHA, FULL_NAME, newIdentity, newPhone, PASSWORD, Stack } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await new Stack().start();
});
after(async () => {
  await stack?.stop();
});

test('served: the page and its files with their types, security headers and ETags', async () => {
  const page = await fetch(stack.url + '/');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /img-src 'self' data:(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const html = await page.text();
  assert.match(html, /<html lang="vi">/);
  assert.doesNotMatch(html, /<script>|<script(?![^>]*\ssrc=)[^>]*>|\son\w+=|style=/, 'no inline script, handler or style');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing from another origin');

  for (const [file, type] of [['app.js', 'text/javascript; charset=utf-8'], ['app.css', 'text/css; charset=utf-8'], ['logo.svg', 'image/svg+xml']]) {
    const r = await fetch(`${stack.url}/static/${file}`);
    assert.equal(r.status, 200, file);
    assert.equal(r.headers.get('content-type'), type, file);
    const etag = r.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{16,}"$/, file);
    assert.equal(r.headers.get('cache-control'), 'no-cache', file);
    const again = await fetch(`${stack.url}/static/${file}`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, file);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
  }
  for (const bad of ['/static/nothing.js', '/static/../gateway', '/static/', '/index.html']) {
    assert.equal((await fetch(stack.url + bad)).status, 404, bad);
  }
  const head = await fetch(stack.url + '/', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('x-frame-options'), 'DENY');
  assert.equal((await fetch(stack.url + '/', { method: 'POST' })).status, 405);
});

test('English toggle: every word switches, messages shown included, and the choice is kept', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await page.getByRole('button', { name: 'English' }).click();
    await waitScreen(page, 'National Public Service Portal account');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await shot(page, '25-home-english');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('button', { name: 'Citizen' }).click();
    await page.getByRole('button', { name: 'Mobile subscription' }).click();
    await waitScreen(page, 'Register with a mobile subscription');
    await waitCaptcha(page);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const id = page.getByLabel('ID card number (CMT/CCCD)');
    await waitDescription(id, /Please enter your ID card number\./);
    await shot(page, '26-register-english');
    // Back to Vietnamese: the message on screen follows.
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await waitDescription(page.getByLabel('Số CMT/CCCD'), /Vui lòng nhập số CMT\/CCCD\./);
    await page.getByRole('button', { name: 'English' }).click();
    await page.reload();
    await page.getByRole('button', { name: 'Tiếng Việt' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  } finally {
    await b.close();
  }
});

test('English: the SMS follows the page\'s language (issue 17.5)', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('button', { name: 'Citizen' }).click();
    await page.getByRole('button', { name: 'Mobile subscription' }).click();
    await waitScreen(page, 'Register with a mobile subscription');
    await waitCaptcha(page);
    const id = newIdentity();
    const phone = newPhone();
    await page.getByLabel('ID card number (CMT/CCCD)').fill(id.idNumber);
    await page.getByLabel('Full name').fill(FULL_NAME);
    await page.getByLabel('Date of birth').fill(id.dobShown);
    await page.getByLabel('Phone number').fill(phone);
    await page.getByLabel('Verification code', { exact: true }).fill(CAPTCHA);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await waitScreen(page, 'OTP verification');
    await stack.lastOtp(phone, 'register');
    const text = stack.smsFor(phone, 'register').at(-1).text;
    assert.match(text, /^DVCQG: Your code to register your account is \d{6}\. .*Do not share this code/);
  } finally {
    await b.close();
  }
});

test('the back button returns to the previous screen, which keeps what was typed', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await page.getByRole('button', { name: 'Công dân' }).click();
    await page.getByRole('button', { name: 'Thuê bao di động' }).click();
    await waitScreen(page, 'Đăng ký tài khoản thuê bao di động');
    await page.getByLabel('Họ và tên').fill(FULL_NAME);
    await page.goBack();
    await waitScreen(page, 'Đăng ký tài khoản');
    await page.goForward();
    await waitScreen(page, 'Đăng ký tài khoản thuê bao di động');
    assert.equal(await page.getByLabel('Họ và tên').inputValue(), FULL_NAME);
  } finally {
    await b.close();
  }
});

/** Presses Tab until the focused element's label, name or text is name; at most 40 times. */
async function tabTo(page, name) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const here = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el.labels && el.labels[0] ? el.labels[0].textContent : '';
      return (label || el.getAttribute('aria-label') || el.textContent || '').trim();
    });
    if (here === name) return;
  }
  assert.fail(`Tab never reached "${name}"`);
}

test('keyboard alone: a whole registration with Tab, Enter and typing', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  const kb = page.keyboard;
  try {
    const id = newIdentity();
    const phone = newPhone();
    await tabTo(page, 'Đăng ký');
    await kb.press('Enter');
    await waitScreen(page, 'Đăng ký tài khoản');
    await tabTo(page, 'Công dân');
    await kb.press('Enter');
    // The next choice gets the focus: Enter again takes it.
    await kb.press('Enter');
    await waitScreen(page, 'Đăng ký tài khoản thuê bao di động');
    await waitCaptcha(page);
    for (const [label, text] of [['Số CMT/CCCD', id.idNumber], ['Họ và tên', FULL_NAME], ['Ngày sinh', id.dobShown],
      ['Số điện thoại', phone], ['Mã xác thực', CAPTCHA]]) {
      await tabTo(page, label);
      await kb.type(text);
    }
    await kb.press('Enter'); // submits the form from its last field
    await waitScreen(page, 'Xác thực mã OTP');
    await tabTo(page, 'Mã OTP');
    await kb.type(await stack.lastOtp(phone, 'register'));
    await kb.press('Enter');
    await waitScreen(page, 'Đặt mật khẩu');
    await tabTo(page, 'Mật khẩu');
    await kb.type(PASSWORD);
    await tabTo(page, 'Nhập lại mật khẩu');
    await kb.type(PASSWORD);
    await tabTo(page, 'Đăng ký');
    await kb.press('Enter');
    await waitScreen(page, 'Đăng ký thành công');
    // The focus ring is visible on what the keyboard reaches.
    await tabTo(page, 'Đăng nhập');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(outline, 'solid');
  } finally {
    await b.close();
  }
});
