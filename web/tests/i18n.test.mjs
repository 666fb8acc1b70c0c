// The walking test of the staff app's languages, in headless Debian Chromium at 1366×768
// against the real `aspk` binary (demo, SQLite, loopback) with some data: users of each role,
// a slot, a box office sale in a shift that is then closed, online orders (one cancelled), a
// visitor's request with a reply waiting in the outbox, and a printer.
//
// Every staff page reachable from the navigation, their detail pages (order, shift report,
// request thread, settings sub-pages, the device code page) and error pages are visited in
// Ukrainian and English as each role that sees them. On each page:
//   1. no message key of the catalogues shows (text, title, placeholder, aria-label, buttons);
//   2. no raw code shows (snake_case words, `node:…`/`device:…` ids, `browser-80mm`);
//   3. a Ukrainian page has no Latin-letter word outside a short allowlist and the data typed here;
//   4. an English page has no Cyrillic outside the data typed here;
//   5. at 1366×768 there is no horizontal scroll and the navigation is on one line.
// Every failure is printed with the page, language, role and offending text; the test fails if any.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH, REPO_DIR } from './harness.mjs';
import { apiOk as api, payOnline, startAspk as startServer } from './aspk-server.mjs';

const LOCALES = join(REPO_DIR, 'crates', 'aspk-i18n', 'locales');
const VIEWPORT = { width: 1366, height: 768 };
const PASSWORD = 'correct horse';

/** Brand and format names a Ukrainian page may show in Latin letters. */
const LATIN_ALLOWED = new Set(['QR', 'PDF', 'PNG', 'JPEG', 'SVG', 'CSV', 'XLSX', 'Excel', 'Alt', 'Enter', 'Esc', 'ESC', 'POS', 'SMTP', 'Ctrl', 'Shift', 'Tab']);
/** A reply's subject starts with the mail convention "Re:", whatever the language. */
const MAIL_PREFIX = /(?<![\p{L}\p{N}])Re:/gu;
/** The product's brand, which an English page may show in Cyrillic. */
const CYRILLIC_ALLOWED = new Set(['АСПК']);

/** What this test types: names, addresses and subjects it may meet as data on any page. */
const USERS = { cashier: 'olena', manager: 'maria', controller: 'taras' };
const TYPED = [
  'admin', ...Object.values(USERS), 'visitor@example.com', 'oksana@example.com', 'Oksana Petrenko',
  'Parking near the museum', 'Is there parking for a bus?', 'Yes, behind the museum.', 'kasa-1', 'Kasa 1',
  'demo', 'changed plans', '127.0.0.1:9', 'main-entrance',
];

