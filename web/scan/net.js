// Talking to aspk: pairing (with the node that served this app), the feed (tickets, keys) and
// the upload of queued scans. The node that served the app is preferred; when it does not
// answer within a few seconds the next endpoint its feed named (its upstreams) is tried, and
// the next round starts again from the preferred one. Every call has a timeout; a 403 means
// this device was revoked.
import * as store from './store.js';

const TIMEOUT_MS = 3_000;
const FEED_TIMEOUT_MS = 60_000;
const UPLOAD_BATCH = 500;

/** The server said no (4xx/5xx), with its problem+json detail. */
export class ServerError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = 'ServerError';
    this.status = status;
    this.code = problem?.code ?? null;
  }
}

/** This device has been revoked (403 on a device call). */
export class RevokedError extends Error {
  constructor(detail) {
    super(detail);
    this.name = 'RevokedError';
  }
}

async function call(method, path, { token, body, timeout = TIMEOUT_MS } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  try {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl.signal,
      cache: 'no-store',
    });
    const json = await res.json().catch(() => null);
    if (res.status === 403 && token) throw new RevokedError(json?.detail ?? 'revoked');
    if (!res.ok) throw new ServerError(res.status, json);
    return json;
  } finally {
    clearTimeout(timer);
  }
}

/** A random origin id for this device's ops in the log: `phone-` and 24 hex digits. */
export function newOrigin() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'phone-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Redeems a pairing code; the device's identity is stored durably before this resolves. */
export async function pair(code, name) {
  const origin = newOrigin();
  const r = await call('POST', '/api/v1/enrolments/redeem', { body: { code, name, origin } });
  const device = { node_id: r.node_id, token: r.token, venue: r.venue, origin, name, paired_at: Date.now() };
  await store.setMeta({ device, nextSeq: 1, held: 0, cursor: null });
  return device;
}

/** Where the cursor for the feed of endpoint `base` is kept ('' = the node that served us). */
const cursorKey = (base) => (base ? `cursor@${base}` : 'cursor');

/** The endpoints to try, preferred first: this app's own node, then the others it named. */
export async function endpoints() {
  const named = (await store.getMeta('endpoints')) ?? [];
  const others = named.filter((u) => u && u !== location.origin);
  return ['', ...new Set(others)];
}

/** Hands queued scans to the server until none is left; returns how many are still queued. */
export async function upload(device, base = '') {
  for (;;) {
    const held = (await store.getMeta('held')) ?? 0;
    const rows = await store.queued(held, UPLOAD_BATCH);
    if (rows.length === 0) return 0;
    const scans = rows.map(({ seq, at_ms, counter, serial, result, code }) => ({
      seq, at_ms, counter, serial, result, ...(code ? { code } : {}),
    }));
    const r = await call('POST', `${base}/api/v1/device/scans`, { token: device.token, body: { scans } });
    if (r.held === held) throw new Error(`the server took none of our scans (it holds up to ${r.held})`);
    // Below what it held before: the server lost data (restored from a backup); send again.
    await store.setMeta({ held: r.held });
  }
}

/**
 * Pulls the feed from the stored cursor until the server has nothing more.
 * `onPage(count)` reports progress (tickets received so far).
 */
export async function pull(device, onPage = () => {}, base = '') {
  let received = 0;
  let last;
  for (;;) {
    const cursor = await store.getMeta(cursorKey(base));
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page = await call('GET', `${base}/api/v1/device/feed${q}`, { token: device.token, timeout: FEED_TIMEOUT_MS });
    await store.applyFeed(page, cursorKey(base));
    if (!base && Array.isArray(page.endpoints)) await store.setMeta({ endpoints: page.endpoints });
    received += page.tickets.length;
    last = page;
    onPage(received);
    if (!page.more) break;
  }
  const held = (await store.getMeta('held')) ?? 0;
  const skewMs = Date.parse(last.server_time) - Date.now();
  await store.setMeta({ lastSync: Date.now(), held: Math.max(held, last.held), skewMs });
  return received;
}

/**
 * One round: our scans up first (so the server knows them), then what changed there. Tries
 * the endpoints in order; a network failure or timeout moves to the next, a refusal (4xx)
 * does not. Remembers which one answered (`via`, shown on the status bar).
 */
export async function syncOnce(device, onPage) {
  let failure;
  for (const base of await endpoints()) {
    try {
      await upload(device, base);
      await pull(device, onPage, base);
      await store.setMeta({ via: base || location.origin });
      return;
    } catch (e) {
      if (e instanceof RevokedError || (e instanceof ServerError && e.status < 500)) throw e;
      failure = e;
    }
  }
  throw failure;
}
