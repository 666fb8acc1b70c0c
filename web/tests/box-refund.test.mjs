// Refunds at the offline box-office device (`/box-office/device/`), in headless Debian Chromium
// (a persistent profile, so IndexedDB and the service worker survive reloads) against the real
// `aspk` binary (demo, loopback):
//   - paired, a cashier signs in, opens a shift and sells three orders (one paid by card);
//   - another cashier signed in on the same device sees no Refund action on those sales, is
//     told why, and is refused when trying anyway;
//   - with the server dead, the cashier refunds a cash sale: the confirmation shows the amount
//     and the tickets (Esc cancels, Enter confirms); the sale is marked refunded, the expected
//     cash drops by its total, its seats go back to the device's lease; all of it survives a
//     reload; the shift closes with the cash counted, the reconciliation waits for the server;
//   - the server comes back on the same data and the device uploads: the reconciliation says
//     the server holds every op of the shift; the server has the order refunded (its tickets
//     void, the cash paid back in the shift), the others paid; the shift's Z report on the staff
//     page shows the refund and the same expected cash and difference the device showed;
//   - no page error and no Content-Security-Policy refusal anywhere.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startAspk } from './aspk-server.mjs';
import { digits, launchDevice, makeSlot, minorOf, PASSWORD, ready, sellByKeys, watchProblems } from './box-session.mjs';
import { CHROMIUM_PATH } from './harness.mjs';
import { formatHumanNumber } from '../scan/verify.js';

const CASHIER = 'olena';
const OTHER = 'petro';
const MANAGER = 'maria';
const MINUTE = 60_000;
const FLOAT = 50_000;

let server;
let data;
let port;
let dir;
let context;
let page;
let slot;
let shiftId;
const problems = [];
/** The three sales: cash, card, cash. */
let sold = [];
/** What the device showed at the close. */
let closing;

const status = () => page.evaluate(() => self.aspkBox.status);
const allSales = () => page.evaluate(async () => (await import('/box-office/device/db.js')).allSales());
const seatsLeft = async () => Number(await page.getAttribute(`#slots button[data-slot="${slot.id}"]`, 'data-left'));
const refundButton = (sale) => page.locator(`#history tr[data-number="${sale.number}"] button.refund`);

async function signIn(username) {
  await page.waitForSelector('#signin:not([hidden])');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#desk:not([hidden])');
}

async function signOut() {
  await page.click('#sign-out');
  await page.waitForSelector('#signin:not([hidden])');
}

/** Tries to refund `number` through the app's module, as a script on the page would. */
const refundByScript = (number) =>
  page.evaluate(async (n) => {
    const sell = await import('/box-office/device/sell.js');
    try {
      await sell.refund(n, 'test');
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: e.reason ?? null, message: e.message };
    }
  }, number);

before(async () => {
  server = await startAspk();
  ({ data, port } = server);
  dir = await mkdtemp(join(tmpdir(), 'aspk-box-refund-'));
  ({ context, page } = await launchDevice(dir));
  watchProblems(page, problems);
});

