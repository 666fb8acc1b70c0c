// End-to-end test of the paper ticket pages in headless Debian Chromium against the real
// `aspk` binary (demo, SQLite, loopback), in Ukrainian and in English.
//
// A manager creates batch A 0001–0100 for the demo venue's first product, issues 0001–0050
// to a cashier, enters "0001-0010" paid in cash for a slot and sees the total; entering
// "0005" again is refused, naming the earlier entry. Two tickets sold through the API are
// pasted as a hand-recorded list and imported; a file that is no image, uploaded as a
// photo, is listed as unreadable. On /findings the manager finds the unreadable photo,
// resolves it with a reason and sees it resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { startAspk } from './aspk-server.mjs';
import { signIn as signInWith } from './staff-session.mjs';

/** Money as the page shows it. */
const money = (lang, minor) => {
  const units = Math.floor(minor / 100).toString();
  const cents = String(minor % 100).padStart(2, '0');
  if (lang === 'en') return `UAH ${units.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
  return `${units.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0')},${cents}\u00a0грн`;
};

/** What the pages' Content-Security-Policy refused or scripts threw. */
const problems = [];
const signIn = (browser, base, lang, username, password) =>
  signInWith(browser, base, lang, username, password, problems);


async function flow(browser, lang) {
  const server = await startAspk();
  const files = await mkdtemp(join(tmpdir(), 'aspk-paper-'));
  try {
    const { base, api } = server;
    await api.addStaff('maria', 'manager');
    await api.addStaff('olena', 'cashier');
    const slot = await api.slotNow('demo', 30);
    const { context, page } = await signIn(browser, base, lang, 'maria', 'correct horse');

    // The section is in the navigation; the sales form has the cursor.
    assert.ok(await page.isVisible('nav a[href="/paper"]'));
    assert.ok(await page.isVisible('nav a[href="/findings"]'));
    await page.goto(`${base}/paper`);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'series');

    // A batch A 0001–0100 of the first product.
    await page.fill('#batch-series', 'A');
    await page.fill('#batch-first', '0001');
    await page.fill('#batch-last', '0100');
    const first = await page.$eval('#batch-product option:nth-child(2)', (o) => o.value);
    await page.selectOption('#batch-product', first);
    // (A batch without validity dates cannot be signed yet: the app layer refuses its PDF.)
    const day = (offset) => new Date(Date.now() + offset * 864e5).toISOString().slice(0, 10);
    await page.fill('#batch-valid-from', day(-1));
    await page.fill('#batch-valid-until', day(30));
    await Promise.all([page.waitForNavigation(), page.click('#create-batch')]);
    const row = page.locator('tr.batch').first();
    assert.match(await row.textContent(), /A 0001–A 0100/);
    assert.equal((await row.locator('.total').textContent()).trim(), '100');
    assert.equal((await row.locator('.in-stock').textContent()).trim(), '100');
    const pdf = await row.locator('a.pdf-sheet').getAttribute('href');
    const pdfAnswer = await page.request.get(base + pdf);
    assert.equal(pdfAnswer.headers()['content-type'], 'application/pdf', server.log().split('\n').filter((l) => /ERROR|WARN/.test(l)).join('\n'));
    assert.equal((await pdfAnswer.body()).subarray(0, 5).toString(), '%PDF-');

    // 0001–0050 issued to the cashier.
    const ledger = page.locator('form.move-form').first();
    await ledger.locator('input[name=numbers]').fill('0001-0050');
    await ledger.locator('select[name=kind]').selectOption('issued');
    await ledger.locator('input[name=cashier]').fill('olena');
    await Promise.all([page.waitForNavigation(), ledger.locator('button').click()]);
    assert.equal((await page.locator('tr.batch .with-cashiers').first().textContent()).trim(), '50');
    assert.match(await page.locator('tr.cashier-stock').first().textContent(), /olena[\s\S]*0001–0050 \(50\)/);
    const csv = await (await page.request.get(`${base}/paper/stock.csv?venue=demo`)).text();
    assert.match(csv, /A;0001;0100;100;50;50;0;0;0/);
    assert.match(csv, /olena;A;0001–0050;50/);

    // 0001–0010 sold for cash in the slot, typed with the keyboard.
    await page.fill('#series', 'A');
    await page.fill('#numbers', '0001-0010');
    await page.selectOption('#slot', slot);
    await page.fill('#counted', '2600');
    await Promise.all([page.waitForNavigation(), page.press('#numbers', 'Enter')]);
    assert.equal((await page.textContent('#entered-count')).trim(), '10');
    assert.equal((await page.textContent('#entered-total')).trim(), money(lang, 250000));
    assert.match(await page.textContent('#entered-slot'), /30[\s\S]*10/);
    assert.equal((await page.textContent('#session-cash')).trim(), money(lang, 250000));
    assert.equal((await page.textContent('#cash-difference')).trim(), `+${money(lang, 10000)}`);
    assert.equal(await page.inputValue('#series'), 'A', 'the series stays for the next entry');

    // The same number again: refused, naming the earlier entry, the typed values kept.
    await page.fill('#numbers', '0005');
    await Promise.all([page.waitForNavigation(), page.press('#numbers', 'Enter')]);
    const refusal = await page.textContent('#sale-error');
    assert.match(refusal, /A 0005/);
    assert.match(refusal, /A 0001–0010/);
    assert.match(refusal, /maria/);
    assert.equal(await page.inputValue('#numbers'), '0005');

    // Two tickets sold online-style through the API, recorded by hand and imported.
    const sold = await api.sell('demo', slot, 'adult', 2);
    await page.goto(`${base}/paper`);
    await page.fill('#lines', sold.tickets.map((t) => t.number).join('\n'));
    await Promise.all([page.waitForNavigation(), page.click('#import-entries')]);
    const summary = await page.textContent('#import-summary');
    assert.match(summary, lang === 'en' ? /Imported: 2,/ : /Імпортовано: 2,/);

    // A file that is no image, uploaded as a photo: listed as unreadable.
    const notPhoto = join(files, 'notes.txt');
    await writeFile(notPhoto, 'these are not the photos you are looking for');
    await page.setInputFiles('#photos', notPhoto);
    await page.click('#import-photos');
    await page.waitForFunction(() => /notes\.txt/.test(document.getElementById('photos-result')?.textContent ?? ''));
    assert.match(await page.textContent('#photos-result'), lang === 'en' ? /unreadable: 1/ : /не прочитано: 1/);
    assert.equal(await page.getAttribute('#photos-progress', 'value'), '1');

    // The finding of the photo: resolved with a reason.
    await page.goto(`${base}/findings?status=open`);
    const kind = lang === 'en' ? 'Photo not read' : 'Фото не прочитано';
    const finding = page.locator('section.finding.open', { hasText: kind }).first();
    assert.match(await finding.textContent(), /notes\.txt/);
    await finding.locator('select[name=action]').selectOption('write_off');
    await finding.locator('input[name=reason]').fill('blurred');
    await Promise.all([page.waitForNavigation(), finding.locator('button').click()]);
    assert.ok(await page.isVisible('#resolved-note'));
    await page.goto(`${base}/findings?status=resolved`);
    const resolved = page.locator('section.finding.resolved', { hasText: kind }).first();
    assert.match(await resolved.locator('.resolution').textContent(), /blurred[\s\S]*maria/);
    const findingsCsv = await (await page.request.get(`${base}/findings.csv`)).text();
    assert.match(findingsCsv, /unreadable_photo,,resolved,.*notes\.txt.*write_off: blurred,user:maria/);

    // A cashier sees the sales form only.
    await context.close();
    const cashier = await signIn(browser, base, lang, 'olena', 'correct horse');
    await cashier.page.goto(`${base}/paper`);
    assert.ok(await cashier.page.isVisible('#sale-form'));
    assert.equal(await cashier.page.locator('#stock, #imports').count(), 0);
    assert.equal(await cashier.page.locator('nav a[href="/findings"]').count(), 0);
    await cashier.context.close();
  } finally {
    await server.stop();
    await rm(files, { recursive: true, force: true });
  }
}

test('paper tickets and findings, in Ukrainian and English', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  try {
    for (const lang of ['uk', 'en']) await flow(browser, lang);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
});
