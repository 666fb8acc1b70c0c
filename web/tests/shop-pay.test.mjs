// Paying in the visitors' shop through fake LiqPay and fake monobank (web/tests/fake-acquirers.mjs),
// end to end, on a phone (390×844) in headless Debian Chromium against the real `aspk` binary
// (demo museum, SQLite, loopback), with the e-tickets mailed through a real SMTP server
// (scripts/smtp-test-server.py: STARTTLS with a self-signed certificate, login). For each
// provider:
//   - the shop: a slot open now, 2 adult tickets, e-mail, terms → checkout → the fake's
//     payment page → Pay → back on the order page, which shows the 2 paid tickets;
//   - the fake's signed callback was accepted (200); a forged one (signed with another key)
//     is refused with 4xx and leaves the order as it was;
//   - the mail arrives with the tickets' PDF; the QR codes printed in it are the tickets'
//     codes, and one of them is admitted at the gate.
// The shop's CSP lets payment forms go to `https:` sites only (as real acquirers are), so the
// browser reaches each fake through an HTTPS front with the same self-signed certificate.
//
// Needs chromium, openssl, python3-aiosmtpd, poppler-utils and zbar-tools: without them it is
// skipped ("SKIPPED: …"), or fails when CI is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM_PATH } from './harness.mjs';
import { startAspk } from './aspk-server.mjs';
import { liqpayCallback, liqpayForm, startFakeLiqPay, startFakeMonobank } from './fake-acquirers.mjs';
import { missingMailTools, qrCodesInPdf, readMail, selfSignedCert, startSmtp, waitForMail } from './mail-box.mjs';

const PHONE = { width: 390, height: 844 };
const SMTP_USER = 'aspk-mailer';
const SMTP_PASSWORD = 'mail-secret-for-tests';
const LIQPAY_KEYS = { publicKey: 'sandbox_i00000000001', privateKey: 'sandbox_private_key_for_tests' };
const MONOBANK_TOKEN = 'mono-test-token';
/** How long the e-mail may take to arrive. */
const MAIL_WITHIN_MS = 20_000;

const missing = [
  ...(existsSync(CHROMIUM_PATH) ? [] : [`chromium (${CHROMIUM_PATH})`]),
  ...missingMailTools(),
];
const skip = missing.length > 0 && !process.env.CI ? `SKIPPED: ${missing.join(', ')} not installed` : false;
if (skip) console.log(skip);

/** The museum's local day (YYYY-MM-DD) of an instant. */
const kyivDay = (at) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv' }).format(new Date(at));

let work;
let tls;
let browser;

before(async () => {
  if (skip) return;
  assert.deepEqual(missing, [], 'CI is set: every tool of this test must be installed');
  work = await mkdtemp(join(tmpdir(), 'aspk-shop-pay-'));
  tls = selfSignedCert(work);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
});

