// Node-side tests of web/scan/verify.js and its vendored library (no browser): the vendored file
// is the pinned package, the small-order list is right, the unit cases of the Rust crate, and
// every vector once more through Node's own WebCrypto (OpenSSL) and the fallback.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import * as v from '../scan/verify.js';
import { adversarialCases, smallOrderPoints } from './adversarial.mjs';
import { bytesToHex, hexToBytes, loadVectors, SCAN_DIR, WEB_DIR } from './harness.mjs';

const vectors = await loadVectors();
const ring = new Map(vectors.keys.filter((k) => k.in_key_ring).map((k) => [k.key_id, hexToBytes(k.public_key_hex)]));
const validWindow = vectors.cases.find((c) => c.name === 'valid_window');

async function outcome(code, keyring, options) {
  try {
    const r = await v.verifyCode(code, keyring, options);
    return { outcome: 'valid', ...r };
  } catch (e) {
    if (!(e instanceof v.TicketCodeError)) throw e;
    return { outcome: e.kind, detail: e.detail, error: e };
  }
}

test('the vendored @noble/ed25519 is the pinned package, unchanged', async () => {
  const pkg = JSON.parse(await readFile(join(WEB_DIR, 'package.json'), 'utf8'));
  const pinned = pkg.devDependencies['@noble/ed25519'];
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'pin an exact version');
  const installed = JSON.parse(await readFile(join(WEB_DIR, 'node_modules/@noble/ed25519/package.json'), 'utf8'));
  assert.equal(installed.version, pinned);
  for (const [vendored, original] of [
    ['noble-ed25519/index.js', 'index.js'],
    ['noble-ed25519/LICENSE', 'LICENSE'],
  ]) {
    assert.ok(
      (await readFile(join(SCAN_DIR, 'vendor', vendored))).equals(
        await readFile(join(WEB_DIR, 'node_modules/@noble/ed25519', original)),
      ),
      `web/scan/vendor/${vendored} differs from @noble/ed25519@${pinned}/${original}`,
    );
  }
  const readme = await readFile(join(SCAN_DIR, 'vendor/README.md'), 'utf8');
  assert.ok(readme.includes(`| ${pinned} `), 'vendor/README.md names another version');
});

test('the vendored jsQR is the pinned package, unchanged', async () => {
  const pkg = JSON.parse(await readFile(join(WEB_DIR, 'package.json'), 'utf8'));
  const pinned = pkg.devDependencies.jsqr;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'pin an exact version');
  const installed = JSON.parse(await readFile(join(WEB_DIR, 'node_modules/jsqr/package.json'), 'utf8'));
  assert.equal(installed.version, pinned);
  for (const [vendored, original] of [
    ['jsqr/jsQR.js', 'dist/jsQR.js'],
    ['jsqr/LICENSE', 'LICENSE'],
  ]) {
    assert.ok(
      (await readFile(join(SCAN_DIR, 'vendor', vendored))).equals(
        await readFile(join(WEB_DIR, 'node_modules/jsqr', original)),
      ),
      `web/scan/vendor/${vendored} differs from jsqr@${pinned}/${original}`,
    );
  }
  const readme = await readFile(join(SCAN_DIR, 'vendor/README.md'), 'utf8');
  assert.ok(readme.includes(`| ${pinned} (exact`), 'vendor/README.md names another jsQR version');
});

test('the small-order check refuses exactly the 8-torsion points, in every encoding', () => {
  const points = smallOrderPoints();
  const ys = new Set(points.map((p) => p.y));
  assert.equal(points.length, 8);
  assert.equal(ys.size, 5); // identity, order 2, order 4 (y = 0), order 8 (two y values)
  const sig = hexToBytes(validWindow.bytes_hex).slice(19);
  const key = ring.get(1);
  assert.equal(v.strictPrecheck(key, sig), true);
  const P = (1n << 255n) - 19n;
  const encode = (y, sign) => {
    const b = new Uint8Array(32);
    for (let i = 0; i < 32; i++, y >>= 8n) b[i] = Number(y & 0xffn);
    if (sign) b[31] |= 0x80;
    return b;
  };
  for (const y of ys) {
    for (const sign of [false, true]) {
      for (const enc of [encode(y, sign), ...(y + P < 1n << 255n ? [encode(y + P, sign)] : [])]) {
        assert.equal(v.strictPrecheck(enc, sig), false, `key ${bytesToHex(enc)}`);
        const withR = sig.slice();
        withR.set(enc, 0);
        assert.equal(v.strictPrecheck(key, withR), false, `R ${bytesToHex(enc)}`);
      }
    }
  }
  // Non-canonical encodings (y >= p) of ordinary values, and S >= L.
  const nonCanonical = sig.slice();
  nonCanonical.set(encode(P + 5n, false), 0);
  assert.equal(v.strictPrecheck(key, nonCanonical), false);
  const bigS = sig.slice();
  bigS.set(encode((1n << 252n) + 27742317777372353535851937790883648493n, false), 32);
  assert.equal(v.strictPrecheck(key, bigS), false, 'S = L');
});

