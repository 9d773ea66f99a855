// Sign-in in the browser (flows.md sections 2 and 3): home → "Đăng nhập" → "Tài khoản cấp
// bởi Cổng DVC Quốc Gia" → tab "CMT/CCCD" → OTP; with "Gửi lại OTP", "Chọn phương thức xác
// thực khác", "Mất số điện thoại nhận OTP", the account page (add a phone, sign out) and a
// wrong password. Accounts are registered over the API: registration has its own test.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { description, openPage, shot, waitCaptcha, waitDescription, waitScreen } from './lib/browser.mjs';
import { CAPTCHA, FULL_NAME, maskPhone, newPhone, Stack, wrongCode } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await new Stack().start();
});
after(async () => {
  await stack?.stop();
});

/** From the sign-in form to the OTP screen; shots names the screenshots, if any. */
async function signInForm(page, account, { shots = false, password = account.password } = {}) {
  await page.getByRole('tab', { name: 'CMT/CCCD' }).click();
  await waitCaptcha(page);
  await page.getByLabel('Tên đăng nhập').fill(account.idNumber);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await page.getByLabel('Mã xác thực').fill(CAPTCHA);
  if (shots) await shot(page, '11-login');
  await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
}

/** From home to the OTP screen of a sign-in. */
async function signIn(page, account, opts = {}) {
  await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await waitScreen(page, 'Đăng nhập');
  if (opts.shots) await shot(page, '10-login-choose');
  await page.getByRole('button', { name: 'Tài khoản cấp bởi Cổng DVC Quốc Gia' }).click();
  await page.getByRole('tab', { name: 'CMT/CCCD' }).waitFor();
  await signInForm(page, account, opts);
  await waitScreen(page, 'Xác thực mã OTP');
}

/** Waits until button can be pressed (the resend_after countdown is over). */
async function whenEnabled(page, button) {
  const handle = await button.elementHandle();
  await page.waitForFunction((b) => !b.disabled, handle, { timeout: 10000 });
}

async function confirm(page, code) {
  await page.getByLabel('Mã OTP').fill(code);
  await page.getByRole('button', { name: 'Xác nhận' }).click();
}

test('sign in with a resend; the account page shows masked phones, adds one, signs out', async () => {
  const account = await stack.register();
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await signIn(page, account, { shots: true });
    await page.getByText(`đến số điện thoại ${maskPhone(account.phone)}`).waitFor();
    const first = await stack.lastOtp(account.phone, 'login');
    for (const name of ['Gửi lại OTP', 'Chọn phương thức xác thực khác', 'Mất số điện thoại nhận OTP']) {
      await page.getByRole('button', { name }).waitFor();
    }
    await shot(page, '12-login-otp');

    const resend = page.getByRole('button', { name: 'Gửi lại OTP' });
    assert.equal(await resend.isDisabled(), true);
    await whenEnabled(page, resend);
    await resend.click();
    await page.getByText('Đã gửi lại mã OTP mới').waitFor();
    const second = await stack.lastOtp(account.phone, 'login');
    assert.notEqual(second, first);
    // The first code died with the resend.
    await confirm(page, first);
    await waitDescription(page.getByLabel('Mã OTP'), /Mã OTP không đúng/);
    await confirm(page, second);

    await waitScreen(page, 'Thông tin tài khoản');
    await page.getByText(FULL_NAME).waitFor();
    const phones = page.locator('main .phones li');
    await phones.first().waitFor();
    const listedPhones = () => phones.evaluateAll((lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
    assert.deepEqual(await listedPhones(), [`${maskPhone(account.phone)} số chính`]);
    assert.ok(!(await page.locator('main').innerText()).includes(account.phone), 'the full number never shows');
    await shot(page, '13-profile');

    // Add a phone: a code to the new number, then it is listed.
    const extra = newPhone();
    await page.getByLabel('Số điện thoại').fill(extra);
    await page.getByRole('button', { name: 'Thêm số điện thoại' }).click();
    await waitScreen(page, 'Xác thực số điện thoại');
    await page.getByText(maskPhone(extra)).waitFor();
    await shot(page, '14-add-phone-otp');
    await confirm(page, await stack.lastOtp(extra, 'add_phone'));
    await waitScreen(page, 'Thông tin tài khoản');
    await page.getByText(`Đã thêm số điện thoại ${maskPhone(extra)}`).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('main .phones li').length === 2);
    assert.deepEqual(await listedPhones(), [`${maskPhone(account.phone)} số chính`, maskPhone(extra)]);
    await shot(page, '15-profile-added');

    // A reload keeps the session (the HttpOnly cookie), then sign out ends it.
    await page.reload();
    await waitScreen(page, 'Thông tin tài khoản');
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await waitScreen(page, 'Tài khoản Cổng Dịch vụ công Quốc gia');
    await page.getByText('Bạn đã đăng xuất.').waitFor();
    const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
    assert.equal(me, 401);
  } finally {
    await b.close();
  }
});

