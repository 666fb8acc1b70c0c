// Talking to aspk: pairing (with the node that served this app), the cashier's sign-in and
// the one sync call (our ops up, what we need to sell alone back). The node that served the
// app is tried first, then the endpoints its last answer named; the first that answers wins.
// Every call has a timeout. Ops are sent as the exact JSON strings they were signed as.
import * as db from './db.js';

const TIMEOUT_MS = 4_000;
const SYNC_TIMEOUT_MS = 30_000;
/** Most ops in one sync call (the server's limit). */
export const MAX_OPS = 2_000;
/** A body this large is split, well below the server's limit. */
const MAX_BODY_CHARS = 2_000_000;

/** The server said no (4xx/5xx), with its problem+json detail. */
export class ServerError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = 'ServerError';
    this.status = status;
    this.code = problem?.code ?? null;
  }
}

/** This device has been revoked: its data must go. */
export class RevokedError extends Error {
  constructor(detail) {
    super(detail);
    this.name = 'RevokedError';
  }
}

/** No endpoint answered. */
export class OfflineError extends Error {
  constructor(cause) {
    super(cause?.message ?? 'no server answered');
    this.name = 'OfflineError';
    this.cause = cause;
  }
}

async function call(method, url, { token, body, timeout = TIMEOUT_MS } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  try {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: ctl.signal,
        cache: 'no-store',
      });
    } catch (e) {
      throw new OfflineError(e);
    }
    const json = await res.json().catch(() => null);
    if (res.status === 403 && token && /revoked/i.test(json?.detail ?? '')) {
      throw new RevokedError(json?.detail ?? 'revoked');
    }
    if (!res.ok) throw new ServerError(res.status, json);
    return json;
  } finally {
    clearTimeout(timer);
  }
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A random origin id for this device's ops: `box-` and 16 hex digits. */
export function newOrigin() {
  return 'box-' + hex(crypto.getRandomValues(new Uint8Array(8)));
}

/**
 * Redeems a pairing code with a new key pair made here (the private half never leaves the
 * browser). The device's identity, its keys and its counters are stored in one transaction
 * before this resolves.
 */
export async function pair(code, name) {
  const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicKey = hex(new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey)));
  const origin = newOrigin();
  const r = await call('POST', '/api/v1/enrolments/redeem', { body: { code, name, origin, public_key: publicKey } });
  if (r.role !== 'box_office') throw new ServerError(422, { detail: `the code is for a ${r.role}, not a box office` });
  const device = {
    node_id: r.node_id,
    token: r.token,
    venue: r.venue,
    origin,
    name,
    key_id: r.key_id,
    serials: r.serials,
    public_key: publicKey,
    paired_at: Date.now(),
  };
  await db.write(['meta'], ({ meta }) => {
    meta.put(device, 'device');
    meta.put({ privateKey: keys.privateKey, publicKey: keys.publicKey }, 'keys');
    meta.put(1, 'nextSeq');
    meta.put('0', 'lastHlc');
    meta.put(0, 'durableSeq');
  });
  return device;
}

/** The endpoints to try, preferred first: this app's own node, then the others it named. */
export async function endpoints() {
  const named = (await db.getMeta('endpoints')) ?? [];
  const others = named.filter((u) => u && u !== location.origin);
  return ['', ...new Set(others)];
}

/**
 * Tries `fn(base)` on each endpoint in turn: the first that answers wins. When none does,
 * throws the first refusal a server gave, else OfflineError.
 */
async function firstAnswer(fn) {
  let refusal = null;
  let failure = null;
  for (const base of await endpoints()) {
    try {
      return await fn(base);
    } catch (e) {
      // Down, or not this node's business (it does not know us yet, an old binary): next.
      const next = e instanceof OfflineError || (e instanceof ServerError && (e.status >= 500 || e.status === 401 || e.status === 404));
      if (!next) throw e;
      if (e instanceof ServerError) refusal ??= e;
      else failure ??= e;
    }
  }
  throw refusal ?? failure ?? new OfflineError(null);
}

/**
 * Signs a member of staff in (online only): resolves to {username, role, expires_at}. The
 * token itself is not kept: the device sells under its own key, naming the cashier.
 */
export async function signIn(username, password) {
  return firstAnswer(async (base) => {
    const r = await call('POST', `${base}/api/v1/auth/token`, { body: { username, password } });
    return { username, role: r.role, expires_at: r.expires_at, signed_in_at: Date.now() };
  });
}

/** Our ops not yet held by the server, as one request body (and how many it carries). */
async function pendingBody(durable, limit) {
  const rows = await db.opsAfter(durable, limit);
  const parts = [];
  let chars = 0;
  for (const row of rows) {
    if (parts.length > 0 && chars + row.json.length > MAX_BODY_CHARS) break;
    parts.push(row.json);
    chars += row.json.length + 1;
  }
  return { body: `{"ops":[${parts.join(',')}]}`, count: parts.length };
}

/** Keeps what an answer says (one transaction): the catalogue, slots, key, what is durable. */
async function keep(answer, base) {
  await db.write(['meta'], ({ meta }) => {
    const sync = {
      venue: answer.venue,
      currency: answer.currency,
      products: answer.products ?? [],
      slots: answer.slots ?? [],
      key: answer.key ?? null,
      lease_seats: answer.lease_seats,
      lease_days: answer.lease_days,
      grants_leases: answer.grants_leases,
      server_time: answer.server_time,
      // The slots' lease_left counts our ops up to this one.
      leaseSeq: answer.durable_seq,
    };
    meta.put(sync, 'sync');
    // Below what we had: that node holds less (another node, or restored from a backup);
    // the ops above are sent again (a retry is harmless).
    meta.put(answer.durable_seq, 'durableSeq');
    if (!base && Array.isArray(answer.endpoints)) meta.put(answer.endpoints, 'endpoints');
    meta.put(base || location.origin, 'via');
    meta.put(Date.now(), 'lastSync');
    const skew = Date.parse(answer.server_time) - Date.now();
    if (Number.isFinite(skew)) meta.put(skew, 'skewMs');
    // Ops the last answer refused as forged (sent again every round, so not summed).
    meta.put(answer.refused ?? 0, 'refused');
  });
}

async function syncWith(device, base) {
  let limit = MAX_OPS;
  for (;;) {
    const durable = (await db.getMeta('durableSeq')) ?? 0;
    const { body, count } = await pendingBody(durable, limit);
    let answer;
    try {
      answer = await call('POST', `${base}/api/v1/device/box-office/sync`, {
        token: device.token,
        body,
        timeout: count > 0 ? SYNC_TIMEOUT_MS : TIMEOUT_MS,
      });
    } catch (e) {
      // Too large for this node: send fewer at a time.
      if (e instanceof ServerError && e.status === 413 && count > 1) {
        limit = Math.max(1, Math.floor(count / 2));
        continue;
      }
      throw e;
    }
    await keep(answer, base);
    // More to send, and this round moved on: go on; else the next round retries.
    if (count === 0 || answer.durable_seq <= durable) return answer;
    if ((await db.countOpsAfter(answer.durable_seq)) === 0) return answer;
  }
}

/**
 * One round: our ops up, the answer kept. Resolves to the answer; throws OfflineError when
 * no endpoint answers, RevokedError when the device was revoked.
 */
export async function syncOnce() {
  const device = await db.getMeta('device');
  if (!device) throw new Error('not paired');
  return firstAnswer((base) => syncWith(device, base));
}
