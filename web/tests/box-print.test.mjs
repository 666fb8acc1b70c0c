// Printing at the box-office device (`/box-office/device/`) against the real `aspk` binary, in
// headless Debian Chromium. WebUSB cannot reach real hardware here, so the page gets a fake
// `navigator.usb` (page.addInitScript) whose printer records every `transferOut`:
//   - with no printer connected, P on the ticket screen says so, and the sale stays stored;
//   - connected through the Printer panel (a printer-class filter), P prints the ticket on
//     screen: the bytes sent start with ESC @, carry the QR store command with exactly the sold
//     ticket's code, the document notice's sale and end with the cut (GS V 66 0);
//   - with "print after each sale" on, a sale of two tickets prints both, each cut;
//   - in a page with no `navigator.usb` (Firefox, Safari), connecting and printing say clearly
//     that this browser has no WebUSB, and the sale is stored all the same;
//   - no page error and no Content-Security-Policy refusal anywhere.
// (web/box/escpos.js's bytes are checked against Rust's by crates/aspk-render/tests/it/escpos_device.rs.)
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startAspk } from './aspk-server.mjs';
import { launchDevice, openDesk, ready, sellByKeys, watchProblems } from './box-session.mjs';

let server;
let dir;
let context;
let page;
let slot;
const problems = [];

/** A USB printer (class 7, bulk OUT endpoint 2) that keeps what it is sent. */
function fakeUsb() {
  const chunks = [];
  const alternate = {
    alternateSetting: 0,
    interfaceClass: 7,
    interfaceSubclass: 1,
    interfaceProtocol: 2,
    endpoints: [
      { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 64 },
      { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: 64 },
    ],
  };
  const iface = { interfaceNumber: 0, alternate, alternates: [alternate], claimed: false };
  const configuration = { configurationValue: 1, interfaces: [iface] };
  const device = {
    vendorId: 0x0416,
    productId: 0x5011,
    productName: 'Fake Receipt Printer',
    serialNumber: 'T-1',
    opened: false,
    configuration: null,
    configurations: [configuration],
    async open() {
      this.opened = true;
    },
    async selectConfiguration() {
      this.configuration = configuration;
    },
    async claimInterface(n) {
      if (n !== 0) throw new DOMException('no such interface', 'NotFoundError');
      iface.claimed = true;
    },
    async selectAlternateInterface() {},
    async clearHalt() {},
    async close() {
      this.opened = false;
      iface.claimed = false;
    },
    async transferOut(endpoint, data) {
      if (!this.opened || !iface.claimed) throw new DOMException('The device must be opened first.', 'InvalidStateError');
      if (endpoint !== 2) throw new DOMException('no such endpoint', 'NotFoundError');
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      chunks.push(bytes);
      return { status: 'ok', bytesWritten: bytes.length };
    },
  };
  let granted = false;
  const usb = new EventTarget();
  usb.requestDevice = async (options) => {
    self.fakeUsb.requests.push(options);
    granted = true;
    return device;
  };
  usb.getDevices = async () => (granted ? [device] : []);
  Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => usb });
  self.fakeUsb = {
    requests: [],
    transfers: () => chunks.length,
    hex: () => chunks.map((c) => Array.from(c, (b) => b.toString(16).padStart(2, '0')).join('')).join(''),
    clear: () => chunks.splice(0),
  };
}

const printed = async (p = page) => Buffer.from(await p.evaluate(() => self.fakeUsb.hex()), 'hex');

/** The QR store command (GS ( k fn 180) of `code`, as escpos.js and Rust write it. */
function qrStore(code) {
  const len = code.length + 3;
  return Buffer.concat([Buffer.from([0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, 0x50, 0x30]), Buffer.from(code, 'ascii')]);
}

const CUT = Buffer.from([0x1d, 0x56, 0x42, 0x00]);

function count(haystack, needle) {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n += 1;
  return n;
}

/** Waits until printing sale `number` is over; resolves to what printing says about it. */
async function printedSale(number, p = page) {
  await p.waitForFunction((n) => self.aspkBox.printing.last?.number === n && self.aspkBox.printing.busy === 0, number, { timeout: 30_000 });
  return p.evaluate(() => self.aspkBox.printing.last);
}

