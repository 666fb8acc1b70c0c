// The message catalogue: Ukrainian by default, English on request; the choice is remembered.
// Texts live in messages/<lang>.js only; code asks for them by key.
import uk from './messages/uk.js';
import en from './messages/en.js';

const CATALOGUES = { uk, en };
const KEY = 'aspk-box-lang';

let current = pick();

function pick() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl && CATALOGUES[fromUrl]) return fromUrl;
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && CATALOGUES[saved]) return saved;
  } catch {
    // storage unavailable: default language
  }
  return 'uk';
}

export const lang = () => current;

export function setLang(next) {
  if (!CATALOGUES[next]) return;
  current = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // not remembered, still switched
  }
  apply(document);
}

/** The text for `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = CATALOGUES[current][key] ?? CATALOGUES.uk[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Fills every element with data-i18n (text), data-i18n-placeholder and data-i18n-aria. */
export function apply(root) {
  document.documentElement.lang = current;
  document.title = t('app.title');
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
}
