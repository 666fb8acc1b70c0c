// The staff app's money rules in headless Debian Chromium at 1366×768, against the real
// `aspk` binary (SQLite, loopback): a closed shift's Z report never changes (a refund needs an
// open shift and goes into the shift that makes it), a cashier cannot refund a used ticket and
// a manager can (with a reason, and it shows in the manager's shift report), and every
// destructive action asks first: Enter confirms, Esc goes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';
import { apiOk as api, startAspk as startServer } from './aspk-server.mjs';

const VIEWPORT = { width: 1366, height: 768 };

async function signIn(browser, base, username) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${username} at ${page.url()}: ${e}`));
  await page.goto(`${base}/?lang=uk`);
  await page.fill('#username', username);
  await page.fill('#password', 'correct horse');
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
  return { context, page, errors };
}

/** Opens the signed-in person's cash shift from the box office. */
async function openShift(page, base, float) {
  await page.goto(`${base}/box-office`);
  await page.fill('#float', float);
  await Promise.all([page.waitForNavigation(), page.press('#float', 'Enter')]);
}

/** Posts a form of the page's session directly (what a tampered page could send). */
async function postForm(page, path, fields) {
  const csrf = await page.inputValue('input[name="csrf"]');
  return page.request.post(new URL(path, page.url()).href, { form: { csrf, ...fields }, maxRedirects: 0 });
}

/** Submits `button`'s form, then confirms on the page that asks, with Enter. */
async function confirmWithEnter(page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)]);
  assert.ok(await page.isVisible('#confirm-question'), 'a destructive action asks first');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-yes', 'Enter confirms');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

const money = (minor) => `${Math.floor(minor / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${String(minor % 100).padStart(2, '0')}\u00a0грн`;

test('a closed shift never changes, and only a manager refunds a used ticket', { timeout: 120_000 }, async () => {
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const { base } = server;
    const admin = (await api(base, 'POST', '/api/v1/auth/token', { username: 'admin', password: 'demo' })).token;
    for (const [username, role] of [['olena', 'cashier'], ['maria', 'manager']]) {
      await api(base, 'POST', '/api/v1/users', { username, password: 'correct horse', role }, admin);
    }
    const now = Date.now();
    const slot = (await api(base, 'POST', '/api/v1/venues/demo/slots', {
      starts_at: new Date(now - 10 * 60e3).toISOString(), ends_at: new Date(now + 60 * 60e3).toISOString(), capacity: 30,
    }, admin)).id;
    const olenaToken = (await api(base, 'POST', '/api/v1/auth/token', { username: 'olena', password: 'correct horse' })).token;
    const sell = () => api(base, 'POST', '/api/v1/orders', {
      venue: 'demo', channel: 'box_office', items: [{ product: 'adult', slot, quantity: 1 }], payment: { method: 'cash' },
    }, olenaToken);

    // The cashier sells in her shift and closes it, confirming with Enter.
    const cashier = await signIn(browser, base, 'olena');
    const cp = cashier.page;
    await openShift(cp, base, '500');
    const first = await sell();
    await cp.goto(`${base}/shifts`);
    await cp.click('#x-report');
    assert.match(await cp.textContent('h1, h2'), /X/, 'an open shift has an interim X report');
    await cp.goto(`${base}/shifts`);
    await cp.fill('#counted', 'сімсот');
    await Promise.all([cp.waitForNavigation(), cp.click('#close-shift')]);
    assert.ok(await cp.isVisible('#counted-error'), 'a bad amount is shown next to its field');
    assert.equal(await cp.inputValue('#counted'), 'сімсот', 'the form is kept');
    await cp.fill('#counted', '700');
    await cp.fill('#note', 'Розмінна монета в сейфі');
    await confirmWithEnter(cp, '#close-shift');
    assert.match(cp.url(), /\/shifts\/[0-9a-f]+$/);
    const zUrl = cp.url();
    const zBefore = await cp.innerHTML('#z-report');
    assert.equal(await cp.textContent('#z-note'), 'Розмінна монета в сейфі', 'the closing note is on the Z report');
    assert.equal(await cp.textContent('#z-difference'), money(-5000));

    // Her shift closed, the order is no longer hers to cancel: nothing is offered.
    await cp.goto(`${base}/orders/${first.number}`);
    assert.equal(await cp.locator('#cancel-order').count(), 0, 'no cancel form on a sale of a closed shift');

    // The manager has no shift open: no refund is offered, and a forged one is refused.
    const manager = await signIn(browser, base, 'maria');
    const mp = manager.page;
    await mp.goto(`${base}/orders/${first.number}`);
    assert.equal(await mp.locator('#cancel-order ~ input[name="refund"], form.danger input[name="refund"]').count(), 0);
    assert.ok(await mp.isVisible('#refund-note'));
    const forged = await postForm(mp, `/orders/${first.number}/cancel`, { reason: 'помилка', refund: '1', confirmed: 'yes' });
    assert.equal(forged.status(), 409, 'a refund without an open shift is refused');
    assert.match(await forged.text(), /зміну/);
    await mp.goto(`${base}/orders/${first.number}`);
    assert.equal((await mp.textContent('#order-status')).trim(), 'Оплачено', 'the refused refund changed nothing');

    // Esc on the confirmation goes back without a change.
    await mp.fill('#reason', 'помилка');
    await Promise.all([mp.waitForNavigation(), mp.click('#cancel-order')]);
    await Promise.all([mp.waitForNavigation(), mp.keyboard.press('Escape')]);
    assert.match(mp.url(), /\/orders\/\d+$/, "Esc leads back to the order");
    assert.equal((await mp.textContent('#order-status')).trim(), 'Оплачено');

    // With a shift open the manager refunds it; the refund goes into the manager's shift.
    await openShift(mp, base, '0');
    await mp.goto(`${base}/orders/${first.number}`);
    await mp.fill('#reason', 'відвідувач передумав');
    await confirmWithEnter(mp, '#cancel-order');
    assert.equal((await mp.textContent('#order-status')).trim(), 'Повернено');
    await cp.goto(zUrl);
    assert.equal(await cp.innerHTML('#z-report'), zBefore, 'the closed Z report is byte-identical');

    // A used ticket: the cashier may not refund it, the manager may, with a reason.
    await openShift(cp, base, '0');
    const second = await sell();
    const used = second.tickets[0];
    const scan = await api(base, 'POST', '/api/v1/scans', { code: used.code, gate: 'main' }, olenaToken);
    assert.equal(scan.result, 'admit');
    await cp.goto(`${base}/orders/${second.number}`);
    const row = `tr[data-ticket="${BigInt(used.number.slice(0, 11))}"]`;
    assert.equal(await cp.locator(row).count(), 1);
    assert.equal(await cp.locator(`${row} button.cancel-ticket`).count(), 1, 'her own sale in her open shift: she may cancel');
    assert.equal(await cp.locator(`${row} input[name="refund"]`).count(), 0, 'no refund offered for a used ticket');
    const refused = await postForm(cp, `/tickets/${used.number.replace(/ /g, '')}/cancel`, { reason: 'передумав', refund: '1', confirmed: 'yes' });
    assert.equal(refused.status(), 403, 'a cashier refunding a used ticket is refused');
    await cp.goto(`${base}/orders/${second.number}`);
    assert.equal((await cp.textContent('#order-status')).trim(), 'Оплачено');

    await mp.goto(`${base}/orders/${second.number}`);
    assert.equal(await mp.locator(`${row} input[name="refund"]`).count(), 1, 'a manager may refund it');
    await mp.fill(`${row} input[name="reason"]`, 'зал закрили під час візиту');
    await confirmWithEnter(mp, `${row} button.cancel-ticket`);
    assert.match(await mp.textContent('#tickets'), /Скасований/);
    await mp.goto(`${base}/shifts`);
    await mp.click('#x-report');
    assert.equal(await mp.textContent('#z-refunds'), money(50000), 'both refunds are in the manager\'s shift');
    assert.equal(await mp.locator('#z-refund-lines tbody tr').count(), 2);
    assert.deepEqual([...cashier.errors, ...manager.errors], []);
    await cashier.context.close();
    await manager.context.close();
  } catch (e) {
    console.error(server.log().slice(-3000));
    throw e;
  } finally {
    await browser.close();
    await server.stop();
  }
});