before(async () => {
  server = await startAspk();
  dir = await mkdtemp(join(tmpdir(), 'aspk-box-print-'));
  ({ context, page } = await launchDevice(dir));
  watchProblems(page, problems);
  await page.addInitScript(fakeUsb);
  slot = await openDesk(server, page);
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('with no printer connected, P says so and the sale stays stored', { timeout: 60_000 }, async () => {
  const sale = await sellByKeys(page, slot.id, { reduced: 1 });
  assert.equal(await page.evaluate(() => self.fakeUsb.transfers()), 0, 'nothing printed by itself');
  await page.keyboard.press('p');
  const last = await printedSale(sale.number);
  assert.equal(last.ok, false);
  assert.equal(last.reason, 'not_connected');
  assert.equal(
    (await page.textContent('#ticket-print-status')).trim(),
    'Квиток не надруковано (продаж збережено). Принтер не підключено: натисніть «Принтер» → «Підключити принтер».',
  );
  assert.ok(await page.locator('#ticket').isVisible(), 'the ticket stays on screen');
  const stored = await page.evaluate(async () => (await import('/box-office/device/db.js')).allSales());
  assert.ok(stored.some((s) => s.number === sale.number), 'the sale is stored');
  await page.keyboard.press('Escape');
});

test('connected over WebUSB, P prints the ticket on screen: its QR code and the cut', { timeout: 60_000 }, async () => {
  await page.click('#printer-open');
  await page.waitForSelector('#printer-panel:not([hidden])');
  assert.equal(await page.inputValue('#printer-kind'), 'usb', 'USB by default');
  assert.ok(await page.locator('#printer-baud-row').isHidden(), 'no port speed for USB');
  await page.click('#printer-connect');
  await page.waitForFunction(() => document.getElementById('printer-status').textContent.includes('Fake Receipt Printer'));
  assert.equal((await page.textContent('#printer-status')).trim(), 'Принтер підключено: Fake Receipt Printer.');
  const requests = await page.evaluate(() => self.fakeUsb.requests);
  assert.deepEqual(requests, [{ filters: [{ classCode: 7 }] }], 'the chooser offers printer-class devices');

  // A reduced ticket: its document notice is printed too.
  const sale = await sellByKeys(page, slot.id, { reduced: 1 });
  assert.equal(await page.evaluate(() => self.fakeUsb.transfers()), 0, 'not printed by itself (not chosen)');
  assert.equal((await page.textContent('#ticket-print')).trim(), 'Друкувати (P)');
  await page.keyboard.press('p');
  const last = await printedSale(sale.number);
  assert.equal(last.ok, true, JSON.stringify(last));
  assert.equal((await page.textContent('#ticket-print-status')).trim(), 'Надруковано квитків: 1.');

  const bytes = await printed();
  assert.equal(bytes.length, last.bytes, 'every byte reached the printer');
  assert.ok(bytes.subarray(0, 2).equals(Buffer.from([0x1b, 0x40])), 'ESC @ first');
  const code = sale.tickets[0].code;
  assert.match(code, /^\d{150,}$/);
  assert.equal(count(bytes, qrStore(code)), 1, 'the QR store command carries exactly the ticket code');
  assert.ok(bytes.subarray(bytes.length - 4).equals(CUT), 'ends with the cut GS V 66 0');
  assert.equal(count(bytes, CUT), 1, 'one ticket, one cut');
  // QR model 2, ECC Q and print, and raster images 72 bytes (576 dots) wide.
  assert.ok(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0])), 'QR model 2');
  assert.ok(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x32])), 'ECC Q');
  assert.ok(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30])), 'QR print');
  assert.ok(bytes.includes(Buffer.from([0x1d, 0x76, 0x30, 0, 72, 0])), 'GS v 0 rasters 72 bytes wide');
  // With a notice the body is taller than without: a plain ticket's bytes are fewer.
  const withNotice = bytes.length;

  await page.evaluate(() => self.fakeUsb.clear());
  await page.click('#ticket-print');
  await printedSale(sale.number);
  const again = await printed();
  assert.ok(again.equals(bytes), 'the Print button prints the same bytes again');

  await page.evaluate(() => self.fakeUsb.clear());
  const adult = await sellByKeys(page, slot.id, { adult: 1 });
  await page.keyboard.press('P');
  assert.equal((await printedSale(adult.number)).ok, true);
  const plain = await printed();
  assert.equal(count(plain, qrStore(adult.tickets[0].code)), 1);
  assert.ok(plain.length < withNotice, `no notice, fewer raster rows (${plain.length} < ${withNotice})`);
  await page.keyboard.press('Escape');
});

