// Selling with no server: the checks (shift, role, key, the device's lease of the slot), the
// ticket codes and the signed op, stored with the sale and the op counter in ONE strict
// IndexedDB transaction before anything is shown. Also refunds of the open shift's sales, the
// shift ops (open, close) and the figures the screen shows (seats left, expected cash, the
// closed shift's reconciliation). No DOM here.
import * as db from './db.js';
import { email as parseEmail, hlcNow, opJson, orderCancelled, orderPlaced, shiftClosed, shiftOpened, signOp } from './oplog.js';
import { issueCode } from './ticket-code.js';

/** Who may sell, and who may sell beyond the device's lease. */
const SELLERS = new Set(['cashier', 'manager', 'admin']);
const OVERRIDERS = new Set(['manager', 'admin']);

/** A sale or shift action refused before anything was written: `reason` names the message. */
export class Refused extends Error {
  constructor(reason, vars = {}) {
    super(reason);
    this.name = 'Refused';
    this.reason = reason;
    this.vars = vars;
  }
}

// What the device knows, in memory (the database stays the truth; a sale re-reads it).
const known = {
  device: null,
  user: null,
  shift: null,
  lastShift: null,
  sync: null,
  durableSeq: 0,
  nextSeq: 1,
  sales: [],
  numbers: new Set(),
  serials: new Set(),
};

export const device = () => known.device;
export const user = () => known.user;
export const shift = () => known.shift;
export const lastShift = () => known.lastShift;
export const synced = () => known.sync;
export const durableSeq = () => known.durableSeq;
/** Ops written here and not yet held by the server. */
export const queue = () => Math.max(0, known.nextSeq - 1 - known.durableSeq);

const META = ['device', 'user', 'shift', 'lastShift', 'sync', 'durableSeq', 'nextSeq'];

/** Reads what the screen needs from the database (after a start, a sync, a sign-in). */
export async function refresh() {
  const m = await db.metas(META);
  known.device = m.device ?? null;
  known.user = m.user ?? null;
  known.shift = m.shift ?? null;
  known.lastShift = m.lastShift ?? null;
  known.sync = m.sync ?? null;
  known.durableSeq = m.durableSeq ?? 0;
  known.nextSeq = m.nextSeq ?? 1;
}

/** Loads every sale (for the serials used, the lease and the history). */
export async function load() {
  await refresh();
  known.sales = (await db.allSales()).sort((a, b) => a.seq - b.seq);
  known.numbers = new Set(known.sales.map((s) => s.number));
  known.serials = new Set(known.sales.flatMap((s) => s.tickets.map((t) => t.serial)));
}

/** Forgets the in-memory copy (after a wipe). */
export function forget() {
  Object.assign(known, { device: null, user: null, shift: null, lastShift: null, sync: null, durableSeq: 0, nextSeq: 1 });
  known.sales = [];
  known.numbers = new Set();
  known.serials = new Set();
}

export const canSell = (u = known.user) => Boolean(u && SELLERS.has(u.role));
export const canOverride = (u = known.user) => Boolean(u && OVERRIDERS.has(u.role));

// --- figures ----------------------------------------------------------------------------------

/** The coming slots as the device sells them (ended ones left out), in time order. */
export function slots(now = Date.now()) {
  return (known.sync?.slots ?? []).filter((s) => Date.parse(s.ends_at) > now);
}

export const slotById = (id) => (known.sync?.slots ?? []).find((s) => s.id === id) ?? null;
export const products = () => known.sync?.products ?? [];

/**
 * Seats of `slot` the device may still sell: the server's lease left (counting our ops up
 * to the answer's durable_seq) less our tickets in it written since, plus the seats of our
 * refunds written since (a cancelled order's seats return, at the server too). Below 0 after
 * an override.
 */
