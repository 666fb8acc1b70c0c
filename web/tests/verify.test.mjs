// Browser tests of web/scan/verify.js: every case of crates/aspk-ticket/tests/vectors.json in
// headless Debian Chromium, on the WebCrypto path, the forced fallback path (vendored noble) and
// the automatic choice (also in a page without WebCrypto Ed25519); extra adversarial signatures;
// the human-number helpers against Rust-made numbers; and the in-browser verification throughput
// (printed, and written to $ASPK_TEST_ARTIFACTS/browser-verifier.json when set; not asserted).
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { adversarialCases } from './adversarial.mjs';
import { loadVectors, openPage, startServer, TESTS_DIR } from './harness.mjs';

const BACKENDS = ['webcrypto', 'fallback', 'auto'];
const BENCH_N = Number(process.env.ASPK_BROWSER_BENCH_N ?? 2000);

let server;
let browser;
let vectors;
let ringKeys;
let extraCases;
const report = { chromium: null, cases: {}, raw: [], throughput: [] };

before(async () => {
  vectors = await loadVectors();
  ringKeys = vectors.keys.filter((k) => k.in_key_ring).map(({ key_id, public_key_hex }) => ({ key_id, public_key_hex }));
  extraCases = adversarialCases(vectors);
  server = await startServer();
  browser = await openPage(server.url);
  report.chromium = browser.version;
});

after(async () => {
  await browser?.close();
  await server?.close();
  const dir = process.env.ASPK_TEST_ARTIFACTS;
  if (dir) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'browser-verifier.json'), JSON.stringify(report, null, 2) + '\n');
  }
});

/** Calls an export of page-runner.js inside the page. */
function inPage(fn, ...args) {
  return browser.page.evaluate(
    async ([fn, args]) => (await import('/tests/page-runner.js'))[fn](...args),
    [fn, args],
  );
}

function noPageErrors() {
  assert.deepEqual(browser.errors, [], 'errors in the page');
}

function record(name, column, value) {
  (report.cases[name] ??= {})[column] = value;
}

const outcomeLabel = (r) => (r.outcome === 'malformed' ? `malformed/${r.detail}` : r.outcome);

/** The expectations of one vector (as the Rust tests/vectors.rs checks them). */
function checkCase(c, r, label) {
  const where = `${label}: case ${c.name}`;
  assert.equal(r.name, c.name);
  assert.equal(r.outcome, c.expect, `${where}: got ${r.outcome} ${r.detail ?? ''} ${r.message ?? ''}`);
  if (c.expect !== 'valid') assert.equal(r.errorName, 'TicketCodeError', where);
  if (c.expect === 'malformed') {
    assert.equal(r.detail, c.error, `${where}: malformed detail`);
  } else if (c.expect !== 'valid') {
    assert.equal(r.detail, c.expect, where);
  }
  if (c.expect === 'valid') {
    assert.deepEqual(r.claims, c.claims, `${where}: claims`);
    assert.equal(r.keyId, c.key_id, `${where}: key id`);
    assert.deepEqual(r.verdicts, (c.time_checks ?? []).map((t) => t.verdict), `${where}: time verdicts`);
  }
  if (c.expect === 'unknown_key') assert.equal(r.keyId, c.key_id, `${where}: unknown key id`);
  if (c.expect === 'unsupported_version') {
    assert.equal(r.version, parseInt(c.bytes_hex.slice(0, 2), 16), `${where}: version`);
  }
  // decodeCode (the Rust `peek`) agrees with verifyCode on everything but key and signature.
  if (c.expect === 'malformed' || c.expect === 'unsupported_version') {
    assert.deepEqual(r.decodeError, { kind: r.outcome, detail: r.detail }, `${where}: decodeCode`);
  } else {
    assert.ok(r.decoded, `${where}: decodeCode failed: ${JSON.stringify(r.decodeError)}`);
    assert.equal(r.decoded.signatureLength, 64, where);
    if (c.key_id !== undefined) assert.equal(r.decoded.keyId, c.key_id, `${where}: decoded key id`);
    if (c.bytes_hex) assert.equal(r.decoded.bytesHex, c.bytes_hex, `${where}: decoded bytes`);
    if (c.claims) assert.deepEqual(r.decoded.claims, c.claims, `${where}: decoded claims`);
  }
}

test('Chromium runs the verifier and has WebCrypto Ed25519', async (t) => {
  t.diagnostic(`browser: Chromium ${browser.version} (${process.env.ASPK_CHROMIUM ?? '/usr/bin/chromium'})`);
  assert.equal(await inPage('webCryptoEd25519Supported'), true, 'the WebCrypto path would not be exercised');
  assert.ok(vectors.cases.length >= 29, 'vectors file looks truncated');
  noPageErrors();
});

for (const backend of BACKENDS) {
  test(`every vector on the ${backend} path`, async () => {
    const results = await inPage('runCases', vectors.cases, ringKeys, backend);
    assert.equal(results.length, vectors.cases.length);
    vectors.cases.forEach((c, i) => {
      record(c.name, backend, outcomeLabel(results[i]));
      checkCase(c, results[i], backend);
    });
    noPageErrors();
  });
}

