// A phone paired at the site node keeps handing in its scans when the site node dies: the
// app tries the endpoints its feed named (the site node, then the cloud) and switches to
// the cloud by itself; the status bar shows the path. Real binaries: a cloud (demo museum)
// and a site node enrolled with it, on loopback; headless Chromium for the phone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startAspk, startSite, until } from './aspk-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';

let cloud;
let site;
let browser;
let page;
let dir;

before(async () => {
  cloud = await startAspk();
  const enrolment = await cloud.api.ok('POST', '/api/v1/enrolments', { role: 'site_node', venue: 'demo' });
  site = await startSite(cloud.base, { code: enrolment.code, token: cloud.api.token });
  dir = await mkdtemp(join(tmpdir(), 'aspk-failover-'));
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

after(async () => {
  await browser?.close();
  site?.child.kill('SIGKILL');
  if (site) await rm(site.data, { recursive: true, force: true });
  await cloud?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const typed = async (number) => {
  const before = await page.evaluate(() => self.aspkScan.decisions ?? 0);
  await page.click('#result', { timeout: 500 }).catch(() => {});
  await page.fill('#entry', number);
  await page.press('#entry', 'Enter');
  await page.waitForFunction((n) => (self.aspkScan.decisions ?? 0) > n, before);
  return page.evaluate(() => document.getElementById('result').dataset.kind);
};

test('a phone paired at the site node fails over to the cloud when the site node dies', { timeout: 90_000 }, async () => {
  const slot = await cloud.api.slotNow('demo', 40);
  const sold = await cloud.api.sell('demo', slot, 'adult', 2);
  const [first, second] = sold.tickets;
  const scanner = await cloud.api.enrolScanner('demo');
  // The site node has the sale and the enrolment code by replication.
  await until('the sale reaches the site node', async () =>
    (await site.api.call('GET', `/api/v1/orders/${sold.number}`)).status === 200);
  await page.goto(`${site.base}/scan#pair=${scanner.code}`);
  await page.waitForSelector('#pairing:not([hidden])');
  await page.click('#pair-submit');
  await page.waitForSelector('#scanner:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction(() => self.aspkScan.status?.lastSync);
  const endpoints = await page.evaluate(async () => (await import('/scan/store.js')).getMeta('endpoints'));
  assert.deepEqual(endpoints, [site.base, cloud.base], 'the feed names the site node, then the cloud');

  assert.equal(await typed(first.number), 'admit');
  await page.evaluate(() => self.aspkScan.sync());
  assert.equal((await page.evaluate(() => self.aspkScan.status)).queue, 0, 'handed to the site node');

  // The site node dies. The next scan still reaches the cloud, through the phone itself.
  site.child.kill('SIGKILL');
  const died = Date.now();
  assert.equal(await typed(second.number), 'admit', 'decided on the phone as before');
  await until('the cloud holds the scan made after the site node died', async () => {
    const order = await cloud.api.ok('GET', `/api/v1/orders/${sold.number}`);
    return order.tickets.find((t) => t.number === second.number)?.status === 'used';
  });
  console.log(`# scan reached the cloud ${Date.now() - died} ms after the site node died`);
  await until('the status bar shows the path', async () =>
    (await page.textContent('#synced')).includes(new URL(cloud.base).host));
  assert.equal((await page.evaluate(() => self.aspkScan.status)).queue, 0);
});