export function leaseLeft(slot, sync = known.sync, sales = known.sales) {
  if (!slot || !sync) return 0;
  const counted = sync.leaseSeq ?? 0;
  let pending = 0;
  for (const sale of sales) {
    const seats = sale.tickets.filter((t) => t.slot === slot.id).length;
    if (sale.seq > counted) pending += seats;
    if (sale.refund && sale.refund.seq > counted) pending -= seats;
  }
  return (slot.lease_left ?? 0) - pending;
}

/** The sales of shift `id`, newest first. */
export const salesOf = (id) => known.sales.filter((s) => s.shift === id).reverse();

/** Whether the server holds the sale, and its refund when it has one. */
export const isUploaded = (sale) => Math.max(sale.seq, sale.refund?.seq ?? 0) <= known.durableSeq;

export const isRefunded = (sale) => Boolean(sale?.refund);

/**
 * The figures of shift `s` as the server's Z report counts them (aspk_app::shift::z_report):
 * its orders (refunded ones too), what they took in by method (refunds not subtracted), the
 * refunds paid back in it, and the cash expected in the drawer: the float, plus the cash
 * taken, less the cash paid back.
 */
export function shiftFigures(s = known.shift) {
  const f = { orders: 0, cash_minor: 0, card_minor: 0, sales_minor: 0, refunds: 0, refunds_minor: 0, cash_refunds_minor: 0, expected_minor: 0 };
  if (!s) return f;
  for (const sale of known.sales) {
    if (sale.shift === s.id) {
      f.orders += 1;
      for (const p of sale.payments ?? []) {
        if (p.amount_minor < 0) continue;
        f.sales_minor += p.amount_minor;
        if (p.method === 'cash') f.cash_minor += p.amount_minor;
        else if (p.method === 'card') f.card_minor += p.amount_minor;
      }
    }
    for (const p of sale.payments ?? []) {
      if (p.amount_minor >= 0 || (p.shift ?? sale.shift) !== s.id) continue;
      f.refunds_minor -= p.amount_minor;
      if (p.method === 'cash') f.cash_refunds_minor -= p.amount_minor;
    }
    if (sale.refund?.shift === s.id) f.refunds += 1;
  }
  f.expected_minor = s.float_minor + f.cash_minor - f.cash_refunds_minor;
  return f;
}

/** Cash expected in the drawer: the float, plus cash sales, less cash refunds. */
export const expectedCash = (s = known.shift) => (s ? shiftFigures(s).expected_minor : 0);

/**
 * Whether the server holds every op of the closed shift `closed` (the last one is its close):
 * what the device can know of the server's Z report, which is counted from those ops.
 */
export const shiftUploaded = (closed = known.lastShift) =>
  Boolean(closed && Number.isSafeInteger(closed.close_seq) && known.durableSeq >= closed.close_seq);

/**
 * An amount typed by a person in hryvnias ("500", "500,00", "1 250.5") as kopiyky, or null
 * when it is not one.
 */
