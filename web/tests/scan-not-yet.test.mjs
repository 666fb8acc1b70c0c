// The scanner's "not yet" says from when the ticket is valid, in the venue's time (no browser):
// the validity window's start less the early entry, or the first day of a range of days, as
// the screen shows it in both languages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { timeVerdict, validFromText } from '../scan/verify.js';

// 2026-12-05 10:00 in Kyiv (UTC+2 in winter).
const FROM = Date.UTC(2026, 11, 5, 8, 0) / 1000;
const WINDOW = { kind: 'window', from_unix: FROM, until_unix: FROM + 3600 };

test('a window opens at its start in the venue time zone, less the early entry', () => {
  assert.equal(validFromText(WINDOW, 'Europe/Kyiv'), '05.12.2026 10:00');
  assert.equal(validFromText(WINDOW, 'Europe/Kyiv', 15 * 60), '05.12.2026 09:45');
  assert.equal(validFromText(WINDOW, 'Europe/Warsaw'), '05.12.2026 09:00');
  // The moment shown is the first one the verdict lets in.
  assert.equal(timeVerdict(WINDOW, FROM - 15 * 60 - 1, 0, 15 * 60), 'not_yet_valid');
  assert.equal(timeVerdict(WINDOW, FROM - 15 * 60, 0, 15 * 60), 'valid');
});

test('a range of days opens on its first day', () => {
  const firstDay = Date.UTC(2026, 11, 24) / 86_400_000;
  assert.equal(validFromText({ kind: 'days', first_day: firstDay, last_day: firstDay + 2 }, 'Europe/Kyiv'), '24.12.2026');
});

/** A page just big enough for ui.js's result box, in `lang`. */
function fakePage(lang) {
  const elements = new Map();
  globalThis.location = { search: `?lang=${lang}`, origin: 'http://localhost' };
  globalThis.localStorage = { getItem: () => null, setItem: () => {} };
  globalThis.document = {
    documentElement: {},
    querySelectorAll: () => [],
    getElementById: (id) => {
      if (!elements.has(id)) elements.set(id, { id, dataset: {}, textContent: '', hidden: true });
      return elements.get(id);
    },
  };
  return elements;
}

for (const [lang, words] of [['uk', 'Ще не час'], ['en', 'Too early']]) {
  test(`the result screen says from when, in ${lang}`, async () => {
    const elements = fakePage(lang);
    const ui = await import('../scan/ui.js');
    (await import('../scan/i18n.js')).setLang(lang);
    const shown = { result: 'not_valid_yet', serial: undefined, validFrom: validFromText(WINDOW, 'Europe/Kyiv') };
    assert.equal(ui.showResult(shown), 'deny');
    const reason = elements.get('result-reason').textContent;
    elements.get('result').onclick();
    assert.ok(reason.includes(words), reason);
    assert.ok(reason.includes('05.12.2026 10:00'), `no time in ${JSON.stringify(reason)}`);
  });
}
