// End-to-end test of drill mode in headless Debian Chromium against the real `aspk` binary
// (demo, SQLite, loopback), in Ukrainian and in English.
//
// A manager starts a drill on /drills; every staff page then carries the drill banner (the
// cashier's box office too, without the link a cashier may not open). A sale made at the
// box office meanwhile is marked as the drill's on its order page and counted in the
// drill's review. Ending the drill asks first (Enter confirms) and takes it all back: its
// ticket is refused at the gate, the banner is gone, and the drill is listed as ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { startAspk } from './aspk-server.mjs';
import { signIn as signInWith } from './staff-session.mjs';

const problems = [];
const signIn = (browser, base, lang, username, password) =>
  signInWith(browser, base, lang, username, password, problems);


const words = {
  uk: { banner: /НАВЧАННЯ/, running: 'триває', undone: 'завершене, усе скасовано', orders: 'Замовлень' },
  en: { banner: /DRILL/, running: 'running', undone: 'ended, all taken back', orders: 'Orders' },
};

async function flow(browser, lang) {
  const w = words[lang];
  const server = await startAspk();
  try {
    const { base, api } = server;
    await api.addStaff('maria', 'manager');
    await api.addStaff('olena', 'cashier');
    const slot = await api.slotNow('demo', 30);
    const { context, page } = await signIn(browser, base, lang, 'maria', 'correct horse');

    // No drill yet: no banner. The manager starts one from the section in the navigation.
    assert.equal(await page.locator('.drill-banner').count(), 0);
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/drills"]')]);
    assert.ok(await page.isVisible('#no-drills'));
    await page.fill('#drill-name', `Power cut ${lang}`);
    await Promise.all([page.waitForNavigation(), page.click('#drill-start-button')]);
    const drillUrl = page.url();
    assert.match(drillUrl, /\/drills\/[0-9a-f]{32}$/);
    assert.equal((await page.textContent('#drill-status strong')).trim(), w.running);
    const banner = page.locator('.drill-banner');
    assert.match(await banner.textContent(), w.banner);
    assert.match(await banner.textContent(), new RegExp(`Power cut ${lang}`));

    // The cashier sees the banner at the box office, with no link she may not open.
    const cashier = await signIn(browser, base, lang, 'olena', 'correct horse');
    await cashier.page.goto(`${base}/box-office`);
    assert.match(await cashier.page.locator('.drill-banner').textContent(), w.banner);
    assert.equal(await cashier.page.locator('.drill-banner a').count(), 0);
    await cashier.context.close();

    // A box-office sale now is the drill's: marked on its order page, in the review.
    const sold = await api.sell('demo', slot, 'adult', 2);
    await page.goto(`${base}/orders/${sold.number}`);
    assert.ok(await page.isVisible('#order-drill'));
    await page.goto(drillUrl);
    const facts = await page.textContent('#drill-facts');
    assert.match(facts, new RegExp(`${w.orders}\\s*1`));
    assert.ok(await page.isVisible('#drill-takings'));

    // Ending it takes everything back: asked first; Enter confirms.
    await Promise.all([page.waitForNavigation(), page.click('#drill-undo')]);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-yes');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(page.url(), drillUrl);
    assert.equal((await page.textContent('#drill-status strong')).trim(), w.undone);
    assert.equal(await page.locator('.drill-banner').count(), 0);
    assert.equal(await page.locator('#drill-undo').count(), 0);
    const scan = await api.ok('POST', '/api/v1/scans', { code: sold.tickets[0].code, gate: 'G1' });
    assert.equal(scan.result, 'void');
    await page.goto(`${base}/drills`);
    assert.match(await page.textContent('table.drills'), new RegExp(w.undone));
    await context.close();
  } finally {
    await server.stop();
  }
}

test('drills: started, marked on every page, undone as a whole, in Ukrainian and English', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  try {
    for (const lang of ['uk', 'en']) await flow(browser, lang);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});
