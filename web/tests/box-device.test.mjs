// The offline box-office device (`/box-office/device/`) through a power cut, in headless
// Debian Chromium (a persistent profile, so IndexedDB and the service worker survive reloads)
// against the real `aspk` binary (demo, loopback):
//   - paired with a box_office enrolment code, a manager signs in, the device syncs its
//     leases (10 seats of each of three slots of capacity 10) and opens a cash shift;
//   - the server dies (SIGKILL); the page reloads from the service worker and sells 30
//     tickets in 15 orders across the three slots, all offline; the 31st ticket for a full
//     slot is refused with a clear message; the manager's override sells one more;
//   - the server comes back on the same port and data: it is killed again just as the
//     upload starts, comes back once more, and the page reloads in the middle of the upload;
//     in the end every sale is on the server exactly once (tickets per slot 10, 10, 11), the
//     override is an `oversell` finding, and nothing is left to upload;
//   - a ticket sold offline (its QR code on screen decodes to its code) is admitted by the
//     server's scan API once, and refused as used the second time;
//   - the shift is closed with the cash counted; the server's Z report of it matches;
//   - revoked, the device wipes its data and shows the pairing screen;
//   - no page error and no Content-Security-Policy refusal anywhere.
// Prints the key-press-to-QR time of the sales (p50, p99).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import jsQR from 'jsqr';
import { chromium } from 'playwright-core';

import { startAspk, until } from './aspk-server.mjs';
import { CHROMIUM_PATH, WEB_DIR } from './harness.mjs';
import { digits, launchDevice, makeSlot, minorOf, PASSWORD, ready, sellByKeys, watchProblems } from './box-session.mjs';
import { formatHumanNumber } from '../scan/verify.js';

const MANAGER = 'maria';
const SYNC_PATH = '/api/v1/device/box-office/sync';
const MINUTE = 60_000;

/** Ticket type quantities and payment of each offline order, per slot: 10 tickets each. */
const ORDERS = [
  [{ adult: 3 }, 'cash'],
  [{ adult: 1, reduced: 1 }, 'card'],
  [{ reduced: 1 }, 'cash'],
  [{ adult: 2, reduced: 1 }, 'cash'],
  [{ adult: 1 }, 'card'],
];

let server;
let data;
let port;
let context;
let page;
let dir;
const problems = [];
const slots = [];
let float;

const kyivDay = (iso) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv' }).format(new Date(iso));

const status = () => page.evaluate(() => self.aspkBox.status);
const allSales = () => page.evaluate(async () => (await import('/box-office/device/db.js')).allSales());

before(async () => {
  server = await startAspk();
  ({ data, port } = server);
  dir = await mkdtemp(join(tmpdir(), 'aspk-box-device-'));
  ({ context, page } = await launchDevice(dir));
  watchProblems(page, problems);
});

after(async () => {
  await context?.close();
  await server?.kill();
  if (data) await rm(data, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});


/** The QR code on screen, decoded (drawn from its SVG onto a canvas in the page). */
async function qrOnScreen() {
  const image = await page.evaluate(async () => {
    const svg = document.querySelector('#ticket-qr svg');
    const size = Number(svg.dataset.modules) + 8;
    const scale = 6;
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], { type: 'image/svg+xml' }));
    const img = new Image(size * scale, size * scale);
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size * scale;
    const g = canvas.getContext('2d');
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, size * scale, size * scale);
    URL.revokeObjectURL(url);
    const { data: px, width, height } = g.getImageData(0, 0, size * scale, size * scale);
    return { px: Array.from(px), width, height };
  });
  return jsQR(Uint8ClampedArray.from(image.px), image.width, image.height)?.data ?? null;
}

