// Unlock with your phone in the browser (issue 21): wrong passwords lock the sign-in; the
// locked answer offers "Mở khóa bằng điện thoại", whose screen keeps the ID number; a code
// to the account's primary phone unlocks it; back on the sign-in screen the password and
// the sign-in code sign the citizen in.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openPage, shot, waitCaptcha, waitScreen } from './lib/browser.mjs';
import { CAPTCHA, Stack } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await new Stack({ login: { max_failures: 2, lock_seconds: 900 } }).start();
});
after(async () => {
  await stack?.stop();
});

async function signInForm(page, account, password) {
  await waitCaptcha(page);
  await page.getByLabel('Tên đăng nhập').fill(account.idNumber);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(password);
  await page.getByLabel('Mã xác thực').fill(CAPTCHA);
  await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
}

test('locked sign-in: unlock with the phone, then sign in', async () => {
  const account = await stack.register();
  const b = await openPage(stack.url);
  const { page } = b;
  try {
    await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
    await page.getByRole('button', { name: 'Tài khoản cấp bởi Cổng DVC Quốc Gia' }).click();
    await waitScreen(page, 'Đăng nhập');
    const unlockLink = page.getByRole('button', { name: 'Mở khóa bằng điện thoại' });
    assert.equal(await unlockLink.count(), 0, 'no unlock offered before a lock');
    await signInForm(page, account, 'Sai!Matkhau1');
    await page.getByRole('alert').filter({ hasText: 'mật khẩu không đúng' }).waitFor();
    await signInForm(page, account, 'Sai!Matkhau2');
    // The lock: the answer says the phone can lift it, and the way there is one press.
    await page.getByRole('alert').filter({ hasText: 'Mở khóa bằng điện thoại' }).waitFor();
    await unlockLink.waitFor();
    await shot(page, '25-login-locked');
    await unlockLink.click();

    await waitScreen(page, 'Mở khóa bằng điện thoại');
    assert.equal(await page.getByLabel('Số CMT/CCCD').inputValue(), account.idNumber);
    await waitCaptcha(page);
    await page.getByLabel('Mã xác thực').fill(CAPTCHA);
    await shot(page, '26-unlock');
    await page.getByRole('button', { name: 'Gửi mã mở khóa' }).click();
    await waitScreen(page, 'Mở khóa bằng điện thoại');
    await page.getByText('mã OTP gồm 6 chữ số đã được gửi qua SMS đến số điện thoại chính của tài khoản').waitFor();
    const code = await stack.lastOtp(account.phone, 'unlock');
    await page.getByLabel('Mã OTP').fill(code);
    await page.getByRole('button', { name: 'Xác nhận' }).click();

    // Unlocked, not signed in: the sign-in screen, the ID number kept.
    await waitScreen(page, 'Đăng nhập');
    await page.getByRole('alert').filter({ hasText: 'Tài khoản đã được mở khóa' }).waitFor();
    assert.equal(await page.getByLabel('Tên đăng nhập').inputValue(), account.idNumber);
    await shot(page, '27-unlocked');
    await signInForm(page, account, account.password);
    await waitScreen(page, 'Xác thực mã OTP');
    await page.getByLabel('Mã OTP').fill(await stack.lastOtp(account.phone, 'login'));
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await waitScreen(page, 'Thông tin tài khoản');
  } finally {
    await b.close();
  }
});
