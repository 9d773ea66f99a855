/*
 * Language of the web page: Vietnamese first, English on request (remembered in
 * localStorage). Static text is the Vietnamese of index.html, switched by data-i18n keys;
 * text made by script is a message ({key, vars}, {err} from the server, or {parts}) kept on
 * its element, so a change of language can render everything on screen again.
 */

import { EN, MSG } from './text.js';

const LANG_KEY = 'dvcid.lang';
export let lang = readStorage(localStorage, LANG_KEY) === 'en' ? 'en' : 'vi';

export function readStorage(store, key) {
  try { return store.getItem(key); } catch { return null; } // storage may be disabled
}
export function writeStorage(store, key, value) {
  try { value === null ? store.removeItem(key) : store.setItem(key, value); } catch { /* disabled */ }
}

/* The text of message key in the current language, with {name} filled from vars. */
export function t(key, vars = {}) {
  const pair = MSG[key];
  let s = pair ? (lang === 'en' ? pair[1] : pair[0]) ?? pair[0] ?? pair[1] : key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/* A message is {key, vars} (made here), {err} (a server error) or {parts: [msg...]}. */
export function msgText(msg) {
  if (msg.parts) return msg.parts.map(msgText).join(' ');
  if (msg.err) {
    const en = MSG['err.' + msg.err.code];
    if (lang === 'en' && en && en[1]) return en[1];
    if (msg.err.code === 'network') return t('net.down');
    return msg.err.message || t('err.generic');
  }
  return t(msg.key, msg.vars);
}

/* Shows msg in el (or empties and hides el when msg is null) and remembers it, so a
 * change of language can render it again. */
export function setMsg(el, msg, { hide = true } = {}) {
  if (!el) return;
  el._msg = msg;
  el.textContent = msg ? msgText(msg) : '';
  if (hide) el.hidden = !msg;
}

/* Puts root's static text and remembered messages in the current language. The
 * Vietnamese of a static element is its text in index.html, saved on first use. */
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    if (el.dataset.vi === undefined) el.dataset.vi = el.textContent;
    el.textContent = lang === 'en' ? EN[el.dataset.i18n] ?? el.dataset.vi : el.dataset.vi;
  }
  for (const attr of ['aria-label', 'alt', 'placeholder']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      const saved = `data-vi-${attr}`;
      if (!el.hasAttribute(saved)) el.setAttribute(saved, el.getAttribute(attr) ?? '');
      const en = EN[el.getAttribute(`data-i18n-${attr}`)];
      el.setAttribute(attr, lang === 'en' && en ? en : el.getAttribute(saved));
    }
  }
  for (const el of root.querySelectorAll('*')) {
    if (el._msg) el.textContent = msgText(el._msg);
  }
}

/* Switches the page to next ('vi' or 'en') and remembers the choice. */
export function setLanguage(next) {
  lang = next;
  writeStorage(localStorage, LANG_KEY, lang);
  document.documentElement.lang = lang;
  translate(document.body);
}