test('the service worker keeps every file the app loads, and the vendored QR encoder is the pinned package', async () => {
  const APP = 'http://device/box-office/device/';
  const sw = await readFile(join(WEB_DIR, 'box', 'sw.js'), 'utf8');
  // Every module reachable from app.js, by its static imports, as the browser resolves them.
  const seen = new Set();
  const todo = [new URL('app.js', APP)];
  while (todo.length > 0) {
    const url = todo.pop();
    if (seen.has(url.pathname)) continue;
    seen.add(url.pathname);
    const file = url.pathname.startsWith('/box-office/device/')
      ? join(WEB_DIR, 'box', url.pathname.slice('/box-office/device/'.length))
      : join(WEB_DIR, url.pathname.replace(/^\/box-office\//, ''));
    const text = await readFile(file, 'utf8');
    for (const [, spec] of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) todo.push(new URL(spec, url));
  }
  const html = await readFile(join(WEB_DIR, 'box', 'index.html'), 'utf8');
  for (const [, href] of html.matchAll(/(?:href|src)="(\/box-office\/device\/[^"]+)"/g)) seen.add(href);
  for (const path of seen) {
    const listed = path.startsWith('/box-office/device/') ? `'${path.slice('/box-office/device/'.length)}'` : `'${path}'`;
    assert.ok(sw.includes(listed), `sw.js keeps ${path} (as ${listed})`);
  }
  assert.ok(seen.size >= 15, [...seen].join(' '));

  const vendored = await readFile(join(WEB_DIR, 'box', 'vendor', 'qrcode', 'qrcode.mjs'));
  const pinned = JSON.parse(await readFile(join(WEB_DIR, 'package.json'), 'utf8')).devDependencies['qrcode-generator'];
  const original = await readFile(join(WEB_DIR, 'node_modules', 'qrcode-generator', 'dist', 'qrcode.mjs'));
  assert.ok(vendored.equals(original), `web/box/vendor/qrcode/qrcode.mjs differs from qrcode-generator@${pinned}`);
  const readme = await readFile(join(WEB_DIR, 'box', 'vendor', 'qrcode', 'README.md'), 'utf8');
  assert.ok(readme.includes(`| Version | ${pinned} `), 'vendor/qrcode/README.md names another version');
});

test('the device pairs, a manager signs in, leases arrive and a shift opens', { timeout: 90_000 }, async () => {
  await server.api.addStaff(MANAGER, 'manager', 'demo');
  const now = Date.now();
  // The first is open now (its tickets can be scanned), the others start within hours.
  slots.push(await makeSlot(server, now - 5 * MINUTE, 120), await makeSlot(server, now + 67 * MINUTE, 60), await makeSlot(server, now + 133 * MINUTE, 60));
  const enrolment = await server.api.ok('POST', '/api/v1/enrolments', { role: 'box_office', venue: 'demo' });
  assert.match(enrolment.url, /\/box-office\/device\/#pair=\d+$/);

  await page.goto(enrolment.url);
  await ready(page);
  assert.equal(await page.inputValue('#pair-code'), enrolment.code, 'the code comes from the link');
  await page.click('#pair-submit');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
  assert.ok(!(await page.url()).includes('pair='), 'the code leaves the address bar');

  await page.fill('#username', MANAGER);
  await page.fill('#password', 'wrong horse');
  await page.press('#password', 'Enter');
  await page.waitForFunction(() => document.getElementById('signin-status').textContent === 'Неправильне ім’я або пароль.');
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#desk:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  for (const slot of slots) {
    assert.equal(await page.getAttribute(`#slots button[data-slot="${slot.id}"]`, 'data-left'), '10', `the device holds 10 seats of ${slot.id}`);
  }

  float = 50_000;
  await page.fill('#float', '500');
  await page.press('#float', 'Enter');
  await page.waitForSelector('#sale-form:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  const s = await status();
  assert.equal(s.queue, 0, 'the shift is on the server');
  assert.equal(s.online, true);
  assert.equal(s.user, MANAGER);
  assert.ok(s.shift);
  assert.equal(s.endpoint, server.base, 'the status bar names the server in use');
  assert.ok((await page.textContent('#endpoint')).includes(`127.0.0.1:${port}`));
  // The app is kept by its service worker before the power goes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
});

test('with the server dead, 30 tickets sell offline, the 31st is refused, a manager overrides', { timeout: 120_000 }, async () => {
  await server.kill();
  await page.reload();
  await ready(page);
  await page.waitForSelector('#sale-form:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  let s = await status();
  assert.equal(s.online, false, 'the status bar says offline');
  assert.equal(s.user, MANAGER, 'the signed-in manager is remembered offline');

  const sold = [];
  for (const slot of slots) {
    for (const [quantities, method] of ORDERS) sold.push(await sellByKeys(page, slot.id, quantities, method));
    await page.keyboard.press('Escape');
    await page.click(`#slots button[data-slot="${slot.id}"]`);
    assert.equal((await status()).leaseLeft, 0, `the lease of ${slot.id} is used up`);
  }
  assert.equal(sold.reduce((n, sale) => n + sale.tickets.length, 0), 30);
  assert.ok(sold.every((sale) => !sale.is_overbooking));
  assert.equal(new Set(sold.flatMap((sale) => sale.tickets.map((t) => t.serial))).size, 30, 'every serial once');

  // The ticket on screen carries the sale's code.
  const last = sold.at(-1);
  assert.equal(await page.getAttribute('#ticket', 'data-serial'), String(last.tickets[0].serial));
  assert.equal(await qrOnScreen(), last.tickets[0].code, 'the QR code on screen is the ticket code');
  assert.equal((await page.textContent('#ticket-number')).trim(), formatHumanNumber(last.tickets[0].serial));

  // The 31st ticket of the first slot: refused, with the slot and the seats left.
  await page.keyboard.press('Escape');
  const before = await page.evaluate(() => self.aspkBox.sales);
  await page.click(`#slots button[data-slot="${slots[0].id}"]`);
  await page.fill('#qty-adult', '1');
  await page.press('#qty-adult', 'Enter');
  await page.waitForSelector('#sale-message:not([hidden])');
  const refusal = await page.textContent('#sale-message');
  const time = new Intl.DateTimeFormat('uk-UA', { timeZone: 'Europe/Kyiv', hour: '2-digit', minute: '2-digit' }).format(new Date(slots[0].starts_at));
  assert.match(refusal, /^Ліміт місць пристрою на сеанс .+ вичерпано: лишилось 0$/);
  assert.ok(refusal.includes(time), `the refusal names the slot (${time}): ${refusal}`);
  assert.equal(await page.evaluate(() => self.aspkBox.sales), before, 'nothing sold');
  assert.ok(await page.locator('#ticket').isHidden());

  // The manager decides to sell beyond the limit.
  assert.equal((await page.textContent('#override')).trim(), 'Продати понад ліміт (рішення менеджера)');
  await page.click('#override');
  await page.waitForFunction((n) => self.aspkBox.sales > n, before);
  const override = await page.evaluate(() => self.aspkBox.lastSale);
  assert.equal(override.is_overbooking, true);
  assert.equal(override.tickets.length, 1);
  await page.keyboard.press('Escape');

  s = await status();
  assert.equal(s.queue, 16, '15 sales and the override wait for the server');
  assert.equal(s.online, false);
  assert.equal(await page.locator('#history tr[data-uploaded="false"]').count(), 16, 'the history shows them waiting');

  const timings = await page.evaluate(() => self.aspkBox.saleTimings);
  const sorted = [...timings].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  console.log(`# key press to QR on screen, ${sorted.length} offline sales: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms`);
});

test('back online, every sale reaches the server exactly once, through a crash and a reload mid-upload', { timeout: 120_000 }, async () => {
  const isSync = (request) => request.method() === 'POST' && new URL(request.url()).pathname === SYNC_PATH;

  // The server comes back, takes the upload in, and dies before its answer reaches the
  // device: the worst moment (held there, not known here).
  server = await startAspk({ data, port });
  let taken = null;
  await page.route(`**${SYNC_PATH}`, async (route) => {
    const response = await route.fetch();
    taken = await response.json();
    await server.kill();
    await route.abort('connectionreset');
  }, { times: 1 });
  await page.evaluate(() => self.aspkBox.sync());
  await until('the upload reaches the server', () => taken !== null, 20_000);
  assert.equal(taken.applied, 16, `the server took the 16 ops in: ${JSON.stringify(taken).slice(0, 200)}`);
  let s = await status();
  assert.equal(s.queue, 16, 'the device never heard back: it sends them again');
  assert.equal(s.online, false);

  // Back once more; the page reloads in the middle of the upload.
  server = await startAspk({ data, port });
  let reloaded = null;
  const reloadOnUpload = (request) => {
    if (isSync(request) && !reloaded) reloaded = page.reload().catch(() => {});
  };
  page.on('request', reloadOnUpload);
  await page.evaluate(() => self.aspkBox.sync()).catch(() => {});
  await until('the upload starts', () => reloaded !== null, 20_000);
  await reloaded;
  page.off('request', reloadOnUpload);
  await ready(page);
  await page.waitForFunction(() => self.aspkBox.status.queue === 0 && self.aspkBox.status.online, null, { timeout: 30_000 });
  assert.equal(await page.locator('#history tr[data-uploaded="false"]').count(), 0, 'the history shows every sale handed in');

  const sales = await allSales();
  assert.equal(sales.length, 16);
  const perSlot = new Map(slots.map((s) => [s.id, 0]));
  for (const sale of sales) {
    const order = await server.api.ok('GET', `/api/v1/orders/${digits(sale.number)}`);
    assert.equal(order.channel, 'box_office');
    assert.equal(order.status, 'paid');
    assert.equal(order.total_minor, sale.total_minor);
    assert.equal(order.created_by, `user:${MANAGER}`);
    assert.deepEqual(order.tickets.map((t) => t.number).sort(), sale.tickets.map((t) => digits(t.serial)).sort());
    for (const t of order.tickets) perSlot.set(t.slot, perSlot.get(t.slot) + 1);
  }
  assert.deepEqual([...perSlot.values()], [11, 10, 10], 'tickets per slot in the orders');

  // Sold as the server counts them: each sale once, the override beyond the capacity.
  for (const [i, slot] of slots.entries()) {
    const catalog = await server.api.ok('GET', `/api/v1/catalog?venue=demo&date=${kyivDay(slot.starts_at)}`);
    const there = catalog.slots.find((s) => s.id === slot.id);
    assert.equal(there?.sold, i === 0 ? 11 : 10, `sold in ${slot.id}`);
  }

  const findings = await server.api.ok('GET', '/api/v1/findings');
  const oversell = findings.filter((f) => f.kind === 'oversell');
  assert.equal(oversell.length, 1, `one oversell finding: ${JSON.stringify(findings.map((f) => f.kind))}`);
  assert.equal(oversell[0].id, `oversell:${slots[0].id}`, 'about the first slot');
  assert.equal(oversell[0].facts.capacity, 10);
  assert.equal(oversell[0].facts.sold, 11);
  assert.equal(oversell[0].facts.declared_overbooking, 1, 'declared by the manager');
  s = await status();
  assert.equal(s.queue, 0);
  assert.equal(s.endpoint, server.base);
});

test('a ticket sold offline is admitted at the gate once', { timeout: 30_000 }, async () => {
  const sales = await allSales();
  const sale = sales.find((s) => s.slot === slots[0].id && !s.is_overbooking);
  const code = sale.tickets[0].code;
  const first = await server.api.ok('POST', '/api/v1/scans', { code, gate: 'test gate' });
  assert.equal(first.result, 'admit', JSON.stringify(first));
  assert.equal(first.ticket.number, digits(sale.tickets[0].serial));
  const second = await server.api.ok('POST', '/api/v1/scans', { code, gate: 'test gate' });
  assert.equal(second.result, 'already_used', JSON.stringify(second));
});

test('the shift closes with the cash counted, as the server\'s Z report says', { timeout: 60_000 }, async () => {
  const shiftId = (await status()).shift;
  const sales = await allSales();
  const cash = sales.filter((s) => s.method === 'cash').reduce((sum, s) => sum + s.total_minor, 0);
  const card = sales.filter((s) => s.method === 'card').reduce((sum, s) => sum + s.total_minor, 0);
  const expected = float + cash;
  assert.equal(minorOf(await page.textContent('#shift-expected')), expected, 'the device expects the float and the cash sales');

  // One hryvnia short.
  const counted = expected - 100;
  await page.fill('#counted', `${Math.floor(counted / 100)},${String(counted % 100).padStart(2, '0')}`);
  assert.equal(minorOf(await page.textContent('#shift-difference')), -100);
  await page.press('#counted', 'Enter');
  await page.waitForSelector('#shift-close-form[data-confirm]');
  await page.press('#counted', 'Enter');
  await page.waitForSelector('#shift-closed:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  const s = await status();
  assert.equal(s.shift, null);
  assert.equal(s.queue, 0, 'the close is on the server');

  // The Z report, read as the manager at the staff app.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  try {
    const staff = await browser.newPage();
    staff.on('pageerror', (e) => problems.push(`${staff.url()}: ${e}`));
    await staff.goto(`${server.base}/?lang=uk`);
    await staff.fill('#username', MANAGER);
    await staff.fill('#password', PASSWORD);
    await Promise.all([staff.waitForNavigation(), staff.press('#password', 'Enter')]);
    await staff.goto(`${server.base}/shifts/${shiftId}`);
    assert.equal(await staff.getAttribute('#z-report', 'data-final'), 'true', 'a closed shift: the Z report');
    assert.equal(Number(await staff.textContent('#z-orders')), 16);
    assert.equal(minorOf(await staff.textContent('#z-cash')), cash);
    assert.equal(minorOf(await staff.textContent('#z-card')), card);
    assert.equal(minorOf(await staff.textContent('#z-sales')), cash + card);
    assert.equal(minorOf(await staff.textContent('#z-expected')), expected);
    assert.equal(minorOf(await staff.textContent('#z-counted')), counted);
    assert.equal(minorOf(await staff.textContent('#z-difference')), -100);
  } finally {
    await browser.close();
  }
});

test('a revoked device wipes its data and asks to be paired again', { timeout: 30_000 }, async () => {
  const meta = (key) => page.evaluate(async (k) => (await import('/box-office/device/db.js')).getMeta(k), key);
  const device = await meta('device');
  await server.api.ok('POST', `/api/v1/nodes/${device.node_id}/revoke`, { reason: 'stolen' });
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForSelector('#pairing:not([hidden])');
  assert.equal(await page.textContent('#pair-message'), 'Цей пристрій відкликано адміністратором. Усі дані на ньому стерто.');
  assert.equal(await meta('device'), undefined);
  assert.equal(await meta('keys'), undefined, 'the key pair is gone');
  assert.deepEqual(await allSales(), []);
});

test('no page error and no Content-Security-Policy refusal', () => {
  assert.deepEqual(problems, []);
});