after(async () => {
  await context?.close();
  await server?.kill();
  if (data) await rm(data, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a cashier pairs the device, opens a shift and sells three orders, one by card', { timeout: 90_000 }, async () => {
  await server.api.addStaff(CASHIER, 'cashier', 'demo');
  await server.api.addStaff(OTHER, 'cashier', 'demo');
  await server.api.addStaff(MANAGER, 'manager', 'demo');
  slot = await makeSlot(server, Date.now() - 5 * MINUTE, 120);
  const enrolment = await server.api.ok('POST', '/api/v1/enrolments', { role: 'box_office', venue: 'demo' });
  await page.goto(enrolment.url);
  await ready(page);
  await page.click('#pair-submit');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
  await signIn(CASHIER);
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForSelector(`#slots button[data-slot="${slot.id}"]`, { state: 'attached' });
  await page.fill('#float', '500');
  await page.press('#float', 'Enter');
  await page.waitForSelector('#sale-form:not([hidden])');

  sold = [
    await sellByKeys(page, slot.id, { adult: 2 }, 'cash'),
    await sellByKeys(page, slot.id, { adult: 1, reduced: 1 }, 'card'),
    await sellByKeys(page, slot.id, { reduced: 1 }, 'cash'),
  ];
  await page.keyboard.press('Escape');
  assert.deepEqual(sold.map((s) => s.method), ['cash', 'card', 'cash']);
  assert.ok(sold.every((s) => s.user === CASHIER));
  await page.evaluate(() => self.aspkBox.sync());
  const s = await status();
  assert.equal(s.queue, 0, 'the shift and the sales are on the server');
  shiftId = s.shift;
  assert.ok(shiftId);
  assert.equal(await page.locator('#history button.refund').count(), 3, 'each sale of the shift has a Refund action');
  assert.equal((await refundButton(sold[0]).textContent()).trim(), 'Повернути');
  assert.ok(await page.locator('#history-note').isHidden());
  // The app is kept by its service worker before the power goes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
});

test('another cashier cannot refund these sales on the device', { timeout: 60_000 }, async () => {
  await signOut();
  await signIn(OTHER);
  assert.equal(await page.locator('#history tr[data-number]').count(), 3, 'the open shift\'s sales are listed');
  assert.equal(await page.locator('#history button.refund').count(), 0, 'no Refund action on another cashier\'s sales');
  const note = await page.textContent('#history-note');
  assert.ok(await page.locator('#history-note').isVisible());
  assert.ok(note.startsWith('Касир повертає лише власні продажі'), note);
  assert.ok(note.includes(CASHIER), `the note names who may: ${note}`);

  const tried = await refundByScript(sold[0].number);
  assert.deepEqual(tried, { ok: false, reason: 'refund_other', message: 'refund_other' }, 'refused before anything is written');
  const text = await page.evaluate(async () => (await import('/box-office/device/i18n.js')).t('refused.refund_other', { user: 'olena' }));
  assert.equal(text, 'Касир повертає лише власні продажі, а цей продаж — olena.');
  assert.ok((await allSales()).every((s) => !s.refund), 'nothing refunded');
  assert.equal((await status()).queue, 0, 'no op written');

  await signOut();
  await signIn(CASHIER);
  assert.equal(await page.locator('#history button.refund').count(), 3);
});

test('offline, the cashier refunds a cash sale; it is durable across a reload', { timeout: 90_000 }, async () => {
  await server.kill();
  await page.reload();
  await ready(page);
  await page.waitForSelector('#sale-form:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  assert.equal((await status()).online, false, 'the status bar says offline');

  const target = sold[0];
  const cashSales = sold.filter((s) => s.method === 'cash').reduce((n, s) => n + s.total_minor, 0);
  assert.equal(minorOf(await page.textContent('#shift-expected')), FLOAT + cashSales);
  const seatsBefore = await seatsLeft();

  // Asked first: the amount and the tickets; Esc cancels.
  await refundButton(target).click();
  await page.waitForSelector('#refund:not([hidden])');
  assert.equal(await page.getAttribute('#refund', 'data-number'), String(target.number));
  assert.equal(minorOf(await page.getAttribute('#refund-amount', 'data-minor')), target.total_minor);
  const amountText = await page.textContent('#refund-amount');
  assert.ok(amountText.startsWith('Повернути') && amountText.includes('готівкою'), amountText);
  assert.equal(minorOf(amountText.split('готівкою')[0]), target.total_minor, `the amount: ${amountText}`);
  assert.equal(await page.locator('#refund-tickets li').count(), target.tickets.length);
  for (const t of target.tickets) assert.ok((await page.textContent('#refund-tickets')).includes(formatHumanNumber(t.serial)));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'refund-reason');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#refund', { state: 'hidden' });
  assert.equal(await page.evaluate(() => self.aspkBox.refunds), 0, 'Esc refunds nothing');
  assert.equal(await refundButton(target).count(), 1);

  // Enter confirms, with a reason typed.
  await refundButton(target).click();
  await page.waitForSelector('#refund:not([hidden])');
  await page.keyboard.type('відвідувач передумав');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => self.aspkBox.refunds === 1);
  assert.ok(await page.locator('#refund').isHidden());
  const message = await page.textContent('#history-message');
  assert.ok(message.startsWith(`Замовлення ${formatHumanNumber(target.number)} повернено`), message);

  const checkRefunded = async (when) => {
    const row = page.locator(`#history tr[data-number="${target.number}"]`);
    assert.equal(await row.getAttribute('data-refunded'), 'true', `${when}: the row says refunded`);
    assert.match(await row.locator('td.state').textContent(), /^повернено готівкою · чекає передачі/, when);
    assert.equal(await refundButton(target).count(), 0, `${when}: no second refund`);
    assert.equal(await page.locator('#history button.refund').count(), 2, `${when}: the others may still be refunded`);
    assert.equal(minorOf(await page.textContent('#shift-expected')), FLOAT + cashSales - target.total_minor, `${when}: expected cash`);
    assert.equal(Number(await page.getAttribute('#shift-refunds', 'data-cash')), target.total_minor, `${when}: cash refunds`);
    assert.equal(await seatsLeft(), seatsBefore + target.tickets.length, `${when}: the seats go back to the device's lease`);
    const s = await status();
    assert.equal(s.queue, 1, `${when}: the refund waits for the server`);
    const sale = (await allSales()).find((x) => x.number === target.number);
    assert.equal(sale.refund.amount_minor, target.total_minor);
    assert.equal(sale.refund.shift, shiftId);
    assert.equal(sale.refund.user, CASHIER);
    assert.deepEqual(sale.payments.at(-1), { method: 'cash', amount_minor: -target.total_minor, shift: shiftId });
    const ops = await page.evaluate(async () => (await import('/box-office/device/db.js')).opsAfter(0, 1000));
    const last = ops.at(-1);
    assert.equal(last.type, 'order_cancelled');
    assert.equal(last.seq, sale.refund.seq);
    const op = JSON.parse(last.json);
    assert.equal(op.actor, `user:${CASHIER}`);
    assert.equal(op.body.number, target.number);
    assert.equal(op.body.reason, 'відвідувач передумав');
    assert.deepEqual(op.body.entries_seen, []);
    assert.equal(op.body.refund.method, 'cash');
    assert.equal(op.body.refund.amount_minor, -target.total_minor);
    assert.equal(op.body.refund.shift, shiftId);
  };
  await checkRefunded('right after');
  assert.deepEqual(await refundByScript(target.number), { ok: false, reason: 'refund_done', message: 'refund_done' });

  await page.reload();
  await ready(page);
  await page.waitForSelector('#sale-form:not([hidden])');
  await checkRefunded('after a reload');
});