test('digit codec (the Rust digits.rs unit cases)', () => {
  assert.equal(v.bytesToDigits(new Uint8Array([])), '');
  assert.equal(v.bytesToDigits(Uint8Array.of(0)), '000');
  assert.equal(v.bytesToDigits(Uint8Array.of(255)), '255');
  assert.equal(v.bytesToDigits(Uint8Array.of(1, 0)), '00256');
  assert.equal(v.bytesToDigits(new Uint8Array(7).fill(255)), '72057594037927935');
  assert.deepEqual(v.digitsToBytes('72057594037927935255'), new Uint8Array(8).fill(255));
  assert.equal(v.bytesToDigits(Uint8Array.of(1, 0, 1, 0x0b, 0x39, 0x98, 0x86)), '00281479460001926');
  for (const bad of ['256', '65536', '72057594037927936', '99999999999999999', '00000000000000000999']) {
    assert.throws(() => v.digitsToBytes(bad), { kind: 'malformed', detail: 'non_canonical' }, bad);
  }
  for (const bad of ['12a', ' 123', '١٢٣']) {
    assert.throws(() => v.digitsToBytes(bad), { kind: 'malformed', detail: 'not_digits' }, bad);
  }
  for (const bad of ['1', '0'.repeat(16), '0'.repeat(21)]) {
    assert.throws(() => v.digitsToBytes(bad), { detail: 'bad_length' }, bad);
  }
  // Round trip of every length up to 90 bytes.
  for (let n = 0; n <= 90; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    const digits = v.bytesToDigits(bytes);
    assert.equal(digits.length, Math.floor(n / 7) * 17 + v.CHUNK_DIGIT_WIDTHS[n % 7]);
    assert.deepEqual(v.digitsToBytes(digits), bytes);
  }
});

test('whitespace, length and check order (the Rust code.rs unit cases)', async () => {
  const code = validWindow.code;
  for (const ok of [`${code}\n`, `${code}\r\n`, `  ${code}\t`, `\f${code}`]) {
    assert.equal((await outcome(ok, ring)).outcome, 'valid', JSON.stringify(ok));
  }
  const [a, b] = [code.slice(0, 100), code.slice(100)];
  for (const bad of [`${a} ${b}`, `${a}\n${b}`, `${a}-${b}`, `+${code}`, `\u00a0${code}`, `${code}\ufeff`, `\v${code}`]) {
    assert.throws(() => v.decodeCode(bad), { kind: 'malformed', detail: 'not_digits' }, JSON.stringify(bad));
    assert.equal((await outcome(bad, ring)).detail, 'not_digits');
  }
  for (const bad of ['', ' \n', `${code}000`, '0'.repeat(10000), code.slice(0, -17), code.slice(0, -1)]) {
    assert.equal((await outcome(bad, ring)).detail, 'bad_length', `length ${bad.length}`);
  }
  const bytes = v.digitsToBytes(code);
  for (const version of [0, 2, 255]) {
    const changed = bytes.slice();
    changed[0] = version;
    const r = await outcome(v.bytesToDigits(changed), ring);
    assert.equal(r.outcome, 'unsupported_version');
    assert.equal(r.error.version, version);
  }
  assert.deepEqual((await outcome(code, new Map())).error.keyId, 1);
  assert.equal((await outcome(code, new Map())).outcome, 'unknown_key');
  // A field error names the field, like OutOfRange(&'static str).
  const flags = bytes.slice();
  flags[12] = 0x02;
  assert.throws(() => v.decodeCode(v.bytesToDigits(flags)), { detail: 'out_of_range', field: 'flags' });
});

