// The box-office device app's message catalogues (no browser): Ukrainian and English have the
// same keys, none empty, and every key the page and the code name literally exists, so no
// screen shows a bare key. (Keys built at run time, e.g. `refused.${reason}`, are checked by
// the browser tests that reach them.)
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { WEB_DIR } from './harness.mjs';

import uk from '../box/messages/uk.js';
import en from '../box/messages/en.js';

const BOX_DIR = join(WEB_DIR, 'box');

test('uk and en have the same keys, none empty', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(uk).sort());
  for (const [k, v] of [...Object.entries(uk), ...Object.entries(en)]) assert.ok(v.trim(), `${k} is empty`);
});

test('every key the page and the code name exists', async () => {
  const used = new Set();
  const html = await readFile(join(BOX_DIR, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-placeholder|-aria)?="([^"]+)"/g)) used.add(m[1]);
  const files = (await readdir(BOX_DIR)).filter((f) => f.endsWith('.js') && f !== 'sw.js');
  for (const file of files) {
    const js = await readFile(join(BOX_DIR, file), 'utf8');
    for (const m of js.matchAll(/\bt\('([a-z_][a-z0-9_.]*)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 60, `found only ${used.size} keys`);
  const missing = [...used].filter((key) => !(key in uk));
  assert.deepEqual(missing, [], 'keys missing in uk.js');
});
