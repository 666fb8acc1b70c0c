// A box office page served by the site node moves to the cloud by itself when the site
// node dies, stays signed in (carried by a one-time handoff code bound to the cloud; the
// session token never leaves its cookie), sells there, says it is on the fallback path,
// and moves back when the site node returns. Real binaries: a cloud (demo museum) and a
// site node enrolled with it, on loopback; the cashier (staff of the venue, who signs in
// at its site node) uses headless Chromium. A sale the site node's death interrupts is put
// back in the form at the cloud for the cashier to send again, and sold once, whether or
// not the site node had made it. A crafted /handoff link moves no page and sells nothing.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { createServer } from 'node:http';

import { chromium } from 'playwright-core';

import { startAspk, startSite, until } from './aspk-server.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness.mjs';

let cloud;
let site;
let browser;

before(async () => {
  cloud = await startAspk();
  await cloud.api.addStaff('olena', 'cashier', 'demo');
  const enrolment = await cloud.api.ok('POST', '/api/v1/enrolments', { role: 'site_node', venue: 'demo' });
  site = await startSite(cloud.base, { code: enrolment.code, token: cloud.api.token });
  await until('the cashier can sign in at the site node', async () =>
    (await site.api.call('POST', '/api/v1/auth/token', { username: 'olena', password: 'correct horse' }, null)).status === 200);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  site?.child.kill('SIGKILL');
  if (site) await rm(site.data, { recursive: true, force: true });
  await cloud?.stop();
});

/** Signs in at `base` as the venue's cashier and opens the box office (and the shift). */
async function boxOffice(page, base) {
  await page.goto(`${base}/?lang=en`);
  await page.fill('#username', 'olena');
  await page.fill('#password', 'correct horse');
  await Promise.all([page.waitForURL(/\/box-office/), page.press('#password', 'Enter')]);
  if (await page.isVisible('#float')) {
    await Promise.all([page.waitForNavigation(), page.fill('#float', '500').then(() => page.press('#float', 'Enter'))]);
  }
}

/** A new slot the site node holds seats of, and a cashier's box office at the site node. */
async function boxOfficeAtSite() {
  const slot = await cloud.api.slotNow('demo', 40);
  await until('the site node holds a lease of seats for the slot', async () =>
    (await site.api.ok('GET', '/api/v1/status')).leases.some((l) => l.slot === slot && l.left > 0));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await boxOffice(page, site.base);
  return { slot, context, page };
}

/** Starts a one-ticket sale; the receipt is awaited by the caller. */
async function startSale(page, slot) {
  await page.selectOption('#slot', slot);
  await page.keyboard.press('Alt+1');
  await page.fill('#tendered', '500');
  await page.press('#tendered', 'Enter');
}

/** Sells one adult ticket for cash on the box office page; returns the order number. */
async function sellOne(page, slot) {
  await startSale(page, slot);
  await page.waitForURL(/\/box-office\/sale\//, { timeout: 10_000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await page.textContent('main')}`);
  });
  return (await page.textContent('#order-number')).replace(/\s/g, '');
}

