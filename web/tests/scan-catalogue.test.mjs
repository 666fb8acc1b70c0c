// The scanner app's message catalogues (no browser): Ukrainian and English have the same keys,
// and every key the page and the code ask for exists, so no screen shows a bare key.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { SCAN_DIR } from './harness.mjs';

import uk from '../scan/messages/uk.js';
import en from '../scan/messages/en.js';

const RESULTS = ['admit', 'already_used', 'void', 'not_valid_yet', 'expired', 'wrong_venue', 'invalid', 'unknown'];

test('uk and en have the same keys, none empty', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(uk).sort());
  for (const [k, v] of [...Object.entries(uk), ...Object.entries(en)]) assert.ok(v.trim(), `${k} is empty`);
});

test('every key used by the page and the code exists', async () => {
  const used = new Set(RESULTS.map((r) => `reason.${r}`));
  const html = await readFile(join(SCAN_DIR, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-aria)?="([^"]+)"/g)) used.add(m[1]);
  for (const file of ['app.js', 'ui.js', 'i18n.js', 'catalogue.js']) {
    const js = await readFile(join(SCAN_DIR, file), 'utf8');
    for (const m of js.matchAll(/\bt\('([a-z.]+)'/g)) used.add(m[1]);
    for (const m of js.matchAll(/'((?:app|lang|pair|status|scan|result|reason|error)\.[a-z_.]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 30, `found only ${used.size} keys`);
  for (const key of used) assert.ok(key in uk, `missing in uk.js: ${key}`);
});