test('verifyCode refuses bad arguments with TypeErrors, not verdicts', async () => {
  await assert.rejects(v.verifyCode(validWindow.code, {}), TypeError);
  await assert.rejects(v.verifyCode(validWindow.code, new Map([[1, new Uint8Array(31)]])), TypeError);
  await assert.rejects(v.verifyCode(validWindow.code, new Map([[1, 'df29']])), TypeError);
  await assert.rejects(v.verifyCode(validWindow.code, ring, { backend: 'openssl' }), TypeError);
  assert.throws(() => v.decodeCode(12345), TypeError);
  assert.throws(() => v.timeVerdict({ kind: 'window', from_unix: 0, until_unix: 60 }, NaN, 0, 0), TypeError);
  assert.throws(() => v.timeVerdict({ kind: 'weeks' }, 0, 0, 0), TypeError);
});

test('a ticket must end by the day its key expires (the Rust claims.rs unit cases)', () => {
  const day = 20_000;
  const keyUntil = day * 86_400 + 3_600;
  const window = (from, until) => ({ kind: 'window', from_unix: from, until_unix: until });
  assert.equal(v.withinKey(window(day * 86_400, (day + 1) * 86_400), keyUntil), true);
  assert.equal(v.withinKey(window(day * 86_400, (day + 1) * 86_400 + 60), keyUntil), false);
  const days = (first, last) => ({ kind: 'days', first_day: first, last_day: last });
  assert.equal(v.withinKey(days(19_990, day), keyUntil), true);
  assert.equal(v.withinKey(days(19_990, day + 1), keyUntil), false);
  assert.equal(v.withinKey(days(0, 2 ** 31 - 1), null), true);
  assert.throws(() => v.withinKey({ kind: 'weeks' }, keyUntil), TypeError);
  assert.throws(() => v.withinKey(days(0, 1), NaN), TypeError);
});

test('time verdict edges (the Rust claims.rs unit cases)', () => {
  const w = { kind: 'window', from_unix: 1_000_000_020, until_unix: 1_000_003_620 };
  assert.equal(v.timeVerdict(w, 1_000_000_019, 0, 0), 'not_yet_valid');
  assert.equal(v.timeVerdict(w, 1_000_000_020, 0, 0), 'valid');
  assert.equal(v.timeVerdict(w, 1_000_003_619, 0, 0), 'valid');
  assert.equal(v.timeVerdict(w, 1_000_003_620, 0, 0), 'expired');
  assert.equal(v.timeVerdict(w, 999_999_120, 0, 900), 'valid');
  assert.equal(v.timeVerdict(w, 999_999_119, 0, 900), 'not_yet_valid');
  assert.equal(v.timeVerdict(w, 1_000_000_019, 0, -900), 'not_yet_valid');
  assert.equal(v.timeVerdict(w, -(2 ** 63), 0, 2 ** 63 - 1), 'not_yet_valid');
  assert.equal(v.timeVerdict(w, 2 ** 63 - 1, 0, 2 ** 63 - 1), 'expired');
  const d = { kind: 'days', first_day: 20_000, last_day: 20_002 };
  assert.equal(v.timeVerdict(d, 0, 19_999, 0), 'not_yet_valid');
  assert.equal(v.timeVerdict(d, 0, 20_000, 0), 'valid');
  assert.equal(v.timeVerdict(d, 0, 20_002, 0), 'valid');
  assert.equal(v.timeVerdict(d, 0, 20_003, 0), 'expired');
  assert.equal(v.timeVerdict(d, 2 ** 63 - 1, 20_001, 2 ** 63 - 1), 'valid');
});

test('every vector and adversarial case through Node (OpenSSL WebCrypto and the fallback)', async () => {
  const cases = [...vectors.cases, ...adversarialCases(vectors)];
  for (const backend of ['webcrypto', 'fallback']) {
    for (const c of cases) {
      const caseRing = new Map(ring);
      for (const k of c.extra_keys ?? []) caseRing.set(k.key_id, hexToBytes(k.public_key_hex));
      const r = await outcome(c.code, caseRing, { backend });
      assert.equal(r.outcome, c.expect, `${backend}: ${c.name}`);
      if (c.expect === 'malformed') assert.equal(r.detail, c.error, `${backend}: ${c.name}`);
      if (c.claims) assert.deepEqual(r.claims, c.claims, `${backend}: ${c.name}`);
    }
  }
});
