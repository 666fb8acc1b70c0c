// End-to-end test of the staff web app in headless Debian Chromium against the real `aspk`
// binary (SQLite, loopback) and a loopback TCP "printer". The whole flow runs in Ukrainian and
// in English; a screenshot of every screen goes to $ASPK_TEST_ARTIFACTS/screens/.
//
// A cashier opens a shift, sells 2 adult + 1 reduced tickets with the keyboard and cash, and
// the printer receives ESC/POS with exactly the tickets' codes; an online order placed through
// the API appears in the manager's order list without a reload; the manager finds it by number
// with one typo and cancels one ticket; seats and the report follow; the cashier closes the
// shift and the Z report's totals are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH, REPO_DIR } from './harness.mjs';
import { apiOk as api, payOnline, startAspk as startServer } from './aspk-server.mjs';

const ARTIFACTS = join(process.env.ASPK_TEST_ARTIFACTS ?? join(REPO_DIR, 'test-artifacts'), 'screens');

/** A raw-TCP printer on loopback: every connection's bytes become one job. */
async function startPrinter() {
  const jobs = [];
  const waiting = [];
  const server = createServer((socket) => {
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => {
      const job = { bytes: Buffer.concat(chunks), at: performance.now() };
      jobs.push(job);
      waiting.splice(0).forEach((w) => w(job));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${server.address().port}`,
    next: () => new Promise((resolve) => { if (jobs.length) resolve(jobs.shift()); else waiting.push(() => resolve(jobs.shift())); }),
    close: () => new Promise((r) => server.close(r)),
  };
}

const contains = (hay, needle) => hay.indexOf(Buffer.from(needle)) >= 0;

/** Money as the page shows it. */
const money = (lang, minor) => {
  const units = Math.floor(minor / 100).toString();
  const cents = String(minor % 100).padStart(2, '0');
  if (lang === 'en') return `UAH ${units.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
  return `${units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${cents}\u00a0грн`;
};

/** What the pages' Content-Security-Policy refused: it fails silently, so every page reports. */
const violations = [];

async function signIn(browser, base, lang, username, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
  }));
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${username} at ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => violations.push(`${username} at ${page.url()}: ${e}`));
  await page.goto(`${base}/?lang=${lang}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.press('#password', 'Enter');
  await page.waitForLoadState('domcontentloaded');
  return { context, page };
}

async function flow(browser, lang) {
  const server = await startServer();
  const printer = await startPrinter();
  const shot = async (page, name) => page.screenshot({ path: join(ARTIFACTS, `${lang}-${name}.png`), fullPage: true });
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

    // The admin sets up the box office printer.
    const adminUi = await signIn(browser, base, lang, 'admin', 'demo');
    await adminUi.page.goto(`${base}/settings`);
    await adminUi.page.fill('#printer-id', 'kasa-1');
    await adminUi.page.fill('#printer-name', lang === 'uk' ? 'Каса 1' : 'Desk 1');
    await adminUi.page.selectOption('#printer-kind', 'escpos');
    await adminUi.page.fill('#printer-address', printer.address);
    await Promise.all([adminUi.page.waitForNavigation(), adminUi.page.click('#printer-address ~ div button')]);
    assert.match(await adminUi.page.textContent('#printers'), /kasa-1/);
    await shot(adminUi.page, '01-settings');
    await adminUi.context.close();

    // The cashier: sign in, open the shift, sell 2 adult + 1 reduced by keyboard, cash.
    const cashier = await signIn(browser, base, lang, 'olena', 'correct horse');
    const cp = cashier.page;
    await shot(cp, '02-open-shift');
    await cp.fill('#float', '500');
    await Promise.all([cp.waitForNavigation(), cp.press('#float', 'Enter')]);
    // Another day's slots: changing the date shows them at once (a script, not an inline handler).
    const tomorrow = new Date(now + 24 * 3600e3).toISOString().slice(0, 10);
    await Promise.all([cp.waitForURL(new RegExp(`date=${tomorrow}`)), cp.fill('#date', tomorrow)]);
    await cp.goto(`${base}/box-office`);
    await cp.selectOption('#slot', slot);
    await shot(cp, '03-box-office');
    await cp.setViewportSize({ width: 800, height: 1280 });
    await shot(cp, '03-box-office-tablet');
    assert.ok(await cp.isVisible('#sell'), 'the sell button fits a tablet');
    await cp.setViewportSize({ width: 1280, height: 800 });
    const started = performance.now();
    await cp.keyboard.press('Alt+1');
    await cp.keyboard.press('Alt+1');
    await cp.keyboard.press('Alt+2');
    assert.equal(await cp.inputValue('#qty-adult'), '2');
    assert.equal(await cp.inputValue('#qty-reduced'), '1');
    await cp.fill('#tendered', '1000');
    assert.equal(await cp.textContent('#change'), money(lang, 37500));
    const printed = printer.next();
    await Promise.all([cp.waitForURL(/\/box-office\/sale\//), cp.press('#tendered', 'Enter')]);
    const job = await printed;
    console.log(`# ${lang}: first keystroke to print job received: ${(job.at - started).toFixed(0)} ms`);
    await shot(cp, '04-sold');
    assert.match(await cp.textContent('#print-status'), /kasa-1/);
    assert.equal(await cp.textContent('#change-due'), money(lang, 37500));
    const boxNumber = (await cp.textContent('#order-number')).trim();
    const boxOrder = await api(base, 'GET', `/api/v1/orders/${boxNumber.replace(/ /g, '')}`, undefined, admin);
    assert.equal(boxOrder.tickets.length, 3);
    const bytes = job.bytes;
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1b, 0x40], 'ESC @ starts the job');
    for (const t of boxOrder.tickets) {
      const len = t.code.length + 3;
      const store = Buffer.concat([Buffer.from([0x1d, 0x28, 0x6b, len % 256, len >> 8, 49, 80, 48]), Buffer.from(t.code)]);
      assert.ok(bytes.indexOf(store) >= 0, `QR store command with ticket ${t.number_display}'s code`);
    }
    assert.ok(contains(bytes, [0x1d, 0x28, 0x6b, 3, 0, 49, 69, 50]), 'QR error correction Q');
    assert.ok(contains(bytes, [0x1d, 0x76, 0x30]), 'text printed as raster images');
    assert.ok(contains(bytes, [0x1d, 0x56, 0x42, 0x00]), 'cut');

    // The manager watches the orders; an online order arrives without a reload.
    const manager = await signIn(browser, base, lang, 'maria', 'correct horse');
    const mp = manager.page;
    await mp.goto(`${base}/orders`);
    await mp.waitForSelector('#live-state.connected');
    // A visitor's online order arrives once it is paid.
    const online = await payOnline(base, await api(base, 'POST', '/api/v1/orders', {
      venue: 'demo', channel: 'online', email: 'visitor@example.com',
      items: [{ product: 'adult', slot, quantity: 2 }], payment: { method: 'card' },
    }), 'visitor@example.com');
    await mp.waitForSelector(`tr[data-number="${online.number_display}"]`, { timeout: 2000 });
    await shot(mp, '05-orders-live');

    // Found with one typo in the number, then one ticket cancelled.
    const digits = online.number.split('');
    digits[5] = String((Number(digits[5]) + 1) % 10);
    await mp.fill('#q', digits.join(''));
    await Promise.all([mp.waitForNavigation(), mp.press('#q', 'Enter')]);
    assert.ok(await mp.isVisible('#corrected'));
    await shot(mp, '06-orders-typo');
    await Promise.all([mp.waitForNavigation(), mp.click(`tr[data-number="${online.number_display}"] a`)]);
    await shot(mp, '07-order');
    const ticketRow = mp.locator('tr[data-ticket]').first();
    await ticketRow.locator('input[name="reason"]').fill(lang === 'uk' ? 'відвідувач передумав' : 'visitor changed plans');
    await Promise.all([mp.waitForNavigation(), ticketRow.locator('button.cancel-ticket').click()]);
    // Asked first: Enter confirms.
    await shot(mp, '07-confirm');
    await Promise.all([mp.waitForNavigation(), mp.keyboard.press('Enter')]);
    assert.equal(await mp.locator('td.ticket-void').count(), 1);
    assert.match(await mp.textContent('#history'), lang === 'uk' ? /скасовано/ : /cancelled/);
    await shot(mp, '08-order-cancelled');
    const catalog = await api(base, 'GET', `/api/v1/catalog?venue=demo`);
    assert.equal(catalog.slots.find((s) => s.id === slot).available, 30 - 3 - 2 + 1, 'the seat is back');
    await mp.goto(`${base}/reports`);
    // 625 at the box office + 500 online − 250 refunded.
    assert.ok((await mp.textContent('#report-total')).includes(money(lang, 87500)));
    await shot(mp, '09-reports');

    // The cashier closes the shift: 500 float + 625 cash.
    await cp.goto(`${base}/shifts`);
    await cp.fill('#counted', '1125');
    await Promise.all([cp.waitForNavigation(), cp.click('#close-shift')]);
    await Promise.all([cp.waitForNavigation(), cp.click('#confirm-yes')]);
    assert.equal(await cp.textContent('#z-orders'), '1');
    assert.equal(await cp.textContent('#z-cash'), money(lang, 62500));
    assert.equal(await cp.textContent('#z-expected'), money(lang, 112500));
    assert.equal(await cp.textContent('#z-difference'), money(lang, 0));
    await shot(cp, '10-z-report');
    await Promise.all([cashier.context.close(), manager.context.close()]);
    assert.deepEqual(violations, [], 'no page broke its Content-Security-Policy');
  } catch (e) {
    console.error(server.log());
    throw e;
  } finally {
    await printer.close();
    await server.stop();
  }
}

test('staff app: box office to Z report, in Ukrainian and English', { timeout: 120_000 }, async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
  try {
    await flow(browser, 'uk');
    await flow(browser, 'en');
  } finally {
    await browser.close();
  }
});
