// The scanner app (/scan) end to end: the real aspk binary (demo museum) and headless Chromium
// with a fake camera that shows a real ticket's QR code (a y4m file made here). Pairs with an
// enrolment code, scans by camera, then offline admits, refuses (used, cancelled, forged, wrong
// venue), reloads from the service worker, and back online hands its queue to the server, which
// holds each entry exactly once. Finally the device is revoked and wipes itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startAspk } from './aspk-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';
import { writeQrVideo } from './y4m.mjs';

let server;
let browser;
let page;
let dir;
const errors = [];
const t = {}; // tickets by role: camera, valid, twice, cancelled, wrong, reduced

before(async () => {
  server = await startAspk();
  const { api } = server;
  const slot = await api.slotNow('demo', 40);
  const sold = await api.sell('demo', slot, 'adult', 4);
  [t.camera, t.valid, t.twice, t.other] = sold.tickets;
  t.order = sold.number;
  t.reduced = (await api.sell('demo', slot, 'reduced', 1)).tickets[0];
  const cancelled = await api.sell('demo', slot, 'adult', 1);
  t.cancelled = { ...cancelled.tickets[0], order: cancelled.number };
  await api.ok('POST', '/api/v1/venues', { id: 'annex', name: { uk: 'Філія', en: 'Annex' }, time_zone: 'Europe/Kyiv', currency: 'UAH' });
  await api.ok('POST', '/api/v1/venues/annex/products', { id: 'adult', name: { uk: 'Дорослий' }, category: 'full', price_minor: 10000 });
  const annexSlot = await api.slotNow('annex', 10);
  t.wrong = (await api.sell('annex', annexSlot, 'adult', 1)).tickets[0];

  dir = await mkdtemp(join(tmpdir(), 'aspk-scan-browser-'));
  const video = join(dir, 'ticket.y4m');
  await writeQrVideo(video, t.camera.code);
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
    permissions: ['camera'],
    timeout: 60_000,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const appState = () => page.evaluate(() => ({ ...self.aspkScan.status, decisions: self.aspkScan.decisions ?? 0 }));

/** Types `text` into the scan field and presses Enter (what a keyboard-wedge scanner does). */
async function typeScan(text, { keyByKey = false } = {}) {
  const before = (await appState()).decisions;
  await page.click('#result', { timeout: 500 }).catch(() => {}); // dismiss a shown result
  if (keyByKey) await page.locator('#entry').pressSequentially(text);
  else await page.fill('#entry', text);
  await page.press('#entry', 'Enter');
  await page.waitForFunction((n) => (self.aspkScan.decisions ?? 0) > n, before);
  return shown();
}

/** The decision on the screen: what the full-screen result says. */
async function shown() {
  return page.evaluate(() => {
    const box = document.getElementById('result');
    return {
      ...self.aspkScan.lastDecision,
      visible: !box.hidden,
      kind: box.dataset.kind,
      word: document.getElementById('result-word').textContent,
      reason: document.getElementById('result-reason').textContent,
    };
  });
}

async function waitQueue(n) {
  await page.waitForFunction((n) => self.aspkScan.status?.queue === n, n, { timeout: 20_000 });
}

test('pairs from the enrolment link and downloads the venue', async () => {
  const enrolment = await server.api.enrolScanner('demo');
  assert.match(enrolment.url, /\/scan#pair=\d+$/);
  await page.goto(enrolment.url.replace(/^http:\/\/[^/]+/, server.base));
  await page.waitForSelector('#pairing:not([hidden])');
  assert.equal(await page.inputValue('#pair-code'), enrolment.code);
  assert.equal(await page.textContent('#pair-submit'), 'Підключити', 'Ukrainian by default');
  await page.fill('#pair-name', 'Вхід 1 (телефон)');
  await page.click('#pair-submit');
  await page.waitForSelector('#scanner:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction(() => self.aspkScan.status?.lastSync);
  const status = await appState();
  assert.equal(status.tickets, 6, 'the demo venue holds the 6 tickets sold for today');
  assert.equal(await page.textContent('#net'), 'На зв’язку');
  assert.ok(!page.url().includes('pair='), 'the code is gone from the address bar');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const manifest = await page.evaluate(async () => (await fetch('/scan/manifest.webmanifest')).json());
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));
});

test('a ticket cancelled while online is known as void before going offline', async () => {
  await server.api.ok('POST', `/api/v1/orders/${t.cancelled.order}/cancel`, { reason: 'refund at the desk' });
  await page.evaluate(() => self.aspkScan.sync());
  const state = await page.evaluate(async (serial) => (await import('/scan/store.js')).getTicket(serial), Number(t.cancelled.number.slice(0, 11)));
  assert.equal(state.state, 'void');
});

test('offline: camera admits, and used, cancelled, forged and wrong-venue tickets are refused', async () => {
  await browser.setOffline(true);
  await page.waitForFunction(() => document.getElementById('net').dataset.state === 'offline');

  // The camera path: the fake camera shows t.camera's QR code (decoded by jsQR in this browser).
  const before = (await appState()).decisions;
  await page.click('#camera');
  await page.waitForFunction((n) => (self.aspkScan.decisions ?? 0) > n, before, { timeout: 20_000 });
  const byCamera = await shown();
  await page.click('#camera'); // stop
  assert.equal(byCamera.result, 'admit', JSON.stringify(byCamera));
  assert.equal(byCamera.kind, 'admit');
  assert.equal(byCamera.word, 'ПРОХІД');
  assert.ok(byCamera.visible);
  const decoder = await page.evaluate(() => self.aspkScan.decoder);
  assert.ok(['jsqr', 'barcode-detector'].includes(decoder), decoder);

  // A hardware scanner types the code and Enter.
  const valid = await typeScan(t.valid.code);
  assert.equal(valid.result, 'admit');
  // The same ticket by its typed number (check digit shown as typed): already used.
  const used = await typeScan(t.valid.number, { keyByKey: true });
  assert.equal(used.result, 'already_used');
  assert.equal(used.kind, 'deny');
  assert.equal(used.word, 'НІ');
  assert.match(used.reason, /використано/);
  assert.equal((await typeScan(t.camera.code)).result, 'already_used');

  const cancelled = await typeScan(t.cancelled.code);
  assert.equal(cancelled.result, 'void');
  assert.equal(cancelled.reason, 'Квиток скасовано');

  const digits = t.valid.code.split('');
  const i = digits.length - 20; // inside the signature
  digits[i] = digits[i] === '1' ? '2' : '1';
  const forged = await typeScan(digits.join(''));
  assert.equal(forged.result, 'invalid');
  assert.equal(forged.kind, 'deny');

  // A scanner typing while nothing is focused: the digits still land in the scan field.
  await page.evaluate(() => document.activeElement.blur());
  const unfocused = (await appState()).decisions;
  await page.keyboard.type(t.wrong.code);
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => self.aspkScan.decisions > n, unfocused);
  assert.equal((await shown()).result, 'wrong_venue');

  const wrong = await typeScan(t.wrong.code);
  assert.equal(wrong.result, 'wrong_venue');

  const reduced = await typeScan(t.reduced.code);
  assert.equal(reduced.result, 'admit');
  assert.equal(reduced.kind, 'check', 'a reduced ticket asks for the document');

  // A typo in a typed number: refused at once, nothing recorded.
  const typo = t.other.number.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  await page.fill('#entry', typo);
  assert.equal(await page.getAttribute('#entry-hint', 'data-state'), 'bad');
  assert.equal((await typeScan(typo)).result, 'invalid');

  // Recorded and waiting: 3 admits + 5 refusals (the forged code and the typo record nothing).
  await waitQueue(8);
  assert.equal(await page.textContent('#queue'), 'Черга: 8');
  assert.equal(await page.locator('#history li').count(), 10);
});

test('reloads while offline: the app starts from the service worker with its queue', async () => {
  await page.reload();
  await page.waitForSelector('#scanner:not([hidden])');
  await page.waitForFunction(() => self.aspkScan?.ready && self.aspkScan.status);
  assert.equal((await appState()).queue, 8);
  assert.equal(await page.textContent('#net'), 'Офлайн');
  assert.equal(await page.locator('#history li').count(), 8, 'the recorded scans survive the reload');
  assert.equal(await page.locator('#history li[data-kind="check"]').count(), 1);
  assert.equal((await typeScan(t.other.code)).result, 'admit', 'still decides after the reload');
  await waitQueue(9);
});

test('back online: the queue reaches the server exactly once', async () => {
  // Meanwhile ticket `twice` is used at a server gate; the phone admitted it too while cut off.
  assert.equal((await typeScan(t.twice.code)).result, 'admit');
  const gate = await server.api.ok('POST', '/api/v1/scans', { code: t.twice.code, gate: 'main-1' });
  assert.equal(gate.result, 'admit');

  await browser.setOffline(false);
  await waitQueue(0);
  const { api } = server;
  const serialOf = (ticket) => Number(ticket.number.slice(0, 11));
  const device = await page.evaluate(async () => (await import('/scan/store.js')).getMeta('device'));
  const queued = await page.evaluate(async () => (await import('/scan/store.js')).queued(0, 100));
  assert.equal(queued.length, 10);

  // A retry of everything (a lost answer): nothing new is recorded.
  const retry = await api.ok(
    'POST',
    '/api/v1/device/scans',
    { scans: queued.map(({ seq, at_ms, counter, serial, result }) => ({ seq, at_ms, counter, serial, result })) },
    device.token,
  );
  assert.deepEqual(retry, { applied: 0, known: 10, gaps: 0, held: 10 });

  const findings = await api.ok('GET', '/api/v1/findings?status=open');
  const doubles = findings.filter((f) => f.kind === 'double_entry');
  assert.equal(doubles.length, 1, JSON.stringify(findings));
  assert.equal(String(doubles[0].ticket).replace(/\D/g, '').slice(0, 11), String(serialOf(t.twice)).padStart(11, '0'));

  // The order's tickets: one entry each by the phone; `twice` also the server gate's.
  const order = await api.ok('GET', `/api/v1/orders/${t.order}`);
  const gatesOf = (ticket) => order.tickets.find((x) => x.number === ticket.number).entries.map((e) => e.gate).sort();
  for (const ticket of [t.camera, t.valid, t.other]) assert.deepEqual(gatesOf(ticket), ['Вхід 1 (телефон)']);
  assert.deepEqual(gatesOf(t.twice), ['main-1', 'Вхід 1 (телефон)'].sort());

  // Each ticket the phone admitted has exactly one entry by the phone.
  for (const ticket of [t.camera, t.valid, t.reduced, t.other]) {
    const scanAgain = await api.ok('POST', '/api/v1/scans', { code: ticket.code, gate: 'check' });
    assert.equal(scanAgain.result, 'already_used', ticket.number);
    assert.equal(scanAgain.first_entry?.gate, 'Вхід 1 (телефон)', JSON.stringify(scanAgain));
  }
  assert.deepEqual(errors, [], 'no errors in the page');
});

/** Sets (or, with null, removes) the end of the key that signed `code` in the phone's store. */
const setKeyEnd = (code, until) =>
  page.evaluate(async ([code, until]) => {
    const { decodeCode } = await import('/scan/verify.js');
    const db = await (await import('/scan/store.js')).open();
    const tx = db.transaction('keys', 'readwrite', { durability: 'strict' });
    const keys = tx.objectStore('keys');
    const key = await new Promise((resolve, reject) => {
      const req = keys.get(decodeCode(code).keyId);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    if (until) key.valid_until = until;
    else delete key.valid_until;
    keys.put(key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }, [code, until]);

test('a ticket usable after its signing key ends is refused, as at the server', async () => {
  const slot = await server.api.slotNow('demo', 5);
  const ticket = (await server.api.sell('demo', slot, 'adult', 1)).tickets[0];
  await page.evaluate(() => self.aspkScan.sync());
  await browser.setOffline(true);
  await page.waitForFunction(() => document.getElementById('net').dataset.state === 'offline');
  // As if its key had been delegated until 2020: the ticket, valid today, outlives it.
  await setKeyEnd(ticket.code, '2020-01-01T00:00:00Z');
  const refused = await typeScan(ticket.code);
  assert.equal(refused.result, 'invalid', JSON.stringify(refused));
  await setKeyEnd(ticket.code, null);
  assert.equal((await typeScan(ticket.code)).result, 'admit');
  await browser.setOffline(false);
  await page.waitForFunction(() => document.getElementById('net').dataset.state !== 'offline');
});

test('the language switch is remembered', async () => {
  await page.click('#lang');
  await page.waitForFunction(() => document.getElementById('net').textContent === 'Online');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.reload();
  await page.waitForFunction(() => self.aspkScan?.ready && self.aspkScan.status);
  assert.equal(await page.textContent('#camera'), 'Camera');
  await page.click('#lang');
  assert.equal(await page.textContent('#camera'), 'Камера');
});

test('paper stock: a printed code admits offline, a voided number is refused', async () => {
  const { api } = server;
  const batch = await api.ok('POST', '/api/v1/stock/batches', { venue: 'demo', series: 'П', first: '001', last: '010', product: 'adult' });
  const codes = await api.ok('GET', `/api/v1/stock/batches/${batch.id}/codes`);
  await api.ok('POST', `/api/v1/stock/batches/${batch.id}/moves`, { numbers: '008-010', kind: 'voided', note: 'stolen from the desk' });
  await page.evaluate(() => self.aspkScan.sync());
  await browser.setOffline(true);
  await page.waitForFunction(() => document.getElementById('net').dataset.state === 'offline');
  const stock = await typeScan(codes[0].code);
  assert.equal(stock.result, 'admit', JSON.stringify(stock));
  const voided = await typeScan(codes[8].code);
  assert.equal(voided.result, 'void', JSON.stringify(voided));
  assert.equal(voided.kind, 'deny');
  await browser.setOffline(false);
  await page.waitForFunction(() => document.getElementById('net').dataset.state !== 'offline');
});

test('a revoked phone is refused and wipes its data', async () => {
  const device = await page.evaluate(async () => (await import('/scan/store.js')).getMeta('device'));
  await server.api.ok('POST', `/api/v1/nodes/${device.node_id}/revoke`, { reason: 'lost' });
  await page.evaluate(() => self.aspkScan.sync());
  await page.waitForSelector('#pairing:not([hidden])');
  assert.match(await page.textContent('#pair-message'), /відкликано/);
  const left = await page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    const s = await import('/scan/store.js');
    return { dbs: dbs.map((d) => d.name), device: (await s.getMeta('device')) ?? null, tickets: await s.countTickets() };
  });
  assert.equal(left.device, null);
  assert.equal(left.tickets, 0);
  const refused = await server.api.call('GET', '/api/v1/device/feed', undefined, device.token);
  assert.equal(refused.status, 403);
});