test('the shift closes with the cash counted; the reconciliation waits for the server', { timeout: 60_000 }, async () => {
  const cash = sold.filter((s) => s.method === 'cash').reduce((n, s) => n + s.total_minor, 0);
  const card = sold.filter((s) => s.method === 'card').reduce((n, s) => n + s.total_minor, 0);
  const refunded = sold[0].total_minor;
  const expected = FLOAT + cash - refunded;
  assert.equal(minorOf(await page.textContent('#shift-expected')), expected);
  // One hryvnia short.
  const counted = expected - 100;
  await page.fill('#counted', `${Math.floor(counted / 100)},${String(counted % 100).padStart(2, '0')}`);
  assert.equal(minorOf(await page.textContent('#shift-difference')), -100);
  await page.press('#counted', 'Enter');
  await page.waitForSelector('#shift-close-form[data-confirm]');
  await page.press('#counted', 'Enter');
  await page.waitForSelector('#shift-closed:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  assert.equal((await status()).shift, null);

  await page.waitForSelector('#reconcile:not([hidden])');
  const figure = async (id) => Number(await page.getAttribute(`#reconcile-${id}`, 'data-minor'));
  closing = {
    orders: Number(await page.textContent('#reconcile-orders')),
    cash: await figure('cash'),
    card: await figure('card'),
    refunds: await figure('refunds'),
    float: await figure('float'),
    expected: await figure('expected'),
    counted: await figure('counted'),
    difference: await figure('difference'),
  };
  assert.deepEqual(closing, { orders: 3, cash, card, refunds: refunded, float: FLOAT, expected, counted, difference: -100 });
  assert.equal(minorOf(await page.textContent('#reconcile-expected')), expected, 'as shown');
  assert.equal(minorOf(await page.textContent('#reconcile-difference')), -100, 'as shown');
  assert.equal(await page.getAttribute('#reconcile-state', 'data-state'), 'waiting');
  const waiting = await page.textContent('#reconcile-state');
  // The refund and the close are not on the server yet.
  assert.equal(waiting, 'Ще не передано на сервер операцій цієї зміни: 2. Звірка — щойно сервер їх прийме.');
});

test('back online, the server has the refund, and its Z report agrees with the device', { timeout: 90_000 }, async () => {
  server = await startAspk({ data, port });
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForFunction(() => self.aspkBox.status.queue === 0 && self.aspkBox.status.online, null, { timeout: 30_000 });
  await page.waitForSelector('#reconcile-state[data-state="reconciled"]');
  // Opened, three sales, a refund, closed.
  assert.equal(
    await page.textContent('#reconcile-state'),
    'Звірено з сервером: сервер прийняв усі операції цієї зміни (6). Z-звіт сервера рахується саме з них; сам звіт пристрій не бачить — він на сторінці зміни в застосунку персоналу.',
  );

  const [target, ...others] = sold;
  const order = await server.api.ok('GET', `/api/v1/orders/${digits(target.number)}`);
  assert.equal(order.status, 'refunded', 'cancelled with a refund');
  assert.equal(order.cancel_reason, 'відвідувач передумав');
  assert.equal(order.created_by, `user:${CASHIER}`);
  assert.ok(order.tickets.every((t) => t.status === 'void'), 'its tickets are void');
  const refunds = order.payments.filter((p) => p.amount_minor < 0);
  assert.deepEqual(refunds.map((p) => [p.method, p.amount_minor]), [['cash', -target.total_minor]]);
  for (const sale of others) {
    const o = await server.api.ok('GET', `/api/v1/orders/${digits(sale.number)}`);
    assert.equal(o.status, 'paid');
    assert.equal(o.total_minor, sale.total_minor);
    assert.ok(o.payments.every((p) => p.amount_minor > 0));
  }

  // The Z report, read as a manager at the staff app.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  try {
    const staff = await browser.newPage();
    watchProblems(staff, problems);
    await staff.goto(`${server.base}/?lang=uk`);
    await staff.fill('#username', MANAGER);
    await staff.fill('#password', PASSWORD);
    await Promise.all([staff.waitForNavigation(), staff.press('#password', 'Enter')]);
    await staff.goto(`${server.base}/shifts/${shiftId}`);
    assert.equal(await staff.getAttribute('#z-report', 'data-final'), 'true', 'a closed shift: the Z report');
    assert.equal(Number(await staff.textContent('#z-orders')), closing.orders);
    assert.equal(minorOf(await staff.textContent('#z-cash')), closing.cash);
    assert.equal(minorOf(await staff.textContent('#z-card')), closing.card);
    assert.equal(minorOf(await staff.textContent('#z-refunds')), closing.refunds, 'the refund');
    assert.equal(minorOf(await staff.textContent('#z-expected')), closing.expected, 'the expected cash the device showed');
    assert.equal(minorOf(await staff.textContent('#z-counted')), closing.counted);
    assert.equal(minorOf(await staff.textContent('#z-difference')), closing.difference, 'the difference the device showed');
    const lines = await staff.textContent('#z-refund-lines');
    assert.ok(lines.includes(formatHumanNumber(target.number)), `the refund's line names the order: ${lines}`);
  } finally {
    await browser.close();
  }
});

test('no page error and no Content-Security-Policy refusal', () => {
  assert.deepEqual(problems, []);
});
