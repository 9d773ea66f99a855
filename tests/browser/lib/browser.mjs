// browser.mjs: Debian's chromium driven by playwright-core, one fresh profile per test,
// with the checks every test shares: no console error and no uncaught exception on the
// page, and screenshots of each screen at desktop (1280x800) and phone (360x740) sizes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.DVCID_CHROMIUM || '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
const SHOTS = process.env.DVCID_SCREENSHOTS || fileURLToPath(new URL('../screenshots', import.meta.url));

/** Starts chromium on a new temporary profile and opens baseUrl in a page. Returns
 * {page, context, problems, close()}. problems collects console errors and page
 * exceptions; close() throws when there were any, so a test fails on them. An API
 * answer of 4xx is the page working as meant (it shows the error to the person), but
 * Chrome still logs it as "Failed to load resource": those are not problems; any other
 * failed load (the page, its script, its styles, a CSP refusal) is. */
export async function openPage(baseUrl, { viewport = DESKTOP, lang } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dvcid-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  });
  context.setDefaultTimeout(10000);
  const problems = [];
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url || '';
    const apiAnswer = /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) &&
      new URL(url, baseUrl).pathname.startsWith('/v1/');
    if (!apiAnswer) problems.push(`console error: ${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
  if (lang) await page.addInitScript((l) => localStorage.setItem('dvcid.lang', l), lang);
  await page.goto(baseUrl + '/');
  await page.getByRole('heading', { level: 1 }).waitFor();
  return {
    page,
    context,
    problems,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
      assert.deepEqual(problems, [], 'the page logged errors');
    }
  };
}

/** Screenshots of what is on screen now, at desktop and phone width, as
 * <name>-desktop.png and <name>-360.png (full page) in DVCID_SCREENSHOTS. Also checks,
 * on every screen shot, that each input has a <label> and each button a name, and that
 * the phone width needs no sideways scrolling. */
export async function shot(page, name) {
  const nameless = await page.evaluate(() => [
    ...[...document.querySelectorAll('input')].filter((i) => !i.labels || !i.labels.length)
      .map((i) => `input ${i.name || i.id}`),
    ...[...document.querySelectorAll('button')]
      .filter((b) => !(b.textContent.trim() || b.getAttribute('aria-label'))).map((b) => b.outerHTML)
  ]);
  assert.deepEqual(nameless, [], `${name}: controls without a label or name`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true, animations: 'disabled' });
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name}: at 360 px the page is ${overflow} px wider than the window`);
  await page.screenshot({ path: path.join(SHOTS, `${name}-360.png`), fullPage: true, animations: 'disabled' });
  await page.setViewportSize(before || DESKTOP);
}

/** The accessible description of a field: the texts its aria-describedby points at
 * (its hint and, after a failure, its error), as a screen reader would read them. */
export async function description(locator) {
  return locator.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(/\s+/)
    .map((id) => document.getElementById(id))
    .filter((d) => d && !d.hidden && d.textContent.trim())
    .map((d) => d.textContent.trim()).join(' | '));
}

/** Waits until the field's description matches re; returns it. */
export async function waitDescription(locator, re, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await description(locator);
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`field description ${JSON.stringify(last)} does not match ${re}`);
}

/** Waits for the level-1 heading to read text (the screen changed). */
export async function waitScreen(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

/** Waits until the captcha image of the shown form has loaded its data: URL. */
export async function waitCaptcha(page) {
  await page.waitForFunction(() => {
    const img = document.querySelector('main .captcha-img');
    return img && img.getAttribute('src') && img.getAttribute('src').startsWith('data:image/') && img.complete;
  });
}
