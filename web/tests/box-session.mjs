// The box-office device app (`/box-office/device/`) in headless Debian Chromium against the real
// `aspk` binary, up to the point of selling: a persistent profile (IndexedDB and the service
// worker survive reloads), a device paired with a box_office enrolment code, a manager signed
// in, a slot open now and a cash shift open. For the device app's browser tests.
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { formatHumanNumber } from '../scan/verify.js';

export const PASSWORD = 'correct horse';
const MINUTE = 60_000;

/** An order or ticket number as the API takes it (12 digits with the check digit). */
export const digits = (serial) => formatHumanNumber(serial).replace(/ /g, '');

/** An amount shown on a page ("1 250,00 грн", "-1,00 грн") in minor units. */
export function minorOf(text) {
  const n = Number(text.replace(/[^0-9]/g, ''));
  return /^\s*[-−]/.test(text) ? -n : n;
}

/** Chromium with a persistent profile in `dir`; resolves to {context, page}. */
export async function launchDevice(dir) {
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** Collects page errors and Content-Security-Policy refusals of `page` into `problems`. */
export function watchProblems(page, problems) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e}`));
}

/** Waits for the app to have started (after a load or reload). */
export const ready = (page) => page.waitForFunction(() => self.aspkBox?.ready === true, null, { timeout: 20_000 });

/** A slot of the demo museum from `startMs`, `minutes` long, never on a whole hour (the demo's own slots are). */
export async function makeSlot(server, startMs, minutes, capacity = 10) {
  let start = Math.floor(startMs / MINUTE) * MINUTE;
  if (new Date(start).getUTCMinutes() === 0) start += MINUTE;
  return server.api.ok('POST', '/api/v1/venues/demo/slots', {
    starts_at: new Date(start).toISOString(),
    ends_at: new Date(start + minutes * MINUTE).toISOString(),
    capacity,
  });
}

/**
 * Adds `username` (a manager of the demo venue), a slot open now, pairs the device on `page`,
 * signs in and opens a shift with a float of 500. Resolves to the slot.
 */
export async function openDesk(server, page, username = 'maria') {
  await server.api.addStaff(username, 'manager', 'demo');
  const slot = await makeSlot(server, Date.now() - 5 * MINUTE, 120);
  const enrolment = await server.api.ok('POST', '/api/v1/enrolments', { role: 'box_office', venue: 'demo' });
  await page.goto(enrolment.url);
  await ready(page);
  await page.click('#pair-submit');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 30_000 });
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#desk:not([hidden])');
  await page.evaluate(() => self.aspkBox.sync());
  await page.waitForSelector(`#slots button[data-slot="${slot.id}"]`, { state: 'attached' });
  await page.fill('#float', '500');
  await page.press('#float', 'Enter');
  await page.waitForSelector('#sale-form:not([hidden])');
  return slot;
}

/** Sells through the keyboard: the slot, quantities, payment, Enter. Resolves to the sale. */
export async function sellByKeys(page, slotId, quantities, method = 'cash') {
  if (!(await page.locator('#ticket').isHidden())) await page.keyboard.press('Escape');
  await page.click(`#slots button[data-slot="${slotId}"]`);
  for (const id of ['adult', 'reduced']) await page.fill(`#qty-${id}`, String(quantities[id] ?? 0));
  await page.check(method === 'card' ? '#pay-card' : '#pay-cash');
  const before = await page.evaluate(() => self.aspkBox.sales);
  await page.press('#qty-adult', 'Enter');
  await page.waitForFunction((n) => self.aspkBox.sales > n, before);
  assert.ok(await page.locator('#ticket').isVisible(), 'the ticket is on screen');
  return page.evaluate(() => self.aspkBox.lastSale);
}
