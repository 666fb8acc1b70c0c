// Tickets sold offline at a box-office device, admitted offline at a scanner phone: the real
// `aspk` binary (demo, loopback) and three headless Chromium profiles (persistent, so
// IndexedDB and the service workers survive): the phone (/scan), box-office device A and
// box-office device B (/box-office/device/).
//   - all three pair and sync; B sells one ticket and uploads it; B is then revoked by an
//     admin (its browser closed first, so it cannot hear of it and wipe itself); the phone
//     syncs and holds B's key marked revoked, and B's ticket;
//   - the server dies (SIGKILL);
//   - A sells 2 tickets offline; the phone, offline too, admits the first by its signature
//     alone, refuses it as used the second time, admits the second, refuses a forged code;
//   - B's uploaded ticket (known to the feed) is admitted; B, started again from its service
//     worker with the server still dead, sells a new ticket with its (revoked) key: the
//     phone refuses it, though its signature holds (and admits it once the mark is taken off
//     the key in its store: refused for the revocation alone);
//   - no page error and no Content-Security-Policy refusal in either app.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startAspk } from './aspk-server.mjs';
import { launchDevice, makeSlot, PASSWORD, ready, sellByKeys, watchProblems } from './box-session.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';
import { decodeCode, formatHumanNumber, verifyCode } from '../scan/verify.js';

const MINUTE = 60_000;

let server;
let dir;
let slot;
const problems = [];
/** The phone: {context, page}. */
const phone = {};
/** Box-office device A (keeps selling) and B (revoked before the cut): {dir, context, page}. */
const boxA = {};
const boxB = {};
/** B's sale uploaded before it was revoked, its key id and node id. */
let saleB;
let keyB;
let nodeB;

/** The order or ticket number typed as the API takes it (12 digits with the check digit). */
const digits = (serial) => formatHumanNumber(serial).replace(/ /g, '');
const boxMeta = (page, key) => page.evaluate(async (k) => (await import('/box-office/device/db.js')).getMeta(k), key);
const phoneKeys = () => phone.page.evaluate(async () => (await import('/scan/store.js')).allKeys());

before(async () => {
  server = await startAspk();
  dir = await mkdtemp(join(tmpdir(), 'aspk-box-phone-'));
  boxA.dir = join(dir, 'box-a');
  boxB.dir = join(dir, 'box-b');
  phone.context = await chromium.launchPersistentContext(join(dir, 'phone'), {
    executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
  });
  phone.page = phone.context.pages()[0] ?? (await phone.context.newPage());
  watchProblems(phone.page, problems);
});