test('the box office page fails over to the cloud and back, signed in throughout', { timeout: 120_000 }, async () => {
  const { slot, context, page } = await boxOfficeAtSite();
  const atSite = await sellOne(page, slot);
  await until('the site sale reaches the cloud', async () =>
    (await cloud.api.call('GET', `/api/v1/orders/${atSite}`)).status === 200);
  await page.goto(`${site.base}/box-office`);
  // Both trust the organisation's root key: the site node as given at enrolment, the cloud
  // from its own data folder.
  assert.equal((await site.api.ok('GET', '/api/v1/status')).trust_anchors, 1);
  assert.equal((await cloud.api.ok('GET', '/api/v1/status')).trust_anchors, 1);
  // The session token is nowhere in the page, nor in script-readable storage.
  const html = await page.content();
  const token = (await context.cookies()).find((c) => c.name === 'aspk_session').value;
  assert.ok(!html.includes(token), 'the session token is not in the page');
  assert.ok(!html.includes(token.split('.')[1]), 'nor its session id');
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).includes(token.split('.')[1]));
  assert.ok((await context.cookies()).find((c) => c.name === 'aspk_session').httpOnly);
  const failover = await page.evaluate(() => self.aspkFailover);
  assert.deepEqual(failover.endpoints, [site.base, cloud.base], 'the site node first, then its upstream');
  assert.equal(failover.rank, 0);
  assert.ok(!(await page.isVisible('#path.path-fallback')));

  // The site node dies: the page moves to the cloud by itself and is still signed in.
  site.child.kill('SIGKILL');
  const died = Date.now();
  await until('the page moves to the cloud', () => page.url().startsWith(`${cloud.base}/box-office`));
  await page.waitForSelector('#sale, #float');
  const moved = Date.now() - died;
  console.log(`# box office page on the cloud ${moved} ms after the site node died (target: 3000 ms)`);
  assert.ok(moved < 6_000, `the page moved in ${moved} ms`);
  assert.ok(await page.isVisible('#path.path-fallback'), 'the badge says: fallback path');
  assert.match(await page.textContent('#path'), /fallback/);
  if (await page.isVisible('#float')) {
    await Promise.all([page.waitForNavigation(), page.fill('#float', '500').then(() => page.press('#float', 'Enter'))]);
  }
  const atCloud = await sellOne(page, slot);
  assert.notEqual(atCloud, atSite);
  await page.goto(`${cloud.base}/box-office`);

  // The site node returns: the page goes back to it, still signed in, and the site node
  // has the sale made at the cloud meanwhile.
  site = await startSite(cloud.base, { data: site.data, port: site.port, token: cloud.api.token });
  const back = Date.now();
  await until('the page moves back to the site node', () => page.url().startsWith(`${site.base}/box-office`));
  await page.waitForSelector('#sale, #float');
  console.log(`# back on the site node ${Date.now() - back} ms after it answered again`);
  assert.ok(!(await page.isVisible('#path.path-fallback')));
  await until('the cloud sale reaches the site node', async () =>
    (await site.api.call('GET', `/api/v1/orders/${atCloud}`)).status === 200);
  const order = await site.api.ok('GET', `/api/v1/orders/${atSite}`);
  assert.equal(order.tickets.length, 1, 'the first sale is there once');
  await context.close();
});

test('a session token, a forged code or a code for another node is not accepted at /handoff', async () => {
  const post = (base, body) => fetch(`${base}/handoff`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  // A session token is not a handoff code, not even a genuine one.
  for (const code of [cloud.api.token, 'h1.x.YWRtaW4.1.1.ab.99999999999.n.W10.ab.AAAA']) {
    const refused = await post(cloud.base, JSON.stringify({ code }));
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('set-cookie'), null);
  }
  const bad = await post(cloud.base, '{');
  assert.ok(bad.status >= 400 && bad.status < 500);
  // A genuine code made for the site node, taken to the cloud.
  const { page, context } = await signedInAtSite();
  const got = await page.evaluate(() => fetch('/session/handoffs').then((r) => r.json()));
  const siteAudience = got.endpoints.find((e) => e.url === site.base).audience;
  const cloudAudience = got.endpoints.find((e) => e.url === cloud.base).audience;
  assert.equal(got.codes[siteAudience], undefined, 'no code for the node the page is on');
  const forCloud = got.codes[cloudAudience];
  assert.ok(forCloud);
  assert.equal((await post(site.base, JSON.stringify({ code: forCloud }))).status, 401, 'bound to the cloud');
  assert.equal((await post(cloud.base, JSON.stringify({ code: forCloud }))).status, 204);
  assert.equal((await post(cloud.base, JSON.stringify({ code: forCloud }))).status, 401, 'used once');
  await context.close();
});

/** The cashier signed in at the site node's box office. */
async function signedInAtSite() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await boxOffice(page, site.base);
  return { page, context };
}

