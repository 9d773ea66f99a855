// Registration in the browser, as the guide tells a citizen to do it (flows.md section 1):
// home → "Đăng ký" → "Công dân" → "Thuê bao di động" → form → OTP → password → success;
// with the display of a bad ID number, a wrong OTP, a resend, and an existing account.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { description, openPage, shot, waitCaptcha, waitDescription, waitScreen } from './lib/browser.mjs';
import { CAPTCHA, FULL_NAME, maskPhone, newIdentity, newPhone, PASSWORD, Stack, wrongCode } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await new Stack().start();
});
after(async () => {
  await stack?.stop();
});

/** From home to the registration form, by the buttons the guide names. */
async function openForm(page, { shots = false } = {}) {
  if (shots) await shot(page, '01-home');
  await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
  await waitScreen(page, 'Đăng ký tài khoản');
  await page.getByRole('button', { name: 'Công dân' }).click();
  if (shots) await shot(page, '02-register-type');
  await page.getByRole('button', { name: 'Thuê bao di động' }).click();
  await waitScreen(page, 'Đăng ký tài khoản thuê bao di động');
  await waitCaptcha(page);
}

async function fillForm(page, { idNumber, dobShown, phone }) {
  await page.getByLabel('Số CMT/CCCD').fill(idNumber);
  await page.getByLabel('Họ và tên').fill(FULL_NAME);
  await page.getByLabel('Ngày sinh').fill(dobShown);
  await page.getByLabel('Số điện thoại').fill(phone);
  await page.getByLabel('Email').fill('an.nguyen@example.vn');
  await page.getByLabel('Mã xác thực').fill(CAPTCHA);
}

test('register: form, wrong OTP, resend, password rule, success; then "account exists"', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await openForm(page, { shots: true });

    // Every input has a label, and the mandatory ones carry the red star.
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('main input')]
      .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.name));
    assert.deepEqual(unlabelled, []);
    const starred = await page.evaluate(() => [...document.querySelectorAll('main label')]
      .filter((l) => getComputedStyle(l, '::after').content.includes('*'))
      .map((l) => [l.textContent, getComputedStyle(l, '::after').color]));
    assert.deepEqual(starred, ['Số CMT/CCCD', 'Họ và tên', 'Ngày sinh', 'Số điện thoại', 'Mã xác thực']
      .map((name) => [name, 'rgb(208, 2, 27)']));
    // The captcha shows as an image and can be refreshed.
    const first = await page.locator('main .captcha-img').getAttribute('src');
    await page.getByRole('button', { name: 'Tải hình khác' }).click();
    await page.waitForFunction((old) => document.querySelector('main .captcha-img').getAttribute('src') !== old, first);
    await waitCaptcha(page);
    await shot(page, '03-register-form');

    const id = newIdentity();
    const phone = newPhone();
    await fillForm(page, { ...id, phone });
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await waitScreen(page, 'Xác thực mã OTP');
    await page.getByText(`đến số điện thoại ${maskPhone(phone)}`).waitFor();
    const code = await stack.lastOtp(phone, 'register');

    // "Gửi lại OTP" waits for resend_after (2 s here), with a countdown beside it.
    const resend = page.getByRole('button', { name: 'Gửi lại OTP' });
    assert.equal(await resend.isDisabled(), true, 'resend is disabled at first');
    assert.match(await description(resend), /Có thể gửi mã mới sau \d+ giây/);
    assert.match(await page.locator('main').innerText(), /Mã OTP còn hiệu lực trong \d+:\d\d/);
    await shot(page, '04-otp');

    // A wrong code: the field says so and how many tries are left.
    const otp = page.getByLabel('Mã OTP');
    await otp.fill(wrongCode(code));
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await waitDescription(otp, /Mã OTP không đúng\. Bạn còn 4 lần nhập\./);
    assert.equal(await otp.getAttribute('aria-invalid'), 'true');
    await shot(page, '05-otp-wrong');

    // Resend: a fresh code, the old one dead.
    await page.waitForFunction(() => !document.querySelector('main [data-role="resend"]').disabled, null, { timeout: 5000 });
    await resend.click();
    await page.getByText('Đã gửi lại mã OTP mới').waitFor();
    const fresh = await stack.lastOtp(phone, 'register');
    assert.notEqual(fresh, code);
    await otp.fill(fresh);
    await page.getByRole('button', { name: 'Xác nhận' }).click();

    // Password: the checklist follows what is typed.
    await waitScreen(page, 'Đặt mật khẩu');
    const pw = page.getByLabel('Mật khẩu', { exact: true });
    const again = page.getByLabel('Nhập lại mật khẩu');
    await pw.fill('abc');
    assert.match(await description(pw), /Đạt: chữ thường/);
    assert.match(await description(pw), /Chưa đạt: 8 ký tự trở lên/);
    assert.match(await description(pw), /Chưa đạt: chữ in hoa/);
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await waitDescription(pw, /Mật khẩu chưa đáp ứng các yêu cầu/);
    await shot(page, '06-password-rule');
    await pw.fill(PASSWORD);
    await again.fill(PASSWORD);
    const rules = await page.locator('main .rules li').evaluateAll((lis) => lis.map((li) => li.classList.contains('ok')));
    assert.deepEqual(rules, [true, true, true, true, true, true]);
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await waitScreen(page, 'Đăng ký thành công');
    await page.getByText(maskPhone(phone)).waitFor();
    await shot(page, '07-register-done');

    // The same ID number again: stopped, with the way out the guide gives.
    await page.getByRole('link', { name: /Cổng Dịch vụ công/ }).click();
    await waitScreen(page, 'Tài khoản Cổng Dịch vụ công Quốc gia');
    await openForm(page);
    await fillForm(page, { ...id, phone: newPhone() });
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    const idField = page.getByLabel('Số CMT/CCCD');
    await waitDescription(idField, /đã được đăng ký.*Quên mật khẩu/);
    assert.equal(await page.getByLabel('Họ và tên').inputValue(), FULL_NAME, 'the form keeps what was typed');
    assert.equal(await page.getByLabel('Mã xác thực').inputValue(), '', 'the spent captcha is replaced');
    await shot(page, '08-register-exists');
  } finally {
    await b.close();
  }
});