after(async () => {
  for (const one of [phone, boxA, boxB]) await one.context?.close().catch(() => {});
  await server?.kill();
  if (server) await rm(server.data, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens box-office device `box` (its own Chromium profile) at `url`. */
async function openBox(box, url) {
  ({ context: box.context, page: box.page } = await launchDevice(box.dir));
  watchProblems(box.page, problems);
  await box.page.goto(url);
  await ready(box.page);
}

/**
 * Pairs `box` with a box_office enrolment code, signs in `username` (a new manager of the
 * demo venue), syncs and opens a cash shift; the slot `slot` is on sale there.
 */
async function pairBox(box, username) {
  await server.api.addStaff(username, 'manager', 'demo');
  const enrolment = await server.api.ok('POST', '/api/v1/enrolments', { role: 'box_office', venue: 'demo' });
  await openBox(box, enrolment.url.replace(/^http:\/\/[^/]+/, server.base));
  const { page } = box;
  await page.click('#pair-submit');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#desk:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForSelector(`#slots button[data-slot="${slot.id}"]`, { state: 'attached' });
  await page.fill('#float', '500');
  await page.press('#float', 'Enter');
  await page.waitForSelector('#sale-form:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  const status = await page.evaluate(() => self.aspkBox.status);
  assert.equal(status.queue, 0, 'the shift is on the server');
  assert.equal(status.online, true);
  // Kept by its service worker before the power goes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
}

/** Presents `text` at the phone's scan field (a code or a number, and Enter): the decision shown. */
async function present(text) {
  const { page } = phone;
  const before = await page.evaluate(() => self.aspkScan.decisions ?? 0);
  await page.click('#result', { timeout: 500 }).catch(() => {}); // dismiss a shown result
  await page.fill('#entry', text);
  await page.press('#entry', 'Enter');
  await page.waitForFunction((n) => (self.aspkScan.decisions ?? 0) > n, before);
  return page.evaluate(() => ({
    ...self.aspkScan.lastDecision,
    kind: document.getElementById('result').dataset.kind,
  }));
}

test('a phone and two box-office devices pair and sync; B sells, uploads and is revoked', { timeout: 180_000 }, async () => {
  slot = await makeSlot(server, Date.now() - 5 * MINUTE, 120, 60);

  // The phone.
  const scanner = await server.api.enrolScanner('demo');
  await phone.page.goto(`${server.base}/scan#pair=${scanner.code}`);
  await phone.page.waitForSelector('#pairing:not([hidden])');
  await phone.page.click('#pair-submit');
  await phone.page.waitForSelector('#scanner:not([hidden])', { timeout: 30_000 });
  await phone.page.waitForFunction(() => self.aspkScan.status?.lastSync);

  await pairBox(boxA, 'maria');
  await pairBox(boxB, 'petro');

  // B sells one ticket and hands it in.
  saleB = await sellByKeys(boxB.page, slot.id, { adult: 1 });
  await boxB.page.evaluate(() => self.aspkBox.sync());
  await boxB.page.waitForFunction(() => self.aspkBox.status.queue === 0, null, { timeout: 20_000 });
  const order = await server.api.ok('GET', `/api/v1/orders/${digits(saleB.number)}`);
  assert.deepEqual(order.tickets.map((t) => t.number), [digits(saleB.tickets[0].serial)]);
  keyB = decodeCode(saleB.tickets[0].code).keyId;
  nodeB = (await boxMeta(boxB.page, 'device')).node_id;
  assert.equal((await boxMeta(boxB.page, 'sync')).key?.key_id, keyB, 'B signs with its own key');

  // B's browser is shut before the revocation: it never hears of it (its next sync would
  // wipe it), as a stolen device kept away from the network.
  await boxB.context.close();
  boxB.context = null;
  await server.api.ok('POST', `/api/v1/nodes/${nodeB}/revoke`, { reason: 'stolen' });

  // The phone syncs after the revocation: B's key is withdrawn, B's ticket is held.
  await phone.page.evaluate(() => self.aspkScan.sync());
  const keys = await phoneKeys();
  const keyA = (await boxMeta(boxA.page, 'sync')).key?.key_id;
  assert.ok(keyA !== undefined && keyA !== keyB, `A has a key of its own (${keyA}, B ${keyB})`);
  const fedA = keys.find((k) => k.key_id === keyA);
  assert.ok(fedA && !fedA.revoked, `A's key is in the feed, not revoked: ${JSON.stringify(keys)}`);
  assert.equal(keys.find((k) => k.key_id === keyB)?.revoked, true, `B's key is in the feed, revoked: ${JSON.stringify(keys)}`);
  const held = await phone.page.evaluate(
    async (serial) => (await import('/scan/store.js')).getTicket(serial), saleB.tickets[0].serial);
  assert.equal(held?.code, saleB.tickets[0].code, 'the phone holds the ticket B sold before it was revoked');
  assert.equal(held?.state, 'valid');
});

test('with the server dead, a ticket sold offline at A is admitted offline at the phone once', { timeout: 120_000 }, async () => {
  await server.kill();

  // A sells 2 tickets with no server.
  await boxA.page.evaluate(() => self.aspkBox.sync());
  assert.equal((await boxA.page.evaluate(() => self.aspkBox.status)).online, false, 'A is offline');
  const sale = await sellByKeys(boxA.page, slot.id, { adult: 2 });
  assert.equal(sale.tickets.length, 2);
  assert.equal((await boxA.page.evaluate(() => self.aspkBox.status)).queue, 1, 'the sale waits for the server');
  const stored = (await boxA.page.evaluate(async () => (await import('/box-office/device/db.js')).allSales()))
    .find((s) => s.number === sale.number);
  assert.deepEqual(stored.tickets.map((t) => t.code), sale.tickets.map((t) => t.code), 'the sale is on the device');
  const [first, second] = sale.tickets.map((t) => t.code);

  // The phone is cut off as well.
  await phone.page.evaluate(() => self.aspkScan.sync());
  await phone.page.waitForFunction(() => document.getElementById('net').dataset.state === 'offline');
  const unknown = await phone.page.evaluate(
    async (serial) => (await import('/scan/store.js')).getTicket(serial), sale.tickets[0].serial);
  assert.equal(unknown, undefined, 'the phone has never heard of the ticket');

  const admitted = await present(first);
  assert.equal(admitted.result, 'admit', JSON.stringify(admitted));
  assert.equal(admitted.kind, 'admit');
  assert.equal(admitted.serial, sale.tickets[0].serial);
  const again = await present(first);
  assert.equal(again.result, 'already_used', JSON.stringify(again));
  assert.equal(again.kind, 'deny');
  assert.equal((await present(second)).result, 'admit', 'the other ticket of the sale');

  // One digit of the signature changed.
  const chars = first.split('');
  const i = chars.length - 20;
  chars[i] = chars[i] === '1' ? '2' : '1';
  const forged = await present(chars.join(''));
  assert.equal(forged.result, 'invalid', JSON.stringify(forged));
  assert.equal(forged.kind, 'deny');
});

test('a revoked device\'s key: its ticket the feed holds is admitted, a new one it signs is refused', { timeout: 120_000 }, async () => {
  assert.equal((await present(saleB.tickets[0].code)).result, 'admit', 'sold and uploaded before the revocation');

  // B starts again from its service worker, the server still dead: it knows nothing of the
  // revocation and sells with its key.
  await openBox(boxB, `${server.base}/box-office/device/`);
  await boxB.page.waitForSelector('#sale-form:not([hidden])');
  await boxB.page.evaluate(() => self.aspkBox.sync());
  const status = await boxB.page.evaluate(() => self.aspkBox.status);
  assert.equal(status.online, false);
  assert.equal(status.user, 'petro');
  const sale = await sellByKeys(boxB.page, slot.id, { adult: 1 });
  const code = sale.tickets[0].code;

  // Genuinely signed by B's key, within its serials: refused only because the key is withdrawn.
  const keys = await phoneKeys();
  const key = keys.find((k) => k.key_id === keyB);
  const keyring = new Map([[keyB, Uint8Array.from(key.public_key.match(/../g), (h) => parseInt(h, 16))]]);
  const verified = await verifyCode(code, keyring);
  assert.equal(verified.keyId, keyB);
  assert.equal(verified.claims.serial, sale.tickets[0].serial);
  if (key.serials) assert.ok(sale.tickets[0].serial >= key.serials[0] && sale.tickets[0].serial < key.serials[1], 'within its serials');

  const refused = await present(code);
  assert.equal(refused.result, 'invalid', JSON.stringify(refused));
  assert.equal(refused.kind, 'deny');

  // The control: with the mark taken off B's key in the phone's store, the same code passes.
  await phone.page.evaluate(async (keyId) => {
    const db = await (await import('/scan/store.js')).open();
    const tx = db.transaction('keys', 'readwrite', { durability: 'strict' });
    const keys = tx.objectStore('keys');
    const key = await new Promise((resolve, reject) => {
      const req = keys.get(keyId);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    delete key.revoked;
    keys.put(key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }, keyB);
  assert.equal((await present(code)).result, 'admit', 'refused for the revocation alone');
});

test('no page error and no Content-Security-Policy refusal', () => {
  assert.deepEqual(problems, []);
});
