// The one rule for a typed ticket number against a scanned code: every case of
// crates/aspk-ticket/vectors/typed-numbers.json (the Rust HumanNumber::is_typed test reads the
// same file) through web/scan/verify.js isTypedNumber and the scanner's classify
// (web/scan/decide.js), in Node and in headless Debian Chromium, the phone's engine.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { classify } from '../scan/decide.js';
import { isTypedNumber } from '../scan/verify.js';
import { openPage, REPO_DIR, startServer } from './harness.mjs';

const VECTORS_PATH = join(REPO_DIR, 'crates', 'aspk-ticket', 'vectors', 'typed-numbers.json');
const { cases } = JSON.parse(await readFile(VECTORS_PATH, 'utf8'));

/** Each case's verdicts: isTypedNumber, and the kind classify gives. */
function verdicts(list, isTyped, classifyText) {
  return list.map(({ input }) => ({ input, typed: isTyped(input), kind: classifyText(input).kind }));
}

const expected = cases.map(({ input, typed }) => ({ input, typed, kind: typed ? 'number' : 'code' }));

function assertVerdicts(got) {
  for (const [i, c] of cases.entries()) {
    assert.deepEqual(got[i], expected[i], `${JSON.stringify(c.input)}: ${c.why}`);
  }
}

test('the vectors hold both kinds and the edges of the rule', () => {
  const has = (input, typed) => cases.some((c) => c.input === input && c.typed === typed);
  assert.ok(has('482109375526', true), '12 digits');
  assert.ok(has('4821093755260', false), '13 digits');
  assert.ok(has('', false), 'empty');
  assert.ok(cases.some((c) => !c.typed && c.input.length > 100), 'a QR code');
  assert.ok(cases.some((c) => c.typed && /[ .\u00a0-]/.test(c.input.trim())), 'separators');
});

test('isTypedNumber and classify follow the shared vectors (Node)', () => {
  assertVerdicts(verdicts(cases, isTypedNumber, classify));
  assert.equal(isTypedNumber(undefined), false);
  assert.equal(classify(undefined).kind, 'code');
});

describe('in Chromium', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await openPage(server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('isTypedNumber and classify follow the shared vectors (Chromium)', async () => {
    const got = await browser.page.evaluate(async (list) => {
      const { isTypedNumber: isTyped } = await import('/scan/verify.js');
      const { classify: classifyText } = await import('/scan/decide.js');
      return list.map(({ input }) => ({ input, typed: isTyped(input), kind: classifyText(input).kind }));
    }, cases);
    assertVerdicts(got);
    assert.deepEqual(browser.errors, [], 'errors in the page');
  });
});