/** Links never followed: downloads, sign-out, live streams, other sites. */
const SKIP = [/^\/sign-out/, /\/pdf(?:\?|$)/, /^\/reports\/[^/?]+/, /^\/static\//, /^\/api\//, /^\/orders\/events/, /^\/scan/, /^\/handoff/, /\.csv(?:\?|$)/];

/** Every message key of every catalogue file. */
async function catalogueKeys() {
  const keys = new Set();
  for (const file of (await readdir(LOCALES)).filter((f) => f.endsWith('.ftl'))) {
    const text = await readFile(join(LOCALES, file), 'utf8');
    for (const m of text.matchAll(/^([a-z][a-z0-9_-]*)\s*=/gm)) if (m[1].includes('-')) keys.add(m[1]);
  }
  return keys;
}

/** Creates the data the pages show, through the API and, where there is none, the pages. */
async function seed(browser, base, failures) {
  const admin = (await api(base, 'POST', '/api/v1/auth/token', { username: 'admin', password: 'demo' })).token;
  for (const [role, username] of Object.entries(USERS)) {
    await api(base, 'POST', '/api/v1/users', { username, password: PASSWORD, role }, admin);
  }
  const now = Date.now();
  const slot = (await api(base, 'POST', '/api/v1/venues/demo/slots', {
    starts_at: new Date(now - 10 * 60e3).toISOString(), ends_at: new Date(now + 60 * 60e3).toISOString(), capacity: 30,
  }, admin)).id;
  // A visitor's online order, paid through the demo's test provider.
  const order = async (email) => payOnline(base, await api(base, 'POST', '/api/v1/orders', {
    venue: 'demo', channel: 'online', email, items: [{ product: 'adult', slot, quantity: 2 }], payment: { method: 'card' },
  }), email);
  const first = await order('visitor@example.com');
  // Scans: one admitted, then the same ticket again (already used).
  const ticket = first.tickets[0].code;
  for (let i = 0; i < 2; i += 1) await api(base, 'POST', '/api/v1/scans', { code: ticket, gate: 'main-entrance' }, admin);
  const cancelled = await order('visitor@example.com');
  await api(base, 'POST', `/api/v1/orders/${cancelled.number}/cancel`, { reason: 'changed plans', refund: true }, admin);
  await api(base, 'POST', '/api/v1/requests', {
    venue: 'demo', name: 'Oksana Petrenko', email: 'oksana@example.com', subject: 'Parking near the museum', body: 'Is there parking for a bus?',
  });

  const step = async (what, fn) => {
    try { await fn(); } catch (e) { failures.push(`setup: ${what} failed: ${e.message.split('\n')[0]}`); }
  };
  const adminUi = await signIn(browser, base, 'uk', 'admin', 'demo');
  const ap = adminUi.page;
  await step('adding a printer in the settings', async () => {
    await ap.goto(`${base}/settings`);
    await ap.fill('#printer-id', 'kasa-1');
    await ap.fill('#printer-name', 'Kasa 1');
    await ap.selectOption('#printer-kind', 'escpos');
    await ap.fill('#printer-address', '127.0.0.1:9');
    await Promise.all([ap.waitForNavigation(), ap.$eval('#printer-id', (el) => el.form.requestSubmit())]);
  });
  await step('replying to the request', async () => {
    await ap.goto(`${base}/requests`);
    await Promise.all([ap.waitForNavigation(), ap.click('#requests tbody a')]);
    await ap.fill('#reply', 'Yes, behind the museum.');
    await Promise.all([ap.waitForNavigation(), ap.$eval('#reply', (el) => el.form.requestSubmit())]);
  });
  await adminUi.context.close();

  const cashier = await signIn(browser, base, 'uk', USERS.cashier, PASSWORD);
  const cp = cashier.page;
  await step('opening a shift', async () => {
    await cp.goto(`${base}/box-office`);
    await cp.fill('#float', '500');
    await Promise.all([cp.waitForNavigation(), cp.press('#float', 'Enter')]);
  });
  await step('selling at the box office', async () => {
    await cp.goto(`${base}/box-office`);
    await cp.selectOption('#slot', slot);
    await cp.keyboard.press('Alt+1');
    await cp.fill('#tendered', '1000');
    await Promise.all([cp.waitForURL(/\/box-office\/sale\//), cp.press('#tendered', 'Enter')]);
  });
  await step('closing the shift', async () => {
    await cp.goto(`${base}/shifts`);
    await cp.fill('#counted', '750');
    await Promise.all([cp.waitForNavigation(), cp.click('#close-shift')]);
    if (await cp.$('#confirm-yes')) await Promise.all([cp.waitForNavigation(), cp.click('#confirm-yes')]);
  });
  await cashier.context.close();
}

async function signIn(browser, base, lang, username, password) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${base}/?lang=${lang}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.press('#password', 'Enter')]);
  return { context, page };
}

/** What a page shows: its visible text (less the language switch and shown data), attributes, layout. */
function shown() {
  // The language switch names the other language in its own words; commands and links are data.
  const data = [...document.querySelectorAll('.lang, pre, code, #enrol-code, #pairing-link, script, style')]
    .map((el) => el.innerText ?? '')
    .filter(Boolean)
    .sort((a, b) => b.length - a.length);
  let text = document.body.innerText;
  for (const shownData of data) text = text.split(shownData).join(' ');
  const attrs = [document.title];
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
    // Text in a language of its own on purpose (the plan's steps in both languages).
    if (el.closest('.lang')) continue;
    for (const name of ['title', 'placeholder', 'aria-label']) if (el.getAttribute(name)) attrs.push(el.getAttribute(name));
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (!el.closest('.lang')) attrs.push(el.value);
  }
  const navTops = [...document.querySelectorAll('header nav a')].map((a) => Math.round(a.getBoundingClientRect().top));
  return {
    text, attrs, navTops,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
}

/** The problems of one page, each as a short line. */
function problems(view, lang, keys) {
  let all = [view.text, ...view.attrs].join('\n');
  for (const typed of TYPED) all = all.split(typed).join(' ');
  all = all.replace(MAIL_PREFIX, ' ');
  const found = [];
  const seen = new Set();
  const add = (what, text) => {
    const line = `${what}: ${JSON.stringify(text)}`;
    if (!seen.has(line)) { seen.add(line); found.push(line); }
  };
  for (const m of all.matchAll(/(?<![\p{L}\p{N}_-])[a-z][a-z0-9]*(?:-[a-z0-9_]+)+(?![\p{L}\p{N}_-])/gu)) {
    if (keys.has(m[0])) add('catalogue key', m[0]);
  }
  for (const m of all.matchAll(/(?<![\p{L}\p{N}])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\p{L}\p{N}])/gu)) add('raw code', m[0]);
  for (const m of all.matchAll(/\b(?:node|device|user|system):[\w-]+/g)) add('raw id', m[0]);
  for (const m of all.matchAll(/\bbrowser-80mm\b/g)) add('raw id', m[0]);
  if (lang === 'uk') {
    for (const m of all.matchAll(/(?<![\p{L}\p{N}])[A-Za-z]{2,}(?![\p{L}\p{N}])/gu)) {
      if (!LATIN_ALLOWED.has(m[0])) add('English on a Ukrainian page', context(all, m.index, m[0]));
    }
  } else {
    for (const m of all.matchAll(/\p{Script=Cyrillic}[\p{Script=Cyrillic}'’ʼ-]*/gu)) {
      if (!CYRILLIC_ALLOWED.has(m[0])) add('Cyrillic on an English page', context(all, m.index, m[0]));
    }
  }
  if (view.scrollWidth > view.innerWidth) add('horizontal scroll', `${view.scrollWidth} > ${view.innerWidth}`);
  if (view.navTops.length && Math.max(...view.navTops) - Math.min(...view.navTops) > 4) {
    add('navigation wraps', view.navTops.join(','));
  }
  return found;
}

/** The word and a little around it, on one line. */
function context(all, at, word) {
  const start = all.lastIndexOf('\n', at) + 1;
  const end = all.indexOf('\n', at);
  const line = all.slice(start, end < 0 ? undefined : end).trim();
  return line.length > 90 ? `${word} … ${line.slice(Math.max(0, at - start - 40), at - start + 50)}` : line;
}

/** A page's links worth walking: same site, not skipped, `lang` left out. */
async function linksOf(page, base) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  const out = [];
  for (const href of hrefs) {
    if (!href.startsWith(base)) continue;
    const url = new URL(href);
    url.searchParams.delete('lang');
    url.hash = '';
    const path = url.pathname + url.search;
    if (!SKIP.some((re) => re.test(path))) out.push(path);
  }
  return out;
}

