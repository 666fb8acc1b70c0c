// The settings pages in headless Chromium at 1366×768, as the demo admin, against the real
// `aspk` binary: the week view of slots (capacity, close and reopen, delete an unsold slot,
// deleting a sold one refused next to it), an overlapping weekly pattern reported with
// nothing created, product shortcut keys (a taken key refused next to its field, the form
// kept), the ID fields' `pattern` working in Chromium, and every save confirmed on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { payOnline, startAspk } from './aspk-server.mjs';

/** A Monday far from the demo's own slots, and times on its Tuesday in Kyiv (UTC+2 in March). */
const WEEK = '2031-03-03';
const at = (hhmm) => new Date(`2031-03-04T${hhmm}:00+02:00`).toISOString();

async function signIn(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${base}/?lang=uk`);
  await page.fill('#username', 'admin');
  await page.fill('#password', 'demo');
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
  return { context, page };
}

/** Clicks `selector` and waits for the page it leads to; resolves to its HTTP status. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response.status();
}

test('settings: the week of slots, overlaps, shortcut keys and confirmed saves', async () => {
  const server = await startAspk();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
  try {
    const { base, api } = server;
    const slot = async (from, to, capacity) => (await api.ok('POST', '/api/v1/venues/demo/slots', {
      starts_at: at(from), ends_at: at(to), capacity,
    })).id;
    const free = await slot('10:00', '11:00', 50);
    const sold = await slot('12:00', '13:00', 10);
    const order = (id) => api.call('POST', '/api/v1/orders', {
      venue: 'demo', channel: 'online', email: 'v@example.com', items: [{ product: 'adult', slot: id, quantity: 2 }], payment: { method: 'card' },
    }, null);
    const placed = await order(sold);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    await payOnline(base, placed.body, 'v@example.com');

    const { context, page } = await signIn(browser, base);
    const week = `${base}/settings/schedule?venue=demo&week=${WEEK}`;
    const row = (id) => `#slots tr[data-slot="${id}"]`;

    // The week view lists both slots with what is sold and left.
    await page.goto(week);
    assert.match(await page.textContent('#week-label'), /03\.03\.2031/);
    assert.equal(await page.locator('#slots tr[data-slot]').count(), 2);
    assert.match(await page.textContent(`${row(free)} .slot-time`), /10:00–11:00/);
    assert.equal((await page.textContent(`${row(sold)} .slot-sold`)).trim(), '2');
    assert.equal((await page.textContent(`${row(sold)} .slot-left`)).trim(), '8');
    assert.ok(await page.getAttribute('#next-week', 'href'), 'a link to the next week');

    // Change the capacity: confirmed on the same page.
    await page.fill(`${row(free)} input[name=capacity]`, '40');
    assert.equal(await submit(page, `${row(free)} .slot-capacity button`), 200);
    assert.match(await page.textContent('#saved'), /Збережено/);
    assert.equal(await page.inputValue(`${row(free)} input[name=capacity]`), '40');

    // Below what is sold: refused next to the field, the typed value kept.
    await page.fill(`${row(sold)} input[name=capacity]`, '1');
    assert.equal(await submit(page, `${row(sold)} .slot-capacity button`), 409);
    assert.match(await page.textContent(`${row(sold)} .slot-capacity .field-error`), /проданих/);
    assert.equal(await page.inputValue(`${row(sold)} input[name=capacity]`), '1');

    // An overlapping pattern: the overlaps are listed, nothing is created, the form kept.
    await page.goto(week);
    await page.fill('#sched-from', '2031-03-04');
    await page.fill('#sched-to', '2031-03-04');
    await page.fill('#sched-times', '10:00 12:30 15:00');
    await page.fill('#sched-capacity', '30');
    assert.equal(await submit(page, '#pattern-form button.primary'), 409);
    const overlaps = await page.locator('#overlaps li').allTextContents();
    assert.equal(overlaps.length, 2, overlaps.join('\n'));
    assert.match(overlaps[0], /04\.03\.2031 10:00/);
    assert.match(overlaps[1], /12:30.*12:00–13:00/);
    assert.equal(await page.inputValue('#sched-times'), '10:00 12:30 15:00');
    assert.equal(await page.locator('#slots tr[data-slot]').count(), 2, 'nothing was created');

    // Close the slot: not sold while closed; reopen it.
    await page.goto(week);
    assert.equal(await submit(page, `${row(free)} button.close`), 200);
    assert.match(await page.textContent('#saved'), /Збережено/);
    assert.match(await page.getAttribute(row(free), 'class'), /closed/);
    const refused = await order(free);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'slot_closed');
    assert.equal(await submit(page, `${row(free)} button.reopen`), 200);
    assert.doesNotMatch((await page.getAttribute(row(free), 'class')) ?? '', /closed/);

    // Delete the unsold slot; the sold one is refused, with the message in its row.
    assert.equal(await submit(page, `${row(free)} button.delete`), 200);
    assert.ok(await page.isVisible('#confirm-question'), 'deleting a slot asks first');
    assert.equal(await submit(page, '#confirm-yes'), 200);
    assert.match(await page.textContent('#saved'), /видалено/);
    assert.equal(await page.locator(row(free)).count(), 0);
    assert.equal(await submit(page, `${row(sold)} button.delete`), 409);
    assert.match(await page.textContent(`${row(sold)} .slot-actions .field-error`), /не можна видалити/);
    assert.equal(await page.locator(row(sold)).count(), 1);

    // The ID fields' pattern works in Chromium: a bad id is invalid, a good one valid.
    await page.goto(`${base}/settings`);
    const valid = (selector) => page.$eval(selector, (el) => el.checkValidity());
    await page.fill('#np-id', 'Bad Id!');
    assert.equal(await valid('#np-id'), false);
    assert.equal(await page.$eval('#np-id', (el) => el.validity.patternMismatch), true);
    await page.fill('#np-id', 'family-2_b');
    assert.equal(await valid('#np-id'), true);
    await page.fill('#printer-id', 'kasa 1');
    assert.equal(await valid('#printer-id'), false);

    // Shortcut keys: each product shows its key; a taken key is refused next to the field.
    const key = (id) => page.textContent(`#products tr[data-product="${id}"] td.key`);
    const adultKey = (await key('adult')).trim();
    assert.match(adultKey, /^Alt\+\d$/);
    const reducedKey = (await key('reduced')).trim();
    const reduced = '#products tr[data-product="reduced"]';
    await page.fill(`${reduced} input[name=price]`, '123.45');
    await page.selectOption(`${reduced} select[name=shortcut]`, adultKey.slice(4));
    assert.equal(await submit(page, `${reduced} button[type=submit]`), 422);
    assert.match(await page.textContent('#shortcut-error-reduced'), /Клавіша/);
    assert.equal(await page.inputValue(`${reduced} input[name=price]`), '123.45');
    assert.equal(await page.inputValue(`${reduced} select[name=shortcut]`), adultKey.slice(4));
    assert.equal((await key('reduced')).trim(), reducedKey, 'nothing was saved');

    // A new product with a taken key: refused next to the key, the form kept.
    await page.fill('#np-id', 'family');
    await page.fill('#np-uk', 'Сімейний');
    await page.fill('#np-price', '600');
    await page.selectOption('#np-shortcut', adultKey.slice(4));
    assert.equal(await submit(page, '#new-product button.primary'), 422);
    assert.match(await page.textContent('#np-shortcut-error'), /Клавіша/);
    assert.equal(await page.inputValue('#np-id'), 'family');
    assert.equal(await page.inputValue('#np-uk'), 'Сімейний');

    // With the first free key: saved, confirmed, and the existing keys unchanged.
    await page.selectOption('#np-shortcut', '');
    assert.equal(await submit(page, '#new-product button.primary'), 200);
    assert.match(await page.textContent('#saved'), /Збережено.*family/);
    assert.match((await key('family')).trim(), /^Alt\+\d$/);
    assert.equal((await key('adult')).trim(), adultKey);
    assert.equal((await key('reduced')).trim(), reducedKey);

    // A saved price is confirmed too.
    await page.fill(`${reduced} input[name=price]`, '150');
    assert.equal(await submit(page, `${reduced} button[type=submit]`), 200);
    assert.match(await page.textContent('#saved'), /Збережено.*reduced/);
    assert.equal(await page.inputValue(`${reduced} input[name=price]`), '150.00');
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