test('sign in: "Chọn phương thức xác thực khác" sends the code to another phone of the account', async () => {
  const account = await stack.register();
  const other = newPhone();
  await stack.addPhone(account, other);
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await signIn(page, account);
    await stack.lastOtp(account.phone, 'login');
    await page.getByRole('button', { name: 'Chọn phương thức xác thực khác' }).click();
    await waitScreen(page, 'Chọn phương thức xác thực khác');
    const choices = page.getByRole('radio');
    assert.equal(await choices.count(), 2);
    assert.equal(await page.getByLabel(`${maskPhone(account.phone)} (số chính)`).isChecked(), true);
    await shot(page, '16-method');
    await page.getByLabel(maskPhone(other)).check();
    const send = page.getByRole('button', { name: 'Gửi mã OTP' });
    await whenEnabled(page, send);
    await send.click();
    await waitScreen(page, 'Xác thực mã OTP');
    await page.getByText(`Đã gửi mã OTP đến số ${maskPhone(other)}`).waitFor();
    await confirm(page, await stack.lastOtp(other, 'login'));
    await waitScreen(page, 'Thông tin tài khoản');
  } finally {
    await b.close();
  }
});

test('sign in: "Mất số điện thoại nhận OTP" moves OTPs to a new phone', async () => {
  const account = await stack.register();
  const fresh = newPhone();
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await signIn(page, account);
    await stack.lastOtp(account.phone, 'login');
    await page.getByRole('button', { name: 'Mất số điện thoại nhận OTP' }).click();
    await waitScreen(page, 'Nhập số điện thoại nhận OTP mới');
    // A landline is refused next to the field.
    await page.getByLabel('Số điện thoại mới').fill('0243123456');
    const register = page.getByRole('button', { name: 'Đăng ký', exact: true });
    await whenEnabled(page, register);
    await register.click();
    await waitDescription(page.getByLabel('Số điện thoại mới'), /Số điện thoại di động không hợp lệ/);
    await page.getByLabel('Số điện thoại mới').fill(fresh);
    await shot(page, '17-new-phone');
    await register.click();
    await waitScreen(page, 'Xác thực số điện thoại mới');
    await page.getByText(maskPhone(fresh)).first().waitFor();
    const code = await stack.lastOtp(fresh, 'phone_change');
    await shot(page, '18-new-phone-otp');
    await confirm(page, wrongCode(code));
    await waitDescription(page.getByLabel('Mã OTP'), /Mã OTP không đúng\. Bạn còn \d+ lần nhập\./);
    await confirm(page, code);
    await waitScreen(page, 'Đổi số điện thoại thành công');
    await page.getByText('Đã đổi thành công số điện thoại nhận OTP').waitFor();
    await shot(page, '19-phone-changed');
    assert.ok(stack.smsFor(account.phone, 'notice').length >= 1, 'the old phone got a notice');

    // Signing in again sends the code to the new phone.
    await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
    await page.getByRole('tab', { name: 'CMT/CCCD' }).waitFor();
    await signInForm(page, account);
    await waitScreen(page, 'Xác thực mã OTP');
    await page.getByText(`đến số điện thoại ${maskPhone(fresh)}`).waitFor();
    await confirm(page, await stack.lastOtp(fresh, 'login'));
    await waitScreen(page, 'Thông tin tài khoản');
  } finally {
    await b.close();
  }
});

test('sign in: a wrong password is said above the form, which keeps the ID number', async () => {
  const account = await stack.register();
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
    await page.getByRole('button', { name: 'Tài khoản cấp bởi Cổng DVC Quốc Gia' }).click();
    await signInForm(page, account, { password: 'Sai!Matkhau1' });
    await page.getByRole('alert').filter({ hasText: 'Số CMND/CCCD hoặc mật khẩu không đúng' }).waitFor();
    assert.equal(await page.getByLabel('Tên đăng nhập').inputValue(), account.idNumber);
    assert.equal(await page.getByLabel('Mã xác thực').inputValue(), '', 'a new captcha to type');
    await waitCaptcha(page);
    assert.match(await description(page.getByLabel('Tên đăng nhập')), /Số CMT\/CCCD đã đăng ký/);
    await shot(page, '20-login-wrong-password');
  } finally {
    await b.close();
  }
});