/** A page's kind: its path with numbers and ids taken out, and its query's names. */
const kindOf = (path) => {
  const url = new URL(path, 'http://x');
  const parts = url.pathname.split('/').map((p, i) => (i >= 2 && /\d|^[0-9a-f-]{8,}$/.test(p) ? ':id' : p));
  return `${parts.join('/')}?${[...url.searchParams.keys()].sort().join('&')}`;
};

/** Visits a page in `lang` and records its problems under `who`. */
async function check(page, base, lang, path, who, keys, report) {
  const url = new URL(path, base);
  url.searchParams.set('lang', lang);
  const response = await page.goto(url.toString());
  await page.waitForLoadState('domcontentloaded');
  const view = await page.evaluate(shown);
  for (const p of problems(view, lang, keys)) report(`${lang} ${path} (${who}${response ? `, HTTP ${response.status()}` : ''}): ${p}`);
  return view;
}

/** Walks every page one member of staff reaches from the navigation, two of each kind. */
async function walk(page, base, lang, who, keys, report) {
  await page.goto(`${base}/box-office?lang=${lang}`);
  const start = await page.$$eval('header nav a[href]', (as) => as.map((a) => new URL(a.href).pathname));
  const queue = start.filter((p) => !SKIP.some((re) => re.test(p)));
  const visited = new Set();
  const kinds = new Map();
  while (queue.length && visited.size < 60) {
    const path = queue.shift();
    const kind = kindOf(path);
    if (visited.has(path) || (kinds.get(kind) ?? 0) >= 2) continue;
    visited.add(path);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    await check(page, base, lang, path, who, keys, report);
    queue.push(...(await linksOf(page, base)));
  }
  return visited;
}