export function parseAmount(text) {
  const s = String(text ?? '').replace(/[\s\u00a0\u202f']/g, '');
  const m = /^(\d{1,10})(?:[.,](\d{0,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

// --- writing ops ------------------------------------------------------------------------------

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A uniformly random integer in [0, n), n ≤ 2^53. */
function randomBelow(n) {
  const limit = Math.floor(2 ** 53 / n) * n;
  for (;;) {
    const [a, b] = crypto.getRandomValues(new Uint32Array(2));
    const x = (a & 0x1fffff) * 2 ** 32 + b;
    if (x < limit) return x % n;
  }
}

/** A random number in [from, to) that `taken` does not know. */
function freshNumber([from, to], taken) {
  for (let i = 0; i < 10_000; i++) {
    const n = from + randomBelow(to - from);
    if (!taken.has(n)) return n;
  }
  throw new Refused('serials_used');
}

/** The first of `len` consecutive serials in [from, to) from a random start, none used. */
function freshRun([from, to], len, taken) {
  const starts = to - from - len + 1;
  if (starts < 1) throw new Refused('serials_used');
  for (let i = 0; i < 10_000; i++) {
    const start = from + randomBelow(starts);
    let free = true;
    for (let s = start; s < start + len && free; s++) free = !taken.has(s);
    if (free) return start;
  }
  throw new Refused('serials_used');
}

const signerOf = (privateKey) => async (message) =>
  new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message));

/** One op written at a time (in this tab; across tabs by a Web Lock where there is one). */
let chain = Promise.resolve();
function oneAtATime(fn) {
  const run = () => (navigator.locks ? navigator.locks.request('aspk-box-ops', fn) : fn());
  const p = chain.then(run, run);
  chain = p.catch(() => {});
  return p;
}

/**
 * Signs the op with body `makeBody(ctx)` as the next in sequence and stores it, with
 * `extra(stores)` (the sale, the shift), in one strict transaction. Resolves once durable.
 */
async function writeOp(makeBody, extra = () => {}) {
  const m = await db.metas(['device', 'keys', 'nextSeq', 'lastHlc', 'user', 'sync', 'shift']);
  if (!m.device || !m.keys) throw new Refused('not_paired');
  const seq = m.nextSeq ?? 1;
  const now = Date.now();
  const hlc = hlcNow(BigInt(m.lastHlc ?? '0'), now);
  const keyId = m.sync?.key?.key_id ?? m.device.key_id;
  const signer = signerOf(m.keys.privateKey);
  const ctx = { m, seq, now, keyId, signer };
  const body = await makeBody(ctx);
  const op = await signOp({ origin: m.device.origin, seq, hlc, actor: `user:${m.user.username}`, body }, keyId, signer);
  const json = opJson(op);
  const value = await db.write(['meta', 'ops', 'sales'], async (stores, r) => {
    const current = (await r(stores.meta.get('nextSeq'))) ?? 1;
    if (current !== seq) throw new Error('another tab wrote an op meanwhile: try again');
    stores.ops.add({ seq, json, type: body.type, at_ms: now });
    stores.meta.put(seq + 1, 'nextSeq');
    stores.meta.put(hlc.toString(), 'lastHlc');
    return extra(stores, ctx, body);
  });
  known.nextSeq = seq + 1;
  return value;
}

function requireSeller() {
  if (!known.user) throw new Refused('no_user');
  if (!canSell()) throw new Refused('role', { role: known.user.role });
}

/** Opens a cash shift with `floatMinor` in the drawer. */
export function openShift(floatMinor) {
  return oneAtATime(async () => {
    await refresh();
    requireSeller();
    if (known.shift) throw new Refused('shift_open');
    if (!known.sync) throw new Refused('no_sync');
    if (!Number.isSafeInteger(floatMinor) || floatMinor < 0) throw new Refused('amount');
    const id = 'sh-' + hex(crypto.getRandomValues(new Uint8Array(8)));
    const shiftRow = {
      id,
      user: known.user.username,
      venue: known.sync.venue.id,
      float_minor: floatMinor,
      currency: known.sync.currency,
      opened_at: Date.now(),
    };
    await writeOp(
      () => shiftOpened({ shift_id: id, venue: shiftRow.venue, float_minor: floatMinor, currency: shiftRow.currency }),
      ({ meta }, { seq }) => {
        shiftRow.open_seq = seq;
        meta.put(shiftRow, 'shift');
      },
    );
    known.shift = shiftRow;
    return shiftRow;
  });
}

/** Closes the open shift with the cash counted; resolves to its summary. */
export function closeShift(countedMinor, note = '') {
  return oneAtATime(async () => {
    await refresh();
    if (!known.user) throw new Refused('no_user');
    const open = known.shift;
    if (!open) throw new Refused('no_shift');
    if (open.user !== known.user.username && !canOverride()) throw new Refused('shift_other', { user: open.user });
    if (!Number.isSafeInteger(countedMinor) || countedMinor < 0) throw new Refused('amount');
    const figures = shiftFigures(open);
    const closed = {
      ...open,
      closed_at: Date.now(),
      counted_minor: countedMinor,
      expected_minor: figures.expected_minor,
      note: note.trim(),
      sales: salesOf(open.id).length,
      figures,
    };
    await writeOp(
      () => shiftClosed({ shift_id: open.id, counted_minor: countedMinor, note: note.trim() }),
      ({ meta }, { seq }) => {
        closed.close_seq = seq;
        meta.delete('shift');
        meta.put(closed, 'lastShift');
      },
    );
    known.shift = null;
    known.lastShift = closed;
    return closed;
  });
}

/**
 * Sells `lines` ([{product: id, quantity}]) in slot `slotId`, paid by `method` (cash|card),
 * with the visitor's e-mail when given. `override`: a manager's decision to sell beyond the
 * device's lease. Resolves to the stored sale (durable); throws Refused with the reason.
 */
export function sell({ slotId, lines, method, email, override = false }) {
  return oneAtATime(async () => {
    await refresh();
    requireSeller();
    const shiftRow = known.shift;
    if (!shiftRow) throw new Refused('no_shift');
    if (shiftRow.user !== known.user.username) throw new Refused('shift_other', { user: shiftRow.user });
    const sync = known.sync;
    const key = sync?.key;
    if (!key) throw new Refused('no_key');
    const slot = slotById(slotId);
    if (!slot) throw new Refused('no_slot');
    if (Date.parse(slot.ends_at) <= Date.now()) throw new Refused('slot_over', { slot });
    if (key.valid_until && Date.parse(slot.ends_at) > Date.parse(key.valid_until)) throw new Refused('key_expired', { slot });
    if (method !== 'cash' && method !== 'card') throw new Refused('method');
    const chosen = [];
    for (const line of lines) {
      if (!line.quantity) continue;
      const product = products().find((p) => p.id === line.product);
      if (!product || !Number.isSafeInteger(line.quantity) || line.quantity < 0) throw new Refused('empty');
      for (let i = 0; i < line.quantity; i++) chosen.push(product);
    }
    if (chosen.length === 0) throw new Refused('empty');
    let mail = null;
    if (email && email.trim()) {
      try {
        mail = parseEmail(email);
      } catch {
        throw new Refused('email');
      }
    }
    const left = leaseLeft(slot);
    let overbooking = false;
    if (chosen.length > left) {
      if (!override) throw new Refused('lease', { slot, left: Math.max(0, left), wanted: chosen.length, canOverride: canOverride() });
      if (!canOverride()) throw new Refused('override_role', { slot, left: Math.max(0, left) });
      overbooking = true;
    }
    const number = freshNumber(key.serials, known.numbers);
    const first = freshRun(key.serials, chosen.length, known.serials);
    const total = chosen.reduce((sum, p) => sum + p.price_minor, 0);
    const fromMs = Date.parse(slot.starts_at);
    const untilMs = Date.parse(slot.ends_at);

    const sale = await writeOp(
      async ({ keyId, signer, now }) => {
        const tickets = await Promise.all(
          chosen.map(async (product, i) => {
            const serial = first + i;
            const code = await issueCode(
              {
                serial,
                venue: sync.venue.no,
                product: product.no,
                needs_document_check: Boolean(product.needs_document_check),
                validity: { kind: 'window', from_unix: Math.floor(fromMs / 1000), until_unix: Math.floor(untilMs / 1000) },
              },
              keyId,
              signer,
            );
            return { serial, product: product.id, slot: slot.id, valid_from: fromMs, valid_until: untilMs, valid_days: null, price_minor: product.price_minor, code };
          }),
        );
        return orderPlaced({
          number,
          venue: sync.venue.id,
          channel: 'box_office',
          email: mail,
          tickets,
          payments: [{ method, amount_minor: total, at: now }],
          total_minor: total,
          currency: sync.currency,
          is_overbooking: overbooking,
          shift: shiftRow.id,
        });
      },
      ({ sales }, { seq, now }, body) => {
        const row = {
          number,
          seq,
          at_ms: now,
          shift: shiftRow.id,
          user: known.user.username,
          slot: slot.id,
          slot_starts_at: slot.starts_at,
          slot_ends_at: slot.ends_at,
          method,
          payments: [{ method, amount_minor: total }],
          email: mail,
          total_minor: total,
          currency: sync.currency,
          is_overbooking: overbooking,
          tickets: body.tickets.map((t) => ({ serial: t.serial, product: t.product, slot: t.slot, price_minor: t.price_minor, code: t.code })),
        };
        sales.add(row);
        return row;
      },
    );
    known.sales.push(sale);
    known.numbers.add(sale.number);
    for (const t of sale.tickets) known.serials.add(t.serial);
    return sale;
  });
}

// --- refunds --------------------------------------------------------------------------------

/** The longest reason a refund takes (the server's MAX_REASON_LEN). */
export const MAX_REASON = 500;

/**
 * Why the signed-in user may not refund `sale` here now (a Refused), or null when they may.
 * The server's rules: a cashier cancels only their own sales (a manager or an admin any), and
 * the money goes back through the refunder's own open shift, so only the one who opened the
 * shift refunds here, and only sales of that shift (a closed shift's sale is refunded at the
 * staff pages, into a shift open there).
 */
export function refundRefusal(sale, u = known.user, open = known.shift) {
  if (!u) return new Refused('no_user');
  if (!canSell(u)) return new Refused('role', { role: u.role });
  if (!sale) return new Refused('refund_unknown');
  if (sale.refund) return new Refused('refund_done');
  if (!open) return new Refused('no_shift');
  if (sale.shift !== open.id) return new Refused('refund_closed');
  if (sale.user !== u.username && !canOverride(u)) return new Refused('refund_other', { user: sale.user });
  if (open.user !== u.username) return new Refused('refund_shift', { user: open.user });
  return null;
}

export const canRefund = (sale) => refundRefusal(sale) === null;

/**
 * Refunds sale `number` of the open shift whole: an `order_cancelled` op paying its total
 * back by the method it was paid with, in the open shift, stored with the sale marked
 * refunded and the op counter in ONE strict transaction. Resolves to the updated sale once
 * durable; throws Refused with the reason.
 */
export function refund(number, reason) {
  return oneAtATime(async () => {
    await refresh();
    const sale = known.sales.find((s) => s.number === number);
    const why = refundRefusal(sale);
    if (why) throw why;
    const text = String(reason ?? '').trim();
    // eslint-disable-next-line no-control-regex
    if (!text || [...text].length > MAX_REASON || /[\u0000-\u001f\u007f-\u009f]/.test(text)) throw new Refused('reason', { max: MAX_REASON });
    const open = known.shift;
    const username = known.user.username;
    const amount = sale.total_minor;
    const updated = await writeOp(
      ({ now }) =>
        orderCancelled({
          number,
          reason: text,
          refund: amount > 0 ? { method: sale.method, amount_minor: -amount, at: now, shift: open.id } : null,
          entries_seen: [],
        }),
      async ({ sales }, { seq, now }) => {
        // The stored sale, not the copy in memory: another tab may have refunded it.
        const row = await db.result(sales.get(number));
        if (!row) throw new Refused('refund_unknown');
        if (row.refund) throw new Refused('refund_done');
        const payments = [...(row.payments ?? [])];
        if (amount > 0) payments.push({ method: row.method, amount_minor: -amount, shift: open.id });
        const next = {
          ...row,
          payments,
          refund: { seq, at_ms: now, user: username, shift: open.id, method: row.method, amount_minor: amount, reason: text },
        };
        sales.put(next);
        return next;
      },
    );
    const i = known.sales.findIndex((s) => s.number === number);
    if (i >= 0) known.sales[i] = updated;
    return updated;
  });
}
