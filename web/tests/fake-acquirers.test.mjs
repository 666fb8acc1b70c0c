// Self-test of the fake acquirers (no browser, no aspk): LiqPay's documented signature sample,
// a checkout paid through the fake's page with its signed callback, and a monobank invoice
// paid with a webhook that verifies under the key the fake serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import crypto from 'node:crypto';

import {
  liqpayEncode,
  liqpaySign,
  startFakeLiqPay,
  startFakeMonobank,
} from './fake-acquirers.mjs';

/** A callback receiver on 127.0.0.1:0 that records what it gets. */
async function receiver() {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/callback`;
  return { url, got, close: () => new Promise((r) => server.close(r)) };
}

test('LiqPay signature matches the documented sample', () => {
  // https://www.liqpay.ua/documentation/en/data_signature
  const json =
    '{"public_key":"i00000000","version":"3","action":"pay","amount":"3","currency":"UAH","description":"test","order_id":"000001"}';
  const data = Buffer.from(json).toString('base64');
  assert.equal(liqpaySign('a4825234f4bae72a0be04eafe9e8e2bada209255', data), 'wR+UZDC4jjeL/qUOvIsofIWpZh8=');
});

test('fake LiqPay: checkout, pay, signed callback, status and refund', async (t) => {
  const keys = { publicKey: 'i0001', privateKey: 'secret-0001' };
  const fake = await startFakeLiqPay(keys);
  const cb = await receiver();
  t.after(() => Promise.all([fake.close(), cb.close()]));

  const data = liqpayEncode({
    version: 3,
    public_key: keys.publicKey,
    action: 'pay',
    amount: 123.45,
    currency: 'UAH',
    description: 'Квитки, замовлення 7',
    order_id: '7',
    result_url: 'http://127.0.0.1:9/orders/7',
    server_url: cb.url,
    language: 'uk',
  });
  const checkout = (signature) =>
    fetch(`${fake.url}/api/3/checkout`, {
      method: 'POST',
      body: new URLSearchParams({ data, signature }),
      redirect: 'manual',
    });
  assert.equal((await checkout(liqpaySign('wrong', data))).status, 400);
  const page = await checkout(liqpaySign(keys.privateKey, data));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /id="pay"/);
  const action = html.match(/action="([^"]+)"/)[1];

  const paid = await fetch(`${fake.url}${action}`, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'pay' }),
    redirect: 'manual',
  });
  assert.equal(paid.status, 303);
  assert.equal(paid.headers.get('location'), 'http://127.0.0.1:9/orders/7');
  assert.equal(cb.got.length, 1);
  const form = new URLSearchParams(cb.got[0].body);
  assert.equal(form.get('signature'), liqpaySign(keys.privateKey, form.get('data')));
  const payment = JSON.parse(Buffer.from(form.get('data'), 'base64').toString('utf8'));
  assert.equal(payment.status, 'success');
  assert.equal(payment.order_id, '7');
  assert.match(Buffer.from(form.get('data'), 'base64').toString('utf8'), /"amount":123\.45/);

  const request = async (params) => {
    const d = liqpayEncode({ version: 3, public_key: keys.publicKey, ...params });
    const res = await fetch(`${fake.url}/api/request`, {
      method: 'POST',
      body: new URLSearchParams({ data: d, signature: liqpaySign(keys.privateKey, d) }),
    });
    return res.json();
  };
  assert.equal((await request({ action: 'status', order_id: '7' })).status, 'success');
  assert.equal((await request({ action: 'status', order_id: '8' })).err_code, 'payment_not_found');
  assert.equal((await request({ action: 'refund', order_id: '7', amount: 123.45 })).result, 'ok');
  assert.equal((await request({ action: 'status', order_id: '7' })).status, 'reversed');
  assert.deepEqual(fake.refunds, [{ orderId: '7', amount: 123.45 }]);
});

test('fake monobank: token, invoice, pubkey shape, signed webhook, status and cancel', async (t) => {
  const fake = await startFakeMonobank({ token: 'tok' });
  const hook = await receiver();
  t.after(() => Promise.all([fake.close(), hook.close()]));
  const api = (path, { token = 'tok', body } = {}) =>
    fetch(`${fake.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { 'x-token': token, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });

  const invoice = {
    amount: 25000,
    ccy: 980,
    merchantPaymInfo: { reference: '501', destination: 'Квитки' },
    redirectUrl: 'http://127.0.0.1:9/orders/501',
    webHookUrl: hook.url,
    validity: 900,
  };
  assert.equal((await api('/api/merchant/invoice/create', { token: 'nope', body: invoice })).status, 403);
  const created = await (await api('/api/merchant/invoice/create', { body: invoice })).json();
  assert.match(created.invoiceId, /^p2_/);
  assert.ok(created.pageUrl.startsWith(fake.url));

  const { key } = await (await api('/api/merchant/pubkey')).json();
  const pem = Buffer.from(key, 'base64').toString('utf8');
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
  const publicKey = crypto.createPublicKey(pem);
  assert.equal(publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');

  assert.match(await (await fetch(created.pageUrl)).text(), /id="pay"/);
  const paid = await fetch(created.pageUrl, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'pay' }),
    redirect: 'manual',
  });
  assert.equal(paid.status, 303);
  assert.equal(paid.headers.get('location'), invoice.redirectUrl);
  assert.equal(hook.got.length, 1);
  const { headers, body } = hook.got[0];
  const signature = Buffer.from(headers['x-sign'], 'base64');
  assert.ok(crypto.verify('sha256', Buffer.from(body), publicKey, signature));
  assert.ok(!crypto.verify('sha256', Buffer.from(body + ' '), publicKey, signature));
  const webhook = JSON.parse(body);
  assert.deepEqual(
    [webhook.invoiceId, webhook.status, webhook.amount, webhook.reference],
    [created.invoiceId, 'success', 25000, '501'],
  );

  const status = (id) => api(`/api/merchant/invoice/status?invoiceId=${id}`);
  assert.equal((await (await status(created.invoiceId)).json()).status, 'success');
  assert.equal((await status('p2_missing')).status, 404);
  const cancel = await api('/api/merchant/invoice/cancel', {
    body: { invoiceId: created.invoiceId, extRef: 'aspk-refund-501', amount: 25000 },
  });
  assert.equal((await cancel.json()).status, 'success');
  assert.equal((await (await status(created.invoiceId)).json()).status, 'reversed');
});