test('without WebCrypto Ed25519 (older browsers) the automatic choice uses the vendored library', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(server.url + '/');
    const { supported, results } = await page.evaluate(
      async ([cases, keys]) =>
        (await import('/tests/page-runner.js')).runCasesWithoutWebCryptoEd25519(cases, keys),
      [vectors.cases, ringKeys],
    );
    assert.equal(supported, false);
    vectors.cases.forEach((c, i) => {
      record(c.name, 'auto_no_webcrypto', outcomeLabel(results[i]));
      checkCase(c, results[i], 'auto without WebCrypto Ed25519');
    });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('adversarial signatures beyond the vectors: refused on both paths like verify_strict', async () => {
  const valid = vectors.cases.find((c) => c.name === 'valid_window');
  const control = extraCases.find((c) => c.name === 'control_resigned');
  // Ed25519 signing is deterministic: the re-signed control must be exactly the Rust-made code.
  assert.equal(control.code, valid.code, 'crafting arithmetic differs from RFC 8032');
  for (const backend of BACKENDS) {
    const results = await inPage('runCases', extraCases, ringKeys, backend);
    extraCases.forEach((c, i) => {
      const r = results[i];
      record(c.name, backend, outcomeLabel(r));
      assert.equal(r.outcome, c.expect, `${backend}: ${c.name}: ${r.message ?? ''}`);
      if (c.expect === 'valid') assert.deepEqual(r.claims, valid.claims);
    });
  }
  noPageErrors();
});

test('what the bare primitives say without the strict pre-checks (report)', async (t) => {
  const all = [...vectors.cases, ...extraCases];
  const rows = await inPage('probeRawPrimitives', all, ringKeys);
  report.raw = rows;
  const expect = Object.fromEntries(all.map((c) => [c.name, c.expect]));
  t.diagnostic('case | expect | pre-checks pass | raw WebCrypto | raw noble strict | raw noble ZIP-215');
  for (const row of rows) {
    t.diagnostic(
      `${row.name} | ${expect[row.name]} | ${row.precheck} | ${row.webcrypto} | ${row.nobleStrict} | ${row.nobleZip215}`,
    );
    Object.assign((report.cases[row.name] ??= {}), {
      precheck: row.precheck,
      raw_webcrypto: row.webcrypto,
      raw_noble_strict: row.nobleStrict,
      raw_noble_zip215: row.nobleZip215,
    });
    // The pre-checks never refuse a genuine signature.
    if (expect[row.name] === 'valid') {
      assert.equal(row.precheck, true, row.name);
      assert.equal(row.webcrypto, 'true', row.name);
    }
  }
  // Every case whose signature is not genuine is refused by the pre-checks or by WebCrypto.
  for (const row of rows) {
    if (expect[row.name] === 'bad_signature') {
      assert.ok(!row.precheck || row.webcrypto !== 'true', `${row.name} would pass`);
    }
  }
  noPageErrors();
});

test('human numbers and Verhoeff digits match the Rust-made fixture', async () => {
  const fixture = JSON.parse(await readFile(join(TESTS_DIR, 'fixtures', 'human-numbers.json'), 'utf8'));
  // The fixture was made from the serials of the valid vectors: make sure it still covers them.
  const serials = new Set(fixture.numbers.map((n) => n.serial));
  for (const c of vectors.cases) if (c.claims) assert.ok(serials.has(c.claims.serial), `serial of ${c.name}`);
  const got = await inPage('runHumanNumbers', fixture);
  fixture.numbers.forEach((n, i) => {
    const g = got.numbers[i];
    assert.equal(g.display, n.display, `formatHumanNumber(${n.serial})`);
    assert.equal(g.check_digit, n.check_digit, `check digit of ${n.serial}`);
    assert.deepEqual(g.parsed, { serial: n.serial, digits: n.digits }, `parse of ${n.display}`);
  });
  fixture.check_digits.forEach((x, i) =>
    assert.equal(got.check_digits[i].check_digit, x.check_digit, `verhoeffCheckDigit(${JSON.stringify(x.input)})`),
  );
  fixture.is_valid.forEach((x, i) =>
    assert.equal(got.is_valid[i].valid, x.valid, `verhoeffIsValid(${JSON.stringify(x.input)})`),
  );
  fixture.parse.forEach((x, i) => {
    const g = got.parse[i];
    const label = `parseHumanNumber(${JSON.stringify(x.input)})`;
    if (x.ok) assert.deepEqual(g.ok, x.ok, label);
    else {
      assert.deepEqual(g.error, x.error, label);
      assert.equal(g.errorName, 'HumanNumberError', label);
    }
  });
  noPageErrors();
});

test(`in-browser verification throughput (${BENCH_N} verifications per path; a figure, not a limit)`, async (t) => {
  const codes = vectors.cases.filter((c) => c.expect === 'valid').map((c) => c.code);
  const runs = [
    { backend: 'webcrypto', batch: 1 },
    { backend: 'webcrypto', batch: 64 },
    { backend: 'fallback', batch: 1 },
  ];
  for (const run of runs) {
    const r = await inPage('throughput', { codes, keys: ringKeys, n: BENCH_N, ...run });
    report.throughput.push(r);
    t.diagnostic(
      `verifyCode ${run.backend}${run.batch > 1 ? ` (${run.batch} concurrent)` : ' (one at a time)'}: ` +
        `${Math.round(r.perSecond)} codes/s (${r.n} in ${Math.round(r.ms)} ms, ${((r.ms * 1000) / r.n).toFixed(0)} µs each)`,
    );
    assert.ok(r.perSecond > 0);
  }
  const d = await inPage('decodeThroughput', { codes, n: 20 * BENCH_N });
  report.throughput.push({ backend: 'decode only', ...d });
  t.diagnostic(`decodeCode only: ${Math.round(d.perSecond)} codes/s (${d.n} in ${Math.round(d.ms)} ms)`);
  noPageErrors();
});
