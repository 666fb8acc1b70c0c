// The visitors' shop on a phone (390×844), in headless Debian Chromium against the real
// `aspk` binary (demo museum, SQLite, loopback), with the demo's test payment provider:
//   - with JavaScript off: open /shop/demo, pick tomorrow, a slot, 2 adult tickets, e-mail,
//     terms, checkout → the test provider's page → Pay → the order page shows 2 tickets with
//     their QR codes and PDFs; the first page weighs < 100 KB and no request leaves
//     127.0.0.1;
//   - a form without e-mail and terms is refused (422) with the messages next to the fields
//     and the quantities kept;
//   - the English switch, and the language staying for the next page;
//   - finding an order: a wrong e-mail and a wrong number get the same message; the right
//     pair opens the order;
//   - a filled-in honeypot is thanked and holds nothing.
// The LiqPay and monobank runs (against web/tests/fake-acquirers.mjs) go in `PROVIDER_RUNS`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { startAspk } from './aspk-server.mjs';

const PHONE = { width: 390, height: 844 };
const DAY_MS = 24 * 3600e3;
const EMAIL = 'visitor@example.com';

/** The museum's local day (YYYY-MM-DD) of an instant, `days` later. */
const kyivDay = (at, days = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv' }).format(new Date(at + days * DAY_MS));

let server;
let browser;
/** The order the paid run made: {number, email}. */
let paidOrder;

before(async () => {
  server = await startAspk();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A phone's browser; every request it makes is listed in `requests`. */
async function phone({ javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, javaScriptEnabled });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  return { context, page, requests };
}

/** Seats left of `slot` on `day`, as the API tells. */
async function seatsLeft(day, slot) {
  const res = await fetch(`${server.base}/api/v1/catalog?venue=demo&date=${day}`);
  const body = await res.json();
  return body.slots.find((s) => s.id === slot).available;
}

/** Opens the shop on `day` (going to the next month in the calendar when needed). */
async function openDay(page, day) {
  const link = page.locator(`#calendar a[href*="date=${day}"]`);
  if ((await link.count()) === 0) {
    await Promise.all([page.waitForNavigation(), page.click('#next-month')]);
  }
  await Promise.all([page.waitForNavigation(), link.click()]);
  assert.match(page.url(), new RegExp(`date=${day}`));
}

/** Chooses the day's first slot with seats; returns its id. */
async function chooseFirstSlot(page) {
  const slot = page.locator('#slots li.slot:not(.sold-out) a').first();
  const li = page.locator('#slots li.slot:not(.sold-out)').first();
  const id = await li.getAttribute('data-slot');
  await Promise.all([page.waitForNavigation(), slot.click()]);
  await page.waitForSelector('#order-form');
  return id;
}

test('without JavaScript a visitor buys 2 tickets and gets them with QR codes', { timeout: 90_000 }, async () => {
  const { context, page, requests } = await phone({ javaScriptEnabled: false });
  const responses = [];
  const counting = (res) => responses.push(res);
  page.on('response', counting);
  const first = await page.goto(`${server.base}/shop/demo?lang=uk`, { waitUntil: 'load' });
  assert.equal(first.status(), 200);
  await page.waitForLoadState('networkidle');
  page.off('response', counting);
  // What the page needed (HTML, CSS, theme, logo), uncompressed: an upper bound of the transfer.
  const sizes = await Promise.all(responses.map(async (r) => (await r.body().catch(() => Buffer.alloc(0))).length));
  const firstPageBytes = sizes.reduce((a, b) => a + b, 0);
  assert.ok(responses.length >= 3, `the page, its stylesheet and its theme: ${responses.map((r) => r.url())}`);
  assert.ok(firstPageBytes > 1000 && firstPageBytes < 100 * 1024, `the first page weighs ${firstPageBytes} bytes`);
  assert.equal(await page.getAttribute('html', 'lang'), 'uk');
  assert.ok(await page.locator('#calendar table.month').isVisible(), 'the calendar shows');

  const tomorrow = kyivDay(Date.now(), 1);
  await openDay(page, tomorrow);
  const slot = await chooseFirstSlot(page);
  const before = await seatsLeft(tomorrow, slot);

  // A first try without e-mail or terms: refused next to the fields, the quantities kept.
  await page.fill('#qty-adult', '2');
  const refused = await Promise.all([page.waitForNavigation(), page.click('#checkout')]).then(([r]) => r);
  assert.equal(refused.status(), 422);
  assert.equal(await page.inputValue('#qty-adult'), '2');
  assert.match(await page.textContent('#email-error'), /пошт/);
  assert.ok(await page.locator('#terms-error').isVisible());
  assert.equal(await seatsLeft(tomorrow, slot), before, 'nothing held by a refused form');

  await page.fill('#email', EMAIL);
  await page.check('#terms');
  await Promise.all([page.waitForURL(/\/pay\/test\/\d+$/), page.click('#checkout')]);
  assert.equal(await seatsLeft(tomorrow, slot), before - 2, 'the two seats are held while paying');
  assert.equal(await page.textContent('#amount'), '500,00\u00a0грн');

  await Promise.all([page.waitForURL(/\/shop\/demo\/order\/\d+\?k=/), page.click('#pay')]);
  // Paid: the page shows the tickets (it refreshes itself while the payment is on its way).
  await page.waitForSelector('#tickets li.ticket svg.qr', { timeout: 20_000 });
  const tickets = page.locator('#tickets li.ticket');
  assert.equal(await tickets.count(), 2);
  assert.equal(await page.locator('#tickets svg.qr').count(), 2);
  const numbers = await page.locator('.ticket-number').allTextContents();
  assert.ok(numbers.every((n) => /^\d{4} \d{4} \d{4}$/.test(n)), `ticket numbers ${numbers}`);
  const pdf = await page.locator('a.pdf').first().getAttribute('href');
  const pdfRes = await fetch(server.base + pdf);
  assert.equal(pdfRes.status, 200);
  assert.equal(pdfRes.headers.get('content-type'), 'application/pdf');

  const orderTitle = await page.textContent('h1');
  paidOrder = { number: orderTitle.match(/\d{4} \d{4} \d{4}/)[0], email: EMAIL, url: page.url() };

  const away = requests.filter((u) => !u.startsWith(`${server.base}/`) && !u.startsWith('data:'));
  assert.deepEqual(away, [], 'no request leaves this node');
  await context.close();
});

test('the shop speaks English after the switch, and keeps to it', { timeout: 30_000 }, async () => {
  const { context, page } = await phone();
  await page.goto(`${server.base}/shop/demo`);
  assert.equal(await page.getAttribute('html', 'lang'), 'uk');
  await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal((await page.textContent('h1')).trim(), 'Tickets online');
  await Promise.all([page.waitForNavigation(), page.click('#lookup-link')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the next page is English too');
  assert.equal((await page.textContent('h1')).trim(), 'Find my order');
  await context.close();
});

test('finding an order: the same answer for a wrong e-mail and a wrong number', { timeout: 30_000 }, async () => {
  assert.ok(paidOrder, 'the purchase test ran first');
  const { context, page } = await phone();
  const find = async (number, email) => {
    await page.goto(`${server.base}/shop/demo/lookup?lang=uk`);
    await page.fill('#number', number);
    await page.fill('#email', email);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('#find')]);
    return res;
  };
  const wrongEmail = await find(paidOrder.number, 'someone.else@example.com');
  assert.equal(wrongEmail.status(), 404);
  const emailMessage = await page.textContent('#lookup-error');
  // Another valid order number (its check digit right) that has no order.
  const digits = paidOrder.number.replace(/ /g, '');
  const wrongNumber = await find(otherValidNumber(digits), paidOrder.email);
  assert.equal(wrongNumber.status(), 404);
  assert.equal(await page.textContent('#lookup-error'), emailMessage, 'one message for both');
  await find('1234', paidOrder.email);
  assert.equal(await page.textContent('#lookup-error'), emailMessage, 'a malformed number too');

  await find(paidOrder.number, paidOrder.email.toUpperCase());
  assert.match(page.url(), /\/shop\/demo\/order\/\d+\?k=/);
  assert.equal(await page.locator('#tickets li.ticket').count(), 2);
  await context.close();
});

test('a bot that fills in the hidden field is thanked and holds nothing', { timeout: 30_000 }, async () => {
  const { context, page } = await phone();
  const tomorrow = kyivDay(Date.now(), 1);
  await page.goto(`${server.base}/shop/demo?lang=uk`);
  await openDay(page, tomorrow);
  const slot = await chooseFirstSlot(page);
  const before = await seatsLeft(tomorrow, slot);
  await page.fill('#qty-adult', '3');
  await page.fill('#email', 'bot@example.com');
  await page.check('#terms');
  await page.evaluate(() => { document.querySelector('#website').value = 'https://spam.example'; });
  const [res] = await Promise.all([page.waitForNavigation(), page.click('#checkout')]);
  assert.equal(res.status(), 200);
  assert.doesNotMatch(page.url(), /pay\/test/);
  assert.ok((await page.textContent('main')).includes('Дякуємо'));
  assert.equal(await seatsLeft(tomorrow, slot), before, 'no seat held');
  await context.close();
});

/** A 12-digit number with a valid Verhoeff check digit, other than `digits`. */
function otherValidNumber(digits) {
  const serial = digits.slice(0, 11);
  const other = serial === '10000000000' ? '10000000001' : '10000000000';
  return other + verhoeffDigit(other);
}

function verhoeffDigit(num) {
  const d = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1], [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]];
  const p = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1], [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]];
  const inv = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];
  let c = 0;
  const rev = num.split('').reverse();
  for (let i = 0; i < rev.length; i++) c = d[c][p[(i + 1) % 8][Number(rev[i])]];
  return String(inv[c]);
}

// LiqPay and monobank: once web/tests/fake-acquirers.mjs exists, the same purchase runs
// against each fake acquirer here (the server started with ASPK_LIQPAY_URL /
// ASPK_MONOBANK_URL pointing at it and `--payment-provider liqpay|monobank`).
// const PROVIDER_RUNS = ['liqpay', 'monobank'];