/** Pages reached by a form or typed by hand: the device code, error pages. */
async function formPages(admin, cashier, base, lang, keys, report) {
  const ap = admin.page;
  await ap.goto(`${base}/settings/devices?lang=${lang}`);
  await Promise.all([ap.waitForNavigation(), ap.click('#add-device')]);
  for (const p of problems(await ap.evaluate(shown), lang, keys)) report(`${lang} device code page (admin): ${p}`);

  await check(ap, base, lang, '/orders/999999999999', 'admin', keys, report);
  await check(ap, base, lang, '/requests/no-such-request', 'admin', keys, report);

  // A bad form post: a request's status that does not exist.
  await ap.goto(`${base}/requests?lang=${lang}`);
  const thread = await ap.$eval('#requests tbody a', (a) => a.getAttribute('href'));
  const mail = await check(ap, base, lang, thread, 'admin', keys, report);
  const waiting = lang === 'uk' ? /поштовий сервер \(SMTP\) не налаштовано/ : /no mail server \(SMTP\) is configured/;
  if (!waiting.test(mail.text)) report(`${lang} ${thread} (admin): the outbox does not say that no mail server is configured`);
  await Promise.all([ap.waitForNavigation(), ap.evaluate(() => {
    const form = document.querySelector('form[action$="/update"]');
    const status = form.querySelector('[name=status]');
    status.append(new Option('bogus', 'bogus', true, true));
    form.submit();
  })]);
  for (const p of problems(await ap.evaluate(shown), lang, keys)) report(`${lang} bad request status post (admin): ${p}`);

  // A bad amount at the shifts page.
  const cp = cashier.page;
  await cp.goto(`${base}/shifts?lang=${lang}`);
  const field = (await cp.$('#float')) ? '#float' : (await cp.$('#counted')) ? '#counted' : null;
  if (field) {
    await cp.$eval(field, (el) => { el.removeAttribute('required'); el.removeAttribute('pattern'); el.value = 'abc'; });
    await Promise.all([cp.waitForNavigation(), cp.$eval(field, (el) => el.form.submit())]);
    for (const p of problems(await cp.evaluate(shown), lang, keys)) report(`${lang} bad amount post at /shifts (cashier): ${p}`);
  }
}

test('every staff page speaks one language and fits 1366×768', { timeout: 600_000 }, async () => {
  const keys = await catalogueKeys();
  assert.ok(keys.size > 300, `only ${keys.size} catalogue keys found`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
  const server = await startServer();
  const failures = [];
  const counted = new Map();
  const report = (line) => { if (!counted.has(line)) { counted.set(line, true); failures.push(line); } };
  try {
    const { base } = server;
    await seed(browser, base, failures);
    const people = [['admin', 'admin', 'demo'], ...Object.entries(USERS).map(([role, name]) => [role, name, PASSWORD])];
    let pages = 0;
    for (const lang of ['uk', 'en']) {
      const sessions = {};
      for (const [role, username, password] of people) {
        sessions[role] = await signIn(browser, base, lang, username, password);
        pages += (await walk(sessions[role].page, base, lang, role, keys, report)).size;
      }
      await formPages(sessions.admin, sessions.cashier, base, lang, keys, report);
      await Promise.all(Object.values(sessions).map((s) => s.context.close()));
    }
    console.log(`# walked ${pages} pages as ${people.length} people in 2 languages`);
    assert.ok(pages > 30, `only ${pages} pages walked`);
  } catch (e) {
    console.error(server.log());
    throw e;
  } finally {
    await server.stop();
    await browser.close();
  }
  for (const f of failures) console.log(`FAIL ${f}`);
  assert.equal(failures.length, 0, `${failures.length} problems, listed above`);
});
