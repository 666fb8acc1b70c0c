// Browser test of the box-office device's crypto (web/box/ticket-code.js, web/box/oplog.js) in
// headless Debian Chromium, on the path the device uses: a non-extractable WebCrypto Ed25519
// key made in the page signs a ticket code, which web/scan/verify.js (the scanner's verifier)
// accepts, and an op, whose content hash must equal BLAKE3 of the same content JSON computed
// here in Node. Byte-exactness against Rust is crates/aspk-oplog/tests/it/device_js.rs's job.
//
// Run: cd web && node --test tests/box-crypto.test.mjs
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { after, before, test } from 'node:test';

import { bytesToHex, openPage, WEB_DIR } from './harness.mjs';
import { hlcNow, jsonString, timestamp } from '../box/oplog.js';
import { blake3 } from '../box/vendor/noble-hashes/blake3.js';

// The directories the page may load modules from, served as /<dir>/… (as the server will).
const SERVED = ['box', 'scan'];

/** A static server on 127.0.0.1 for web/box and web/scan (harness.mjs serves web/scan only). */
async function startServer() {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const dir = SERVED.find((d) => path.startsWith(`/${d}/`));
    let file = dir && normalize(join(WEB_DIR, path));
    if (file && !file.startsWith(join(WEB_DIR, dir) + sep)) file = undefined;
    try {
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><meta charset="utf-8"><title>aspk box tests</title>');
        return;
      }
      if (!file || req.method !== 'GET') throw new Error('not found');
      const body = await readFile(file);
      const type = extname(file) === '.js' ? 'text/javascript; charset=utf-8' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

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

test('a non-extractable WebCrypto key in Chromium issues codes the scanner verifies and signs ops', async (t) => {
  t.diagnostic(`browser: Chromium ${browser.version}`);
  const r = await browser.page.evaluate(async () => {
    const { issueCode, webCryptoSigner } = await import('/box/ticket-code.js');
    const oplog = await import('/box/oplog.js');
    const { verifyCode } = await import('/scan/verify.js');
    const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

    const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    const signer = webCryptoSigner(keys.privateKey);
    const ring = new Map([[4711, publicKey]]);

    const window = {
      serial: 99_999_999_999, venue: 3, product: 17, needs_document_check: true,
      validity: { kind: 'window', from_unix: 1_796_378_430, until_unix: 1_796_381_950 },
    };
    const days = {
      serial: 10_000_000_000, venue: 3, product: 18, needs_document_check: false,
      validity: { kind: 'days', first_day: 20_791, last_day: 20_797 },
    };
    const windowCode = await issueCode(window, 4711, signer);
    const daysCode = await issueCode(days, 4711, signer);
    let refused = null;
    try {
      await issueCode({ ...days, serial: 100_000_000_000 }, 4711, signer);
    } catch (e) {
      refused = { name: e.name, field: e.field };
    }
    // Both paths of the scanner's verifier: WebCrypto and the vendored noble fallback.
    const verified = [];
    for (const backend of ['webcrypto', 'fallback']) {
      for (const code of [windowCode, daysCode]) verified.push(await verifyCode(code, ring, { backend }));
    }
    let tampered = null;
    try {
      const flipped = windowCode.slice(0, 40) + ((Number(windowCode[40]) + 1) % 10) + windowCode.slice(41);
      await verifyCode(flipped, ring);
    } catch (e) {
      tampered = e.kind;
    }

    const op = await oplog.signOp({
      origin: 'box-7f3a', seq: 1, hlc: oplog.hlcNow(0n), actor: 'user:анна',
      body: oplog.orderCancelled({
        number: 12_345_678_901, reason: 'Відвідувач: "ні" \\ \n\u0001 🎟️',
        refund: { method: 'cash', amount_minor: -40_000, at: new Date(Date.UTC(2026, 11, 4, 11, 0, 0, 5)), shift: 's-1' },
      }),
    }, 4711, signer);
    const [keyId, sigHex] = op.sig.split('.');
    const sig = Uint8Array.from(sigHex.match(/../g), (h) => parseInt(h, 16));
    const sigOk = await crypto.subtle.verify({ name: 'Ed25519' }, keys.publicKey, sig, oplog.signingMessage(op));
    return {
      extractable: keys.privateKey.extractable,
      windowCode, daysCode, refused, verified, tampered,
      contentJson: oplog.contentJson(op), opJson: oplog.opJson(op), opHashHex: hex(oplog.opHash(op)),
      hlc: op.hlc.toString(), keyId, sigOk, sigHex,
    };
  });

  assert.equal(r.extractable, false, 'the device key must be non-extractable');
  assert.equal(r.windowCode.length, 202);
  assert.equal(r.daysCode.length, 197);
  assert.deepEqual(r.refused, { name: 'RangeError', field: 'serial' });
  const windowClaims = {
    serial: 99_999_999_999, venue: 3, product: 17, needs_document_check: true,
    validity: { kind: 'window', from_unix: 1_796_378_400, until_unix: 1_796_382_000 }, // rounded outwards
  };
  const daysClaims = {
    serial: 10_000_000_000, venue: 3, product: 18, needs_document_check: false,
    validity: { kind: 'days', first_day: 20_791, last_day: 20_797 },
  };
  assert.deepEqual(r.verified, [windowClaims, daysClaims, windowClaims, daysClaims].map((claims) => ({ claims, keyId: 4711 })));
  assert.equal(r.tampered, 'bad_signature');

  // The op: signed by key 4711, its hash is BLAKE3 of its content JSON (computed here, in Node).
  assert.equal(r.keyId, '4711');
  assert.match(r.sigHex, /^[0-9a-f]{128}$/);
  assert.equal(r.sigOk, true);
  assert.ok(BigInt(r.hlc) > 2n ** 53n);
  assert.equal(r.opHashHex, bytesToHex(blake3(new TextEncoder().encode(r.contentJson))));
  assert.ok(r.contentJson.includes('"at":"2026-12-04T11:00:00.005Z"'), r.contentJson);
  assert.ok(r.contentJson.includes(`"hlc":${r.hlc},`), 'hlc written as plain digits');
  assert.ok(r.contentJson.includes('"reason":"Відвідувач: \\"ні\\" \\\\ \\n\\u0001 🎟️"'), r.contentJson);
  assert.ok(r.contentJson.endsWith('"entries_seen":[]}}'), r.contentJson);
  assert.equal(r.opJson, `${r.contentJson.slice(0, -1)},"sig":"4711.${r.sigHex}"}`);
  assert.deepEqual(browser.errors, [], 'errors in the page');
});

test('the vendored BLAKE3 is the one web/box/vendor/README.md lists, and hashes right', async () => {
  const readme = await readFile(join(WEB_DIR, 'box/vendor/README.md'), 'utf8');
  const listed = [...readme.matchAll(/^([0-9a-f]{64})  (noble-hashes\/\S+)$/gm)];
  assert.equal(listed.length, 7, 'README.md lists seven files');
  for (const [, sha256, file] of listed) {
    const actual = createHash('sha256').update(await readFile(join(WEB_DIR, 'box/vendor', file))).digest('hex');
    assert.equal(actual, sha256, `web/box/vendor/${file} differs from README.md`);
  }
  // BLAKE3 of the empty input, from the BLAKE3 specification's test vectors.
  assert.equal(bytesToHex(blake3(new Uint8Array())), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
});

// Spot checks of the serde_json / chrono forms (the Rust test checks them all against Rust).
test('strings, timestamps and HLC readings are written as Rust writes them', () => {
  assert.equal(jsonString('Ї "q" \\ /\n\t\b\f\r\u0001\u001f\u007f😀'), '"Ї \\"q\\" \\\\ /\\n\\t\\b\\f\\r\\u0001\\u001f\u007f😀"');
  assert.throws(() => jsonString('\ud800'), TypeError);
  const at = Date.UTC(2026, 11, 4, 10, 0, 0);
  assert.equal(timestamp(at), '2026-12-04T10:00:00Z');
  assert.equal(timestamp(new Date(at + 50)), '2026-12-04T10:00:00.050Z');
  assert.equal(timestamp(BigInt(at) * 1_000_000n + 1_000n), '2026-12-04T10:00:00.000001Z');
  assert.equal(timestamp(BigInt(at) * 1_000_000n + 7n), '2026-12-04T10:00:00.000000007Z');
  assert.equal(timestamp(-1), '1969-12-31T23:59:59.999Z');
  assert.equal(timestamp(Date.UTC(10000, 0, 1)), '+10000-01-01T00:00:00Z');
  const wall = BigInt(at) << 16n;
  assert.equal(hlcNow(0n, at), wall);
  assert.equal(hlcNow(wall, at), wall + 1n, 'same millisecond: the counter moves');
  assert.equal(hlcNow(wall + 5n, at - 1000), wall + 6n, 'a clock that stepped back never goes back');
  assert.equal(hlcNow(wall, at + 1), wall + 65_536n);
});
