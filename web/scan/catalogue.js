// A message catalogue for a browser app: Ukrainian by default, English on request (`?lang=`),
// the choice remembered under the app's own storage key. Texts live in the app's
// messages/<lang>.js only; code asks for them by key. Shared by the scanner and the
// box-office device app.

/**
 * The catalogue of an app whose texts are `catalogues` ({uk, en}), remembering the language
 * under `storageKey`: {lang, setLang, t, apply}.
 */
export function catalogue(catalogues, storageKey) {
  let current = pick();

  function pick() {
    const fromUrl = new URLSearchParams(location.search).get('lang');
    if (fromUrl && catalogues[fromUrl]) return fromUrl;
    try {
      const saved = localStorage.getItem(storageKey);
      if (saved && catalogues[saved]) return saved;
    } catch {
      // storage unavailable: default language
    }
    return 'uk';
  }

  const lang = () => current;

  function setLang(next) {
    if (!catalogues[next]) return;
    current = next;
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // not remembered, still switched
    }
    apply(document);
  }

  /** The text for `key` with `{name}` placeholders filled from `vars`. */
  function t(key, vars = {}) {
    const text = catalogues[current][key] ?? catalogues.uk[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  }

  /** Fills every element with data-i18n (text), data-i18n-placeholder and data-i18n-aria. */
  function apply(root) {
    document.documentElement.lang = current;
    document.title = t('app.title');
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  }

  return { lang, setLang, t, apply };
}
