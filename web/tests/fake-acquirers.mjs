// Fake payment acquirers for end-to-end tests: LiqPay (API 3 checkout form, signed callback,
// /api/request status and refund) and monobank acquiring (invoices, ECDSA-signed webhooks,
// public key, status, cancel). An independent implementation of both protocols with Node's
// `crypto` and `http` only, so the tests also check aspk's signatures. Each fake listens on
// 127.0.0.1:0; its payment pages have a "Pay" button (id `pay`) and a "Decline" button (id
// `decline`).
import { createServer } from 'node:http';
import crypto from 'node:crypto';

// --- shared ---------------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, headers);
  res.end(body);
}

function sendJson(res, status, value) {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json' });
}

function redirect(res, location) {
  send(res, 303, '', { location });
}

function escapeHtml(s) {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

/** A minimal payment page: what is paid, and Pay / Decline buttons posting to `action`. */
function paymentPage(title, { amount, currency, description, order }, action) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Order <span id="order">${escapeHtml(order)}</span>:
<span id="amount">${escapeHtml(amount)}</span> <span id="currency">${escapeHtml(currency)}</span></p>
<p id="description">${escapeHtml(description)}</p>
<form method="post" action="${escapeHtml(action)}">
<button type="submit" id="pay" name="outcome" value="pay">Pay</button>
<button type="submit" id="decline" name="outcome" value="decline">Decline</button>
</form>
</body></html>`;
}

/** Starts `handler` on 127.0.0.1:0; resolves to { server, url }. */
function listen(handler) {
  const server = createServer((req, res) => {
    handler(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, String(e?.stack ?? e));
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

function closer(server) {
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** POSTs a callback; returns the HTTP status (0 when the receiver could not be reached). */
async function deliver(url, body, headers) {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual' });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

// --- LiqPay ---------------------------------------------------------------------------------

/** LiqPay's signature: base64(sha1(private_key + data + private_key)). */
export function liqpaySign(privateKey, data) {
  return crypto.createHash('sha1').update(privateKey + data + privateKey).digest('base64');
}

function liqpayVerify(privateKey, data, signature) {
  if (typeof data !== 'string' || typeof signature !== 'string') return false;
  const expected = Buffer.from(liqpaySign(privateKey, data), 'base64');
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** `data` for a parameter object: base64 of its JSON. */
export function liqpayEncode(params) {
  return Buffer.from(JSON.stringify(params), 'utf8').toString('base64');
}

function liqpayDecode(data) {
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

/**
 * A signed LiqPay callback as `server_url` receives it (form fields `data`, `signature`), for
 * tests that forge or replay callbacks. `amount` is in major units (number or decimal string).
 */
export function liqpayCallback({
  privateKey,
  publicKey,
  orderId,
  amount,
  currency = 'UAH',
  status = 'success',
  paymentId = 1_000_000 + Math.floor(Math.random() * 1_000_000),
  description = '',
}) {
  const data = liqpayEncode({
    action: 'pay',
    payment_id: paymentId,
    status,
    version: 3,
    type: 'buy',
    paytype: 'card',
    public_key: publicKey,
    acq_id: 414963,
    order_id: String(orderId),
    liqpay_order_id: `FAKE${paymentId}`,
    description,
    amount: typeof amount === 'string' ? Number(amount) : amount,
    currency,
    transaction_id: paymentId,
  });
  return { data, signature: liqpaySign(privateKey, data) };
}

/** The form body of a LiqPay callback. */
export function liqpayForm({ data, signature }) {
  return new URLSearchParams({ data, signature }).toString();
}

/**
 * A fake LiqPay: POST /api/3/checkout (the visitor's form; 400 on a bad signature) renders a
 * payment page; paying POSTs the signed callback to `server_url`, then redirects (303) to
 * `result_url`. POST /api/request answers `status` and `refund`.
 */
export async function startFakeLiqPay({ publicKey, privateKey }) {
  const checkouts = new Map(); // id -> checkout params
  const payments = []; // { checkoutId, orderId, paymentId, amount, currency, status, callbackStatus }
  const refunds = []; // { orderId, amount }
  const requests = []; // decoded /api/request parameters
  let nextPaymentId = 2_000_001;

  async function complete(checkoutId, status) {
    const c = checkouts.get(checkoutId);
    if (!c) throw new Error(`no checkout ${checkoutId}`);
    const paymentId = nextPaymentId++;
    const payment = {
      checkoutId,
      orderId: c.order_id,
      paymentId,
      amount: c.amount,
      currency: c.currency,
      status,
      callbackStatus: null,
    };
    payments.push(payment);
    if (c.server_url) {
      const callback = liqpayCallback({
        privateKey,
        publicKey,
        orderId: c.order_id,
        amount: c.amount,
        currency: c.currency,
        status,
        paymentId,
        description: c.description,
      });
      payment.callbackStatus = await deliver(c.server_url, liqpayForm(callback), {
        'content-type': 'application/x-www-form-urlencoded',
      });
    }
    return payment;
  }

  function lastPayment(orderId) {
    return payments.findLast((p) => p.orderId === String(orderId));
  }

  const { server, url } = await listen(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (req.method === 'POST' && path === '/api/3/checkout') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const data = form.get('data');
      if (!liqpayVerify(privateKey, data, form.get('signature'))) {
        return send(res, 400, 'bad signature', { 'content-type': 'text/plain' });
      }
      const params = liqpayDecode(data);
      if (params.public_key !== publicKey || params.version !== 3 || params.action !== 'pay') {
        return send(res, 400, 'bad parameters', { 'content-type': 'text/plain' });
      }
      const id = crypto.randomBytes(8).toString('hex');
      checkouts.set(id, params);
      const page = paymentPage(
        'Fake LiqPay',
        {
          amount: params.amount,
          currency: params.currency,
          description: params.description,
          order: params.order_id,
        },
        `/checkout/${id}`,
      );
      return send(res, 200, page, { 'content-type': 'text/html; charset=utf-8' });
    }
    const pay = path.match(/^\/checkout\/([0-9a-f]+)$/);
    if (req.method === 'POST' && pay && checkouts.has(pay[1])) {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const status = form.get('outcome') === 'pay' ? 'success' : 'failure';
      await complete(pay[1], status);
      return redirect(res, checkouts.get(pay[1]).result_url ?? '/');
    }
    if (req.method === 'POST' && path === '/api/request') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const data = form.get('data');
      if (!liqpayVerify(privateKey, data, form.get('signature'))) {
        return sendJson(res, 200, {
          result: 'error',
          status: 'error',
          err_code: 'invalid_signature',
          err_description: 'Invalid signature',
        });
      }
      const p = liqpayDecode(data);
      requests.push(p);
      const found = lastPayment(p.order_id);
      const notFound = {
        result: 'error',
        status: 'error',
        err_code: 'payment_not_found',
        err_description: 'Payment not found',
      };
      if (p.action === 'status') {
        if (!found) return sendJson(res, 200, notFound);
        return sendJson(res, 200, {
          result: 'ok',
          action: 'pay',
          payment_id: found.paymentId,
          status: found.status,
          version: 3,
          type: 'buy',
          public_key: publicKey,
          order_id: found.orderId,
          amount: found.amount,
          currency: found.currency,
        });
      }
      if (p.action === 'refund') {
        if (!found || found.status !== 'success') return sendJson(res, 200, notFound);
        found.status = 'reversed';
        refunds.push({ orderId: found.orderId, amount: p.amount ?? found.amount });
        return sendJson(res, 200, {
          result: 'ok',
          payment_id: found.paymentId,
          status: 'reversed',
        });
      }
      return sendJson(res, 200, { result: 'error', err_code: 'invalid_action' });
    }
    send(res, 404, 'not found', { 'content-type': 'text/plain' });
  });

  return { url, close: closer(server), payments, refunds, requests, checkouts, complete };
}

// --- monobank -------------------------------------------------------------------------------

/**
 * A fake monobank acquiring API with its own ECDSA P-256 key: invoices
 * (`/api/merchant/invoice/create|status|cancel`, X-Token checked, 403 otherwise), the webhook
 * key at `/api/merchant/pubkey`, and a payment page at each invoice's `pageUrl`; paying POSTs
 * the signed webhook (X-Sign) to `webHookUrl`, then redirects (303) to `redirectUrl`.
 */
export async function startFakeMonobank({ token }) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
  });
  const publicKeyBase64 = Buffer.from(
    publicKey.export({ type: 'spki', format: 'pem' }),
    'utf8',
  ).toString('base64');
  /** X-Sign for a body: base64 of the DER ECDSA/SHA-256 signature. */
  const sign = (body) => crypto.sign('sha256', Buffer.from(body), privateKey).toString('base64');

  const invoices = new Map(); // invoiceId -> invoice
  const payments = []; // { invoiceId, reference, amount, ccy, status, webhookStatus }
  const cancels = []; // request bodies of /cancel
  const webhooks = []; // { invoiceId, body, xSign, status }

  /** The invoice as status answers and webhooks show it. */
  function view(inv) {
    const v = {
      invoiceId: inv.invoiceId,
      status: inv.status,
      amount: inv.amount,
      ccy: inv.ccy,
      finalAmount: inv.finalAmount,
      createdDate: inv.createdDate,
      modifiedDate: inv.modifiedDate,
      reference: inv.reference,
      destination: inv.destination,
    };
    if (inv.cancelList.length > 0) v.cancelList = inv.cancelList;
    return v;
  }

  /** Sends the signed webhook for the invoice's current state. */
  async function notify(inv) {
    if (!inv.webHookUrl) return null;
    const body = JSON.stringify(view(inv));
    const xSign = sign(body);
    const status = await deliver(inv.webHookUrl, body, {
      'content-type': 'application/json',
      'x-sign': xSign,
    });
    webhooks.push({ invoiceId: inv.invoiceId, body, xSign, status });
    return status;
  }

  /** Settles an invoice as the payment page would: 'success' or 'failure'. */
  async function complete(invoiceId, status) {
    const inv = invoices.get(invoiceId);
    if (!inv) throw new Error(`no invoice ${invoiceId}`);
    inv.status = status;
    inv.finalAmount = status === 'success' ? inv.amount : 0;
    inv.modifiedDate = new Date().toISOString();
    const payment = {
      invoiceId,
      reference: inv.reference,
      amount: inv.amount,
      ccy: inv.ccy,
      status,
      webhookStatus: null,
    };
    payments.push(payment);
    payment.webhookStatus = await notify(inv);
    return payment;
  }

  const authorised = (req) => req.headers['x-token'] === token;
  const forbidden = (res) => sendJson(res, 403, { errCode: 'FORBIDDEN', errText: 'forbidden' });

  const { server, url } = await listen(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    const path = u.pathname;
    if (path.startsWith('/api/') && !authorised(req)) return forbidden(res);
    if (req.method === 'POST' && path === '/api/merchant/invoice/create') {
      let body;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        return sendJson(res, 400, { errCode: 'BAD_REQUEST', errText: 'invalid json' });
      }
      if (!Number.isInteger(body.amount) || body.amount <= 0) {
        return sendJson(res, 400, { errCode: 'BAD_REQUEST', errText: 'invalid amount' });
      }
      const invoiceId = `p2_${crypto.randomBytes(6).toString('hex')}`;
      const now = new Date().toISOString();
      invoices.set(invoiceId, {
        invoiceId,
        status: 'created',
        amount: body.amount,
        ccy: body.ccy ?? 980,
        finalAmount: body.amount,
        createdDate: now,
        modifiedDate: now,
        reference: body.merchantPaymInfo?.reference,
        destination: body.merchantPaymInfo?.destination,
        redirectUrl: body.redirectUrl,
        webHookUrl: body.webHookUrl,
        validity: body.validity,
        cancelList: [],
      });
      return sendJson(res, 200, { invoiceId, pageUrl: `${url}/pay/${invoiceId}` });
    }
    if (req.method === 'GET' && path === '/api/merchant/pubkey') {
      return sendJson(res, 200, { key: publicKeyBase64 });
    }
    if (req.method === 'GET' && path === '/api/merchant/invoice/status') {
      const inv = invoices.get(u.searchParams.get('invoiceId'));
      if (!inv) return sendJson(res, 404, { errCode: 'NOT_FOUND', errText: 'invoice not found' });
      return sendJson(res, 200, view(inv));
    }
    if (req.method === 'POST' && path === '/api/merchant/invoice/cancel') {
      const body = JSON.parse((await readBody(req)).toString('utf8'));
      cancels.push(body);
      const inv = invoices.get(body.invoiceId);
      if (!inv) return sendJson(res, 404, { errCode: 'NOT_FOUND', errText: 'invoice not found' });
      if (inv.status !== 'success') {
        return sendJson(res, 400, { errCode: 'BAD_REQUEST', errText: 'invoice not paid' });
      }
      const amount = body.amount ?? inv.finalAmount;
      if (!Number.isInteger(amount) || amount <= 0 || amount > inv.finalAmount) {
        return sendJson(res, 400, { errCode: 'BAD_REQUEST', errText: 'invalid amount' });
      }
      const now = new Date().toISOString();
      inv.finalAmount -= amount;
      if (inv.finalAmount === 0) inv.status = 'reversed';
      inv.modifiedDate = now;
      inv.cancelList.push({
        status: 'success',
        amount,
        ccy: inv.ccy,
        createdDate: now,
        modifiedDate: now,
        extRef: body.extRef,
      });
      await notify(inv);
      return sendJson(res, 200, { status: 'success', createdDate: now, modifiedDate: now });
    }
    const page = path.match(/^\/pay\/(p2_[0-9a-f]+)$/);
    if (page && invoices.has(page[1])) {
      const inv = invoices.get(page[1]);
      if (req.method === 'GET') {
        const html = paymentPage(
          'Fake monobank',
          {
            amount: (inv.amount / 100).toFixed(2),
            currency: inv.ccy,
            description: inv.destination ?? '',
            order: inv.reference ?? '',
          },
          `/pay/${inv.invoiceId}`,
        );
        return send(res, 200, html, { 'content-type': 'text/html; charset=utf-8' });
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams((await readBody(req)).toString('utf8'));
        await complete(inv.invoiceId, form.get('outcome') === 'pay' ? 'success' : 'failure');
        return redirect(res, inv.redirectUrl ?? '/');
      }
    }
    send(res, 404, 'not found', { 'content-type': 'text/plain' });
  });

  return {
    url,
    close: closer(server),
    payments,
    invoices,
    cancels,
    webhooks,
    publicKeyBase64,
    sign,
    complete,
  };
}