after(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A front for the fake acquirer at `target` (http://127.0.0.1:PORT): HTTPS with `cert` when
 * given, else plain HTTP. Every request is passed on; in answers, `target` becomes `shownAs`
 * (so the pages and links the fake makes point at the HTTPS front). Resolves to {url, close}.
 */
async function front(target, { cert, shownAs } = {}) {
  const handler = (req, res) => {
    const upstream = httpRequest(target + req.url, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const rewrite = (s) => (shownAs ? s.split(target).join(shownAs) : s);
        const body = Buffer.from(rewrite(Buffer.concat(chunks).toString('utf8')), 'utf8');
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        if (headers.location) headers.location = rewrite(headers.location);
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode, headers);
        res.end(body);
      });
    });
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  };
  const server = cert
    ? createHttpsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, handler)
    : createHttpServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${cert ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/**
 * Each provider's fake acquirer behind its fronts: {env (for aspk), payments(),
 * callbackStatus(), forgedCallback() → {body, headers} for the paid order, close}.
 */
const PROVIDERS = {
  async liqpay() {
    const fake = await startFakeLiqPay(LIQPAY_KEYS);
    // The visitor's browser posts the checkout form to ASPK_LIQPAY_URL: HTTPS.
    const https = await front(fake.url, { cert: tls });
    return {
      env: { ASPK_LIQPAY_PUBLIC_KEY: LIQPAY_KEYS.publicKey, ASPK_LIQPAY_PRIVATE_KEY: LIQPAY_KEYS.privateKey, ASPK_LIQPAY_URL: https.url },
      payments: () => fake.payments,
      callbackStatus: () => fake.payments.map((p) => p.callbackStatus),
      forgedCallback: () => {
        // The paid order's own id (aspk's serial), refunded, signed with a wrong private key.
        const forged = liqpayCallback({
          privateKey: 'not-the-private-key',
          publicKey: LIQPAY_KEYS.publicKey,
          orderId: fake.payments[0].orderId,
          amount: 500,
          status: 'reversed',
        });
        return { body: liqpayForm(forged), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      },
      close: async () => {
        await https.close();
        await fake.close();
      },
    };
  },
  async monobank() {
    const fake = await startFakeMonobank({ token: MONOBANK_TOKEN });
    const https = await front(fake.url, { cert: tls });
    // aspk asks for invoices over plain HTTP; their pageUrl points at the HTTPS front.
    const api = await front(fake.url, { shownAs: https.url });
    return {
      env: { ASPK_MONOBANK_TOKEN: MONOBANK_TOKEN, ASPK_MONOBANK_URL: api.url },
      payments: () => fake.payments,
      callbackStatus: () => fake.webhooks.map((w) => w.status),
      forgedCallback: () => {
        // The paid invoice's webhook, refunded, signed with a key that is not the bank's.
        const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        const invoice = fake.invoices.get(fake.payments[0].invoiceId);
        const body = JSON.stringify({
          invoiceId: invoice.invoiceId,
          status: 'reversed',
          amount: invoice.amount,
          ccy: invoice.ccy,
          finalAmount: 0,
          createdDate: invoice.createdDate,
          modifiedDate: new Date().toISOString(),
          reference: invoice.reference,
          destination: invoice.destination,
        });
        const xSign = crypto.sign('sha256', Buffer.from(body), privateKey).toString('base64');
        return { body, headers: { 'content-type': 'application/json', 'x-sign': xSign } };
      },
      close: async () => {
        await api.close();
        await https.close();
        await fake.close();
      },
    };
  },
};

for (const provider of Object.keys(PROVIDERS)) {
  test(`paying through ${provider}: paid tickets on the page, forged callbacks refused, the tickets mailed and admitted`, { skip, timeout: 120_000 }, async (t) => {
    const acquirer = await PROVIDERS[provider]();
    t.after(() => acquirer.close());
    const smtp = await startSmtp({ tls, user: SMTP_USER, password: SMTP_PASSWORD });
    t.after(() => smtp.stop());
    const server = await startAspk({
      args: (base) => ['--payment-provider', provider, '--public-url', base,
        '--smtp', `localhost:${smtp.port}`, '--smtp-tls', 'starttls', '--smtp-user', SMTP_USER, '--smtp-ca', tls.cert],
      env: { ...acquirer.env, ASPK_SMTP_PASSWORD: SMTP_PASSWORD },
    });
    t.after(() => server.stop());
    const email = `${provider}.visitor@example.com`;

    // A slot open now, so that the mailed tickets are valid at the gate today.
    // A slot that began a minute ago, but today in Kyiv: a minute before midnight the
    // shop's calendar would show no link to yesterday (this test once ran at 00:00 Kyiv).
    const now = Date.now();
    const startsAt = kyivDay(now - 60_000) === kyivDay(now) ? now - 60_000 : now;
    const slot = (await server.api.ok('POST', '/api/v1/venues/demo/slots', {
      starts_at: new Date(startsAt).toISOString(),
      ends_at: new Date(startsAt + 3 * 3600_000).toISOString(),
      capacity: 10,
    })).id;
    const day = kyivDay(startsAt);

    const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${server.base}/shop/demo?lang=uk`);
    const dayLink = page.locator(`#calendar a[href*="date=${day}"]`);
    await Promise.all([page.waitForNavigation(), dayLink.click()]);
    await Promise.all([page.waitForNavigation(), page.locator(`#slots li.slot[data-slot="${slot}"] a`).click()]);
    await page.waitForSelector('#order-form');
    await page.fill('#qty-adult', '2');
    await page.fill('#email', email);
    await page.check('#terms');

    // Checkout → the provider's page (the shop's form is sent on by its script).
    const fakePage = page.waitForURL((u) => u.protocol === 'https:', { timeout: 20_000 });
    await page.click('#checkout');
    await fakePage;
    await page.waitForSelector('#pay');
    assert.match(await page.textContent('h1'), provider === 'liqpay' ? /Fake LiqPay/ : /Fake monobank/);
    assert.equal(Number(await page.textContent('#amount')), 500, 'the fake is asked for 500.00 UAH');

    // Pay → back on the shop's order page, which refreshes itself until the tickets show.
    await Promise.all([page.waitForURL(/\/shop\/demo\/order\/\d+\?k=/, { timeout: 20_000 }), page.click('#pay')]);
    await page.waitForSelector('#tickets li.ticket svg.qr', { timeout: 20_000 });
    assert.equal(await page.locator('#tickets li.ticket').count(), 2);
    assert.ok(await page.locator('#order-status.paid').isVisible());
    const number = (await page.textContent('h1')).match(/\d{4} \d{4} \d{4}/)[0].replace(/ /g, '');

    // The fake's signed callback was taken.
    assert.equal(acquirer.payments().length, 1);
    assert.deepEqual(acquirer.callbackStatus(), [200], 'the genuine callback is accepted');

    const orderPath = `/api/v1/orders/${number}?email=${encodeURIComponent(email)}`;
    const paid = await server.api.ok('GET', orderPath, undefined, null);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.tickets.length, 2);
    const codes = paid.tickets.map((tk) => tk.code);
    assert.ok(codes.every((c) => typeof c === 'string' && c.length > 0), 'paid tickets have codes');

    // A forged callback (another key) is refused, and the order stays as it was.
    const forged = acquirer.forgedCallback();
    const refused = await fetch(`${server.base}/api/v1/payments/${provider}/callback`, { method: 'POST', ...forged });
    await refused.arrayBuffer();
    assert.ok(refused.status >= 400 && refused.status < 500, `a forged callback gets 4xx, not ${refused.status}`);
    assert.deepEqual(await server.api.ok('GET', orderPath, undefined, null), paid, 'the order is unchanged');

    // The mail: the tickets' PDF, whose QR codes are the tickets' codes.
    const eml = await waitForMail(smtp.maildir, MAIL_WITHIN_MS).catch((e) => {
      throw new Error(`${e.message}\naspk: ${server.log()}\nsmtp: ${smtp.log()}`);
    });
    const mail = readMail(eml);
    assert.match(mail.to, new RegExp(email.replace(/\./g, '\\.')));
    const pdfs = mail.parts.filter((p) => p.type === 'application/pdf');
    assert.equal(pdfs.length, 1, `one PDF attached: ${mail.parts.map((p) => p.type)}`);
    assert.equal(pdfs[0].filename, `tickets-${number}.pdf`);
    assert.equal(mail.parts.filter((p) => p.type === 'image/png').length, 2, 'each ticket\'s QR inline');
    const printed = await qrCodesInPdf(pdfs[0].data);
    assert.deepEqual([...printed].sort(), [...codes].sort(), 'the PDF\'s QR codes are the tickets\' codes');

    // At the gate: the printed code gets in.
    const scan = await server.api.ok('POST', '/api/v1/scans', { code: printed[0], gate: 'main-1' });
    assert.equal(scan.result, 'admit');
  });
}