test('a crafted /handoff link sends the page nowhere, carries no token and sells nothing', { timeout: 60_000 }, async () => {
  // An attacker's page somewhere that would learn whatever reached it.
  const seen = [];
  const trap = createServer((req, res) => {
    seen.push(req.url);
    res.end('ok');
  });
  await new Promise((r) => trap.listen(0, '127.0.0.1', r));
  const evil = `http://127.0.0.1:${trap.address().port}`;
  const { page, context } = await signedInAtSite();
  const slot = await cloud.api.slotNow('demo', 40);
  const seats = async () => [
    (await cloud.api.ok('GET', '/api/v1/catalog?venue=demo')).slots.find((s) => s.id === slot)?.available,
    (await site.api.ok('GET', '/api/v1/status')).leases.find((l) => l.slot === slot)?.left,
  ];
  await until('the site node holds a lease of seats for the slot', async () => (await seats())[1] > 0);
  const before = await seats();
  const sale = { fields: [['slot', slot], ['qty-adult', '9'], ['method', 'cash'], ['tendered', '9999']], at: Date.now() };
  const crafted = new URLSearchParams({
    token: 'stolen',
    code: 'h1.forged',
    endpoints: JSON.stringify([evil]),
    next: `//127.0.0.1:${trap.address().port}/steal`,
    pending_sale: JSON.stringify(sale),
  });
  await page.goto(`${site.base}/handoff#${crafted}`);
  await page.waitForURL((u) => u.pathname === '/' || u.pathname === '/box-office', { timeout: 10_000 });
  assert.ok(page.url().startsWith(site.base), `stayed on its own node: ${page.url()}`);
  assert.equal(await page.evaluate(() => localStorage.getItem('aspk.pending-sale')), null, 'no sale taken from a link');
  assert.equal(await page.evaluate(() => localStorage.getItem('aspk.endpoints')), null, 'no endpoints taken from a link');
  // The box office lists only what the server says, and nothing was sold.
  await page.goto(`${site.base}/box-office`);
  const endpoints = await page.evaluate(() => self.aspkFailover?.endpoints ?? JSON.parse(document.body.dataset.endpoints));
  assert.ok(!endpoints.includes(evil), `${endpoints}`);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.deepEqual(seen, [], 'nothing reached the attacker');
  assert.deepEqual(await seats(), before, 'nothing was sold');
  trap.close();
  await context.close();
});

test('a sale interrupted by the site node dying is sent again at the cloud, and sold once', { timeout: 120_000 }, async () => {
  const { slot, context, page } = await boxOfficeAtSite();

  // The site node makes the order, hands it up to the cloud, and dies before the browser
  // hears back: the page sends the same sale again at the cloud, which answers with it.
  let made = null;
  await page.route(`${site.base}/box-office/sell`, async (route) => {
    const receipt = await (await route.fetch()).text();
    made = receipt.match(/id="order-number"[^>]*>([^<]+)</)[1].replace(/\s/g, '');
    await until('the order reaches the cloud', async () =>
      (await cloud.api.call('GET', `/api/v1/orders/${made}`)).status === 200);
    site.child.kill('SIGKILL');
    await route.abort('connectionreset');
  }, { times: 1 });
  await startSale(page, slot);
  await until('the page says the sale is being sent again', () => page.isVisible('#retrying'));
  // At the cloud the sale is back in the form, for the cashier to check and send.
  await page.waitForURL(`${cloud.base}/box-office**`, { timeout: 15_000 });
  await page.waitForSelector('#handed');
  await page.press('#tendered', 'Enter');
  await page.waitForURL(`${cloud.base}/box-office/sale/**`, { timeout: 15_000 });
  const shown = (await page.textContent('#order-number')).replace(/\s/g, '');
  assert.equal(shown, made, 'the cloud answered with the order the site node made');
  const order = await cloud.api.ok('GET', `/api/v1/orders/${made}`);
  assert.equal(order.tickets.length, 1);

  // A sale that never reached a node is made at the cloud, once.
  await page.goto(`${cloud.base}/box-office`);
  site = await startSite(cloud.base, { data: site.data, port: site.port, token: cloud.api.token });
  await until('the page moves back to the site node', () => page.url().startsWith(`${site.base}/box-office`));
  await page.waitForSelector('#sale');
  await page.route(`${site.base}/box-office/sell`, async (route) => {
    site.child.kill('SIGKILL');
    await route.abort('connectionrefused');
  }, { times: 1 });
  await startSale(page, slot);
  await page.waitForURL(`${cloud.base}/box-office**`, { timeout: 15_000 });
  await page.waitForSelector('#handed');
  await page.press('#tendered', 'Enter');
  await page.waitForURL(`${cloud.base}/box-office/sale/**`, { timeout: 15_000 });
  const atCloud = (await page.textContent('#order-number')).replace(/\s/g, '');
  assert.notEqual(atCloud, made);
  assert.equal((await cloud.api.ok('GET', `/api/v1/orders/${atCloud}`)).tickets.length, 1);
  assert.equal(await page.evaluate(() => localStorage.getItem('aspk.pending-sale')), null, 'nothing left to send');
  await context.close();
});
