// Figures for the scanner app (printed, and written to $ASPK_TEST_ARTIFACTS/scanner-app.json
// when set; not asserted against a target): with 10,000 tickets sold for today, the time from
// opening the pairing link to the first admitted ticket (pairing + first download + a scan),
// the bytes the download took, and the rate of whole local decisions (signature check plus
// IndexedDB look-ups) in the app. ASPK_SCAN_BENCH_TICKETS changes the number of tickets.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startAspk } from './aspk-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';

const TICKETS = Number(process.env.ASPK_SCAN_BENCH_TICKETS ?? 10_000);
const PER_ORDER = 50;

let server;
let browser;
let dir;
const codes = [];

before(async () => {
  server = await startAspk();
  const slot = await server.api.slotNow('demo', TICKETS);
  const orders = Math.ceil(TICKETS / PER_ORDER);
  for (let i = 0; i < orders; i += 8) {
    const batch = [];
    for (let j = i; j < Math.min(orders, i + 8); j++) {
      const q = Math.min(PER_ORDER, TICKETS - j * PER_ORDER);
      batch.push(server.api.sell('demo', slot, 'adult', q));
    }
    for (const order of await Promise.all(batch)) codes.push(...order.tickets.map((t) => t.code));
  }
  dir = await mkdtemp(join(tmpdir(), 'aspk-scan-bench-'));
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test(`from the pairing link to the first admitted ticket with ${TICKETS} tickets`, async () => {
  assert.equal(codes.length, TICKETS);
  const page = browser.pages()[0] ?? (await browser.newPage());
  const { url } = await server.api.enrolScanner('demo');
  const t0 = performance.now();
  await page.goto(url.replace(/^http:\/\/[^/]+/, server.base));
  await page.click('#pair-submit');
  await page.waitForSelector('#scanner:not([hidden])', { timeout: 120_000 });
  const tPaired = performance.now();
  await page.fill('#entry', codes[TICKETS - 1]);
  await page.press('#entry', 'Enter');
  await page.waitForFunction(() => self.aspkScan.lastDecision?.result);
  const tAdmitted = performance.now();
  const decision = await page.evaluate(() => self.aspkScan.lastDecision);
  assert.equal(decision.result, 'admit');
  assert.equal((await page.evaluate(() => self.aspkScan.status)).tickets, TICKETS);
  const download = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/v1/device/feed'))
      .reduce((a, e) => ({ bytes: a.bytes + e.transferSize, decoded: a.decoded + e.decodedBodySize, ms: a.ms + e.duration }), { bytes: 0, decoded: 0, ms: 0 }),
  );

  // Whole local decisions: decode, verify the signature, look the ticket up, check entries.
  const sample = codes.slice(0, 1000);
  const rate = await page.evaluate(async (sample) => {
    const { decide } = await import('/scan/decide.js');
    await decide(sample[0]);
    const t = performance.now();
    for (const code of sample) {
      const d = await decide(code);
      if (d.result !== 'admit') throw new Error(`unexpected ${d.result}`);
    }
    const ms = performance.now() - t;
    return { n: sample.length, ms, perSecond: (sample.length * 1000) / ms };
  }, sample);

  const figures = {
    tickets: TICKETS,
    pairing_to_first_admit_ms: Math.round(tAdmitted - t0),
    pairing_and_download_ms: Math.round(tPaired - t0),
    feed_transfer_bytes: download.bytes,
    feed_json_bytes: download.decoded,
    feed_requests_ms: Math.round(download.ms),
    local_decisions_per_second: Math.round(rate.perSecond),
    chromium: browser.browser()?.version() ?? null,
  };
  console.log(`scanner app: pairing link -> first admit with ${TICKETS} tickets: ${figures.pairing_to_first_admit_ms} ms`);
  console.log(`  pairing + download: ${figures.pairing_and_download_ms} ms; feed ${figures.feed_transfer_bytes} bytes on the wire (${figures.feed_json_bytes} bytes of JSON)`);
  console.log(`  local decisions (verify + IndexedDB): ${figures.local_decisions_per_second}/s over ${rate.n}`);
  const out = process.env.ASPK_TEST_ARTIFACTS;
  if (out) {
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'scanner-app.json'), JSON.stringify(figures, null, 2) + '\n');
  }
});