test('printing after each sale prints every ticket of it, each cut', { timeout: 60_000 }, async () => {
  await page.evaluate(() => self.fakeUsb.clear());
  if (await page.locator('#printer-panel').isHidden()) await page.click('#printer-open');
  await page.check('#printer-auto');
  const sale = await sellByKeys(page, slot.id, { adult: 2 });
  const last = await printedSale(sale.number);
  assert.equal(last.ok, true, JSON.stringify(last));
  assert.equal(last.count, 2);
  const bytes = await printed();
  for (const t of sale.tickets) assert.equal(count(bytes, qrStore(t.code)), 1, `the QR of ticket ${t.serial}`);
  assert.equal(count(bytes, CUT), 2, 'each ticket cut');
  assert.ok(bytes.subarray(bytes.length - 4).equals(CUT));
  assert.equal(count(bytes, Buffer.from([0x1b, 0x40])) >= 2, true, 'ESC @ per ticket');
  // The choice is remembered on the device.
  await page.keyboard.press('Escape');
  await page.reload();
  await ready(page);
  await page.click('#printer-open');
  assert.equal(await page.isChecked('#printer-auto'), true);
  assert.equal(await page.inputValue('#printer-kind'), 'usb');
});

test('a browser without WebUSB says so clearly, and sells all the same', { timeout: 60_000 }, async () => {
  // Another tab of the same device (paired, signed in, shift open), in a browser with no WebUSB.
  const other = await context.newPage();
  watchProblems(other, problems);
  await other.addInitScript(() => Object.defineProperty(Navigator.prototype, 'usb', { configurable: true, get: () => undefined }));
  await other.goto(`${server.base}/box-office/device/`);
  await ready(other);
  await other.waitForSelector('#sale-form:not([hidden])');
  assert.equal(await other.evaluate(() => navigator.usb), undefined);

  const message = 'Цей браузер не вміє WebUSB: скористайтеся Chrome або Edge (Firefox і Safari не вміють) чи оберіть інше підключення.';
  await other.click('#printer-open');
  await other.click('#printer-connect');
  await other.waitForFunction((m) => document.getElementById('printer-status').textContent === m, message);

  // Printing after the sale is still chosen: it fails with the same words, the sale stands.
  const sale = await sellByKeys(other, slot.id, { adult: 1 });
  const last = await printedSale(sale.number, other);
  assert.equal(last.ok, false);
  assert.equal(last.reason, 'no_api');
  assert.equal((await other.textContent('#ticket-print-status')).trim(), `Квиток не надруковано (продаж збережено). ${message}`);
  const stored = await other.evaluate(async () => (await import('/box-office/device/db.js')).allSales());
  assert.ok(stored.some((s) => s.number === sale.number), 'the sale is stored');
  await other.evaluate(() => self.aspkBox.sync());
  assert.equal(await other.evaluate(() => self.aspkBox.status.queue), 0, 'and handed to the server');

  // In English too (the language button is under the ticket screen).
  await other.evaluate(() => document.getElementById('lang').click());
  await other.keyboard.press('p');
  await other.waitForFunction(() => document.getElementById('ticket-print-status').textContent.startsWith('The ticket was not printed'));
  assert.equal(
    (await other.textContent('#ticket-print-status')).trim(),
    'The ticket was not printed (the sale is stored). This browser has no WebUSB: use Chrome or Edge (Firefox and Safari do not have it) or choose another connection.',
  );
  await other.evaluate(() => document.getElementById('lang').click());
  await other.close();
});

test('no page error and no Content-Security-Policy refusal', () => {
  assert.deepEqual(problems, []);
});
