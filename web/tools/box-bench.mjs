// Benchmark of the offline box-office device (`/box-office/device/`), run by hand (not a test):
//
//   ASPK_BIN=/work/main/target/release/aspk node web/tools/box-bench.mjs
//
// (ASPK_BIN defaults to target/release/aspk; the binary embeds web/ when it is compiled, so
// build it again after changing web/box.) Against the real `aspk` binary (demo, loopback) and
// headless Debian Chromium (a persistent profile, as the device keeps):
//   - the admin raises the demo venue's device lease to 200 seats per slot (the shop settings
//     form); three slots of capacity 200 are added;
//   - a device pairs, a manager signs in, it syncs (holding 200 seats of each slot) and opens
//     a cash shift; the server is killed (SIGKILL);
//   - 300 sales of 1 to 3 tickets (597 tickets) are made offline through the keyboard;
//     prints the key-press-to-QR-on-screen time (self.aspkBox.saleTimings): p50, p95, p99,
//     max;
//   - the server is started again on the same data and port; prints how long the upload of
//     the 300 queued sales took (until self.aspkBox.status.queue is 0), and checks that the
//     server counts every ticket.
// Also prints the Chromium version and the machine's core count.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH, REPO_DIR } from '../tests/harness.mjs';

process.env.ASPK_BIN ??= join(process.env.CARGO_TARGET_DIR ?? join(REPO_DIR, 'target'), 'release', 'aspk');
if (!existsSync(process.env.ASPK_BIN)) {
  console.error(`no aspk binary at ${process.env.ASPK_BIN}: cargo build --release -p aspk (or set ASPK_BIN)`);
  process.exit(2);
}
// After ASPK_BIN is set: aspkBinary() would build a debug binary without it.
const { startAspk } = await import('../tests/aspk-server.mjs');
const { launchDevice, makeSlot, openDesk, sellByKeys, watchProblems } = await import('../tests/box-session.mjs');

const SALES = 300;
const SEATS = 200;
const MINUTE = 60_000;

/** The i-th sale: slot i mod 3, 1 to 3 tickets (each slot gets 199 tickets), cash or card. */
function saleOf(i) {
  const n = 1 + (Math.floor(i / 3) % 3);
  return { slot: i % 3, quantities: { adult: n === 3 ? 2 : n, reduced: n === 3 ? 1 : 0 }, method: i % 2 ? 'card' : 'cash' };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (x) => `${x.toFixed(1)} ms`;

/** The admin sets the demo venue's device lease to `seats` per slot on /settings/shop. */
async function raiseLease(browser, base, seats) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/?lang=en`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'demo');
    await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
    await page.goto(`${base}/settings/shop?venue=demo`);
    await page.fill('#device_lease_seats', String(seats));
    await Promise.all([page.waitForNavigation(), page.click('#save-shop')]);
    await page.waitForSelector('#saved');
    assert.equal(await page.inputValue('#device_lease_seats'), String(seats), 'the lease setting is saved');
  } finally {
    await context.close();
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'aspk-box-bench-'));
  const problems = [];
  let server = await startAspk();
  const { data, port } = server;
  let staff;
  let device;
  try {
    staff = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
    console.log(`aspk: ${process.env.ASPK_BIN}`);
    console.log(`chromium: ${staff.version()} (${CHROMIUM_PATH})`);
    console.log(`cores: ${availableParallelism()} available (${cpus().length} logical; ${cpus()[0]?.model ?? 'unknown model'})`);

    await raiseLease(staff, server.base, SEATS);
    const now = Date.now();
    const slots = [
      await makeSlot(server, now - 5 * MINUTE, 120, SEATS),
      await makeSlot(server, now + 67 * MINUTE, 60, SEATS),
      await makeSlot(server, now + 133 * MINUTE, 60, SEATS),
    ];

    device = await launchDevice(dir);
    const { page } = device;
    watchProblems(page, problems);
    await openDesk(server, page);
    await page.evaluate(() => self.aspkBox.sync());
    for (const slot of slots) {
      const left = await page.getAttribute(`#slots button[data-slot="${slot.id}"]`, 'data-left');
      assert.equal(left, String(SEATS), `the device holds ${SEATS} seats of ${slot.id}, not ${left}`);
    }
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });

    await server.kill();
    await page.evaluate(() => self.aspkBox.sync());
    assert.equal((await page.evaluate(() => self.aspkBox.status)).online, false, 'the device is offline');

    const timingsBefore = (await page.evaluate(() => self.aspkBox.saleTimings)).length;
    const sold = [0, 0, 0];
    const started = Date.now();
    for (let i = 0; i < SALES; i += 1) {
      const { slot, quantities, method } = saleOf(i);
      const sale = await sellByKeys(page, slots[slot].id, quantities, method);
      assert.ok(!sale.is_overbooking);
      sold[slot] += sale.tickets.length;
    }
    const wall = Date.now() - started;
    const timings = (await page.evaluate(() => self.aspkBox.saleTimings)).slice(timingsBefore);
    assert.equal(timings.length, SALES);
    const sorted = [...timings].sort((a, b) => a - b);
    const tickets = sold.reduce((a, b) => a + b, 0);
    console.log(`offline: ${SALES} sales, ${tickets} tickets (${sold.join(' + ')}) in ${(wall / 1000).toFixed(1)} s of driving the page`);
    console.log(`key press to QR on screen: p50 ${ms(pct(sorted, 50))}, p95 ${ms(pct(sorted, 95))}, p99 ${ms(pct(sorted, 99))}, max ${ms(sorted.at(-1))}`);
    const queue = (await page.evaluate(() => self.aspkBox.status)).queue;
    assert.ok(queue >= SALES, `the sales wait for the server (${queue} ops)`);

    // Back: the upload of the queue.
    server = await startAspk({ data, port });
    const t0 = performance.now();
    await page.evaluate(() => self.aspkBox.sync());
    await page.waitForFunction(() => self.aspkBox.status.queue === 0 && self.aspkBox.status.online, null, { timeout: 300_000, polling: 20 });
    const upload = performance.now() - t0;
    console.log(`upload: ${queue} queued ops (${SALES} sales) handed in ${ms(upload)} after the server answered again`);

    // The server counts them all.
    const kyivDay = (iso) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv' }).format(new Date(iso));
    for (const [i, slot] of slots.entries()) {
      const catalog = await server.api.ok('GET', `/api/v1/catalog?venue=demo&date=${kyivDay(slot.starts_at)}`);
      const there = catalog.slots.find((s) => s.id === slot.id);
      assert.equal(there?.sold, sold[i], `the server counts ${sold[i]} sold in ${slot.id}`);
    }
    assert.deepEqual(problems, [], 'no page error and no Content-Security-Policy refusal');
    console.log('checked: the server counts every ticket; no page error, no CSP refusal');
  } finally {
    await device?.context.close().catch(() => {});
    await staff?.close().catch(() => {});
    await server.kill().catch(() => {});
    await rm(data, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