test('register: a bad ID number is shown next to its field, from the page and from the server', async () => {
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await openForm(page);
    const id = newIdentity();
    const phone = newPhone();
    // Nothing typed: each mandatory field says it is needed; focus goes to the first.
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await waitDescription(page.getByLabel('Số CMT/CCCD'), /Vui lòng nhập số CMT\/CCCD\./);
    await waitDescription(page.getByLabel('Họ và tên'), /Vui lòng nhập họ và tên\./);
    assert.equal(await page.evaluate(() => document.activeElement.name), 'id_number');

    // Too short: the page's own check.
    await fillForm(page, { ...id, phone, idNumber: '12345' });
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    const idField = page.getByLabel('Số CMT/CCCD');
    await waitDescription(idField, /Số CMT\/CCCD không hợp lệ/);

    // Twelve digits but no such province (999): the server's check, shown at the same place.
    const bad = '999' + id.idNumber.slice(3);
    await idField.fill(bad);
    const answer = page.waitForResponse((r) => r.url().endsWith('/v1/registrations'));
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    const r = await answer;
    assert.equal(r.status(), 422);
    const body = await r.json();
    assert.deepEqual(body.error.details.map((d) => d.field), ['id_number']);
    await waitDescription(idField, /Số CMT\/CCCD không hợp lệ/);
    assert.equal(await idField.getAttribute('aria-invalid'), 'true');
    assert.equal(await idField.inputValue(), bad, 'the form keeps what was typed');
    assert.equal(await page.getByLabel('Số điện thoại').inputValue(), phone);
    assert.equal(await page.getByLabel('Mã xác thực').inputValue(), CAPTCHA, 'a 422 does not spend the captcha');
    await shot(page, '09-register-bad-id');

    // A wrong captcha is said next to the captcha, and a new image replaces the spent one.
    await idField.fill(id.idNumber);
    await page.getByLabel('Mã xác thực').fill('WRONG');
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await waitDescription(page.getByLabel('Mã xác thực'), /Mã xác thực không đúng/);
  } finally {
    await b.close();
  }
});
