// aspk op log writer for the box-office device: a plain ES module, no build step.
//
// Builds and signs the ops the device writes while no server is reachable, byte for byte as
// the Rust replicas serialise, hash and verify them:
//   - crates/aspk-oplog/src/op.rs: `Op`, the private `Content` (what is hashed: origin, seq,
//     hlc, actor, body, in that order) and the `OpBody` variants the device writes
//     (`#[serde(tag = "type", rename_all = "snake_case")]`: the tag comes first);
//   - crates/aspk-oplog/src/sig.rs: the signature, Ed25519 over "aspk/op/v1\0" ++
//     blake3(content JSON), written as "<key id>.<128 lower-case hex digits>";
//   - crates/aspk-oplog/src/hlc.rs: the hybrid logical clock, (unix millis << 16) | counter;
//   - crates/aspk-domain/src/order.rs: `Payment`, `Channel`, `PaymentMethod`.
// JSON is written as serde_json writes it (no spaces, keys in struct order, strings escaped
// like serde_json; see jsonString), DateTime<Utc> as chrono does (see timestamp).
// crates/aspk-oplog/tests/it/device_js.rs checks all of it against Rust, through
// web/tools/box-vectors.mjs.
//
// Values: u64 fields (seq, order numbers, serials) take a safe integer Number or a BigInt;
// an `hlc` exceeds 2^53 and must be a BigInt. Timestamps take a Date, a Number (unix
// milliseconds) or a BigInt (unix nanoseconds). A field whose value Rust would refuse throws.

import { blake3 } from './vendor/noble-hashes/blake3.js';
import { sign } from './ticket-code.js';

const SIG_DOMAIN = new TextEncoder().encode('aspk/op/v1\0');
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

// ---------------------------------------------------------------------------------------------
// JSON as serde_json writes it

// serde_json's ESCAPE table: '"', '\\', the short forms \b \t \n \f \r, other control
// characters (U+0000..U+001F) as \u00xx in lower-case hex. Nothing else is escaped: not '/',
// not U+007F, not non-ASCII (written raw, as UTF-8).
const SHORT_ESCAPES = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/g;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** A JSON string literal as serde_json writes a Rust string. */
export function jsonString(s) {
  if (typeof s !== 'string') throw new TypeError(`expected a string, got ${typeof s}`);
  // A Rust String is valid UTF-8: it cannot hold a lone surrogate.
  if (LONE_SURROGATE.test(s)) throw new TypeError('string holds a lone surrogate (not valid UTF-8)');
  return `"${s.replace(NEEDS_ESCAPE, (c) => SHORT_ESCAPES[c] ?? `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/**
 * Compact JSON of a value made by the builders below: objects' keys in insertion order,
 * integers (Number or BigInt) as plain digits. Floats and undefined are refused: no field the
 * device writes has them, and serde would write neither the same way.
 */
export function toJson(value) {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
      if (![Object.prototype, null].includes(Object.getPrototypeOf(value))) {
        throw new TypeError(`cannot write a ${value.constructor?.name} as JSON (format it first)`);
      }
      return `{${Object.entries(value)
        .map(([k, v]) => `${jsonString(k)}:${toJson(v)}`)
        .join(',')}}`;
    default:
      throw new TypeError(`cannot write ${typeof value} as JSON`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scalars, checked as Rust would parse them

function integer(value, name, min, max) {
  let big;
  if (typeof value === 'bigint') big = value;
  else if (Number.isSafeInteger(value)) big = BigInt(value);
  else throw new TypeError(`${name} must be an integer (a safe Number or a BigInt), got ${value}`);
  if (big < min || big > max) throw new RangeError(`${name} out of range: ${value}`);
  return value;
}
const u64 = (v, name) => integer(v, name, 0n, U64_MAX);
const u32 = (v, name) => integer(v, name, 0n, 0xffffffffn);
const i64 = (v, name) => integer(v, name, I64_MIN, I64_MAX);

function string(value, name) {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

/** A slug (venue, product): 1 to 40 of a-z, 0-9, '-', '_' (Rust `Slug::parse`). */
function slug(value, name) {
  if (typeof value !== 'string' || !/^[a-z0-9_-]{1,40}$/.test(value)) {
    throw new TypeError(`${name} must be a slug (1 to 40 of a-z, 0-9, '-', '_'), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** An ISO 4217 code: three upper-case ASCII letters (Rust `Currency::parse`). */
function currency(value) {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) {
    throw new TypeError(`currency must be three upper-case letters, got ${JSON.stringify(value)}`);
  }
  return value;
}

function oneOf(value, name, allowed) {
  if (!allowed.includes(value)) throw new TypeError(`${name} must be one of ${allowed.join(', ')}, got ${value}`);
  return value;
}

// Unicode White_Space, which Rust's char::is_whitespace and str::trim use.
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const WS_OR_CONTROL = new RegExp(`[${WS}\\u0000-\\u001f\\u007f-\\u009f]`);

/** An e-mail address, checked and trimmed like Rust's `Email::parse`. */
export function email(value) {
  const raw = string(value, 'email').replace(TRIM, '');
  const bad = () => new TypeError(`email is not an e-mail address: ${JSON.stringify(value)}`);
  if (new TextEncoder().encode(raw).length > 254) throw new RangeError('email is longer than 254 characters');
  const at = raw.indexOf('@');
  if (at < 0) throw bad();
  const local = raw.slice(0, at);
  const domain = raw.slice(at + 1);
  const domainOk = domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.') && !domain.includes('..');
  if (local === '' || !domainOk || WS_OR_CONTROL.test(raw)) throw bad();
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Time

const pad = (n, width) => String(n).padStart(width, '0');

/**
 * A `DateTime<Utc>` as chrono serialises it (RFC 3339 with `SecondsFormat::AutoSi` and "Z"):
 * "2026-12-04T10:00:00Z" without a fraction when the sub-second part is zero, otherwise
 * ".mmm", ".uuuuuu" or ".nnnnnnnnn", the shortest that is exact. Years outside 0..=9999 get
 * an explicit sign ("+10000", "-0001"), as chrono writes them.
 * @param {Date|number|bigint} t a Date, unix milliseconds (Number) or unix nanoseconds (BigInt)
 */
export function timestamp(t) {
  let nanos;
  if (t instanceof Date) nanos = BigInt(t.getTime()) * 1_000_000n;
  else if (Number.isSafeInteger(t)) nanos = BigInt(t) * 1_000_000n;
  else if (typeof t === 'bigint') nanos = t;
  else throw new TypeError(`a timestamp must be a Date, unix millis or BigInt unix nanos, got ${t}`);
  const seconds = nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n);
  const sub = Number(nanos - seconds * 1_000_000_000n); // 0 ..= 999_999_999
  const d = new Date(Number(seconds) * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`timestamp out of range: ${t}`);
  const y = d.getUTCFullYear();
  if (y < -262143 || y > 262142) throw new RangeError(`timestamp out of chrono's range: ${t}`);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? '-' : '+') + pad(Math.abs(y), 4);
  let fraction = '';
  if (sub % 1_000_000 === 0 && sub !== 0) fraction = '.' + pad(sub / 1_000_000, 3);
  else if (sub % 1_000 === 0 && sub !== 0) fraction = '.' + pad(sub / 1_000, 6);
  else if (sub !== 0) fraction = '.' + pad(sub, 9);
  return (
    `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${fraction}Z`
  );
}

/**
 * A `NaiveDate` as chrono serialises it ("2026-12-04"), from that string or from a day
 * number (days since 1970-01-01, as ticket codes count them).
 */
export function naiveDate(value) {
  if (Number.isSafeInteger(value)) return timestamp(value * 86_400_000).split('T')[0];
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value) return value;
  }
  throw new TypeError(`a date must be "YYYY-MM-DD" or a day number, got ${JSON.stringify(value)}`);
}

/**
 * The next HLC reading (Rust `HlcClock::now`): the wall clock as (unix millis << 16), or one
 * more than `lastHlc` when that is not below it, so readings strictly increase even if the
 * device's clock steps back. Keep the result and pass it in next time (persist it too).
 * @param {bigint} [lastHlc] the last reading handed out or seen (none: 0)
 * @param {number} [nowMillis] the wall clock (tests pass their own)
 * @returns {bigint}
 */
export function hlcNow(lastHlc = 0n, nowMillis = Date.now()) {
  if (typeof lastHlc !== 'bigint') throw new TypeError('lastHlc must be a BigInt');
  const wall = BigInt(Math.max(0, Math.floor(nowMillis))) << 16n;
  return wall > lastHlc ? wall : lastHlc + 1n;
}

// ---------------------------------------------------------------------------------------------
// Ops: content, hash, signature

/** The JSON of an op's content, what is hashed: Rust `serde_json::to_vec(&Content{..})`. */
export function contentJson(op) {
  if (typeof op.hlc !== 'bigint') throw new TypeError('hlc must be a BigInt (it exceeds 2^53)');
  const content = {
    origin: string(op.origin, 'origin'),
    seq: u64(op.seq, 'seq'),
    hlc: u64(op.hlc, 'hlc'),
    actor: string(op.actor, 'actor'),
    body: op.body,
  };
  if (typeof op.body?.type !== 'string') throw new TypeError('body must be an op body (with a type)');
  return toJson(content);
}

/** The content hash (Rust `Op::hash`): BLAKE3 of the content JSON's UTF-8 bytes. */
export function opHash(op) {
  return blake3(new TextEncoder().encode(contentJson(op)));
}

/** What the origin signs (Rust `Op::signing_message`): "aspk/op/v1\0" ++ opHash(op). */
export function signingMessage(op) {
  const message = new Uint8Array(SIG_DOMAIN.length + 32);
  message.set(SIG_DOMAIN);
  message.set(opHash(op), SIG_DOMAIN.length);
  return message;
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Signs `op` ({origin, seq, hlc, actor, body}) with key `keyId` (u16). Returns a new op, in
 * the field order of Rust's `Op`, with `sig` = "<keyId>.<hex>". Send it with opJson.
 * @param {(message: Uint8Array) => Promise<Uint8Array|ArrayBuffer>} signer Ed25519, e.g.
 *   webCryptoSigner(key) from ./ticket-code.js
 */
export async function signOp(op, keyId, signer) {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xffff) throw new RangeError(`key id must be a u16, got ${keyId}`);
  const signature = await sign(signer, signingMessage(op));
  const { origin, seq, hlc, actor, body } = op;
  return { origin, seq, hlc, actor, body, sig: `${keyId}.${toHex(signature)}` };
}

/** The op as Rust serialises `Op` (the upload format): the content, then `sig` if signed. */
export function opJson(op) {
  const content = contentJson(op);
  if (op.sig === undefined || op.sig === null) return content;
  return `${content.slice(0, -1)},"sig":${jsonString(op.sig)}}`;
}

// ---------------------------------------------------------------------------------------------
// Bodies the device writes. Each returns an object whose keys are in serde's order: "type"
// first, then the Rust struct's fields; `skip_serializing_if` fields only when present; an
// `Option` without it as null.

const PAYMENT_METHODS = ['cash', 'card', 'other'];
const CHANNELS = ['box_office', 'online', 'paper'];
const present = (v) => v !== undefined && v !== null;

/** A `Payment` (aspk-domain order.rs): {method, amount_minor, at, shift?, reference?}. */
export function payment({ method, amount_minor, at, shift, reference }) {
  const p = { method: oneOf(method, 'method', PAYMENT_METHODS), amount_minor: i64(amount_minor, 'amount_minor'), at: timestamp(at) };
  if (present(shift)) p.shift = string(shift, 'shift');
  if (present(reference)) p.reference = string(reference, 'reference');
  return p;
}

/**
 * A `TicketIssued` (op.rs). `valid_days`: [first, last] as "YYYY-MM-DD" or day numbers, or
 * absent (null in the JSON); `slot`: absent for an open-date product (null).
 */
export function ticketIssued({ serial, product, slot, valid_from, valid_until, valid_days, price_minor, code }) {
  if (present(valid_days) && !(Array.isArray(valid_days) && valid_days.length === 2)) {
    throw new TypeError('valid_days must be [first, last]');
  }
  return {
    serial: u64(serial, 'serial'),
    product: slug(product, 'product'),
    slot: present(slot) ? string(slot, 'slot') : null,
    valid_from: timestamp(valid_from),
    valid_until: timestamp(valid_until),
    valid_days: present(valid_days) ? valid_days.map(naiveDate) : null,
    price_minor: i64(price_minor, 'price_minor'),
    code: string(code, 'code'),
  };
}

/**
 * `order_placed`: a sale. `tickets` and `payments` take the arguments of ticketIssued and
 * payment. `email` absent is written null; `shift`, `name`, `idempotency_key` are left out when
 * absent. The device never writes `paper` or `drill`.
 */
export function orderPlaced({
  number, venue, channel = 'box_office', email: mail, tickets, payments, total_minor, currency: cur,
  is_overbooking = false, shift, name, idempotency_key,
}) {
  if (!Array.isArray(tickets) || !Array.isArray(payments)) throw new TypeError('tickets and payments must be arrays');
  if (typeof is_overbooking !== 'boolean') throw new TypeError('is_overbooking must be a boolean');
  const body = {
    type: 'order_placed',
    number: u64(number, 'number'),
    venue: slug(venue, 'venue'),
    channel: oneOf(channel, 'channel', CHANNELS),
    email: present(mail) ? email(mail) : null,
    tickets: tickets.map(ticketIssued),
    payments: payments.map(payment),
    total_minor: i64(total_minor, 'total_minor'),
    currency: currency(cur),
    is_overbooking,
  };
  if (present(shift)) body.shift = string(shift, 'shift');
  if (present(name)) body.name = string(name, 'name');
  if (present(idempotency_key)) body.idempotency_key = string(idempotency_key, 'idempotency_key');
  return body;
}

/** `shift_opened`: a cashier opened a cash shift with a float. */
export function shiftOpened({ shift_id, venue, float_minor, currency: cur }) {
  return {
    type: 'shift_opened',
    shift_id: string(shift_id, 'shift_id'),
    venue: slug(venue, 'venue'),
    float_minor: i64(float_minor, 'float_minor'),
    currency: currency(cur),
  };
}

/** `shift_closed`: the cash counted at the end. `note` is always written ("" when none). */
export function shiftClosed({ shift_id, counted_minor, note = '' }) {
  return {
    type: 'shift_closed',
    shift_id: string(shift_id, 'shift_id'),
    counted_minor: i64(counted_minor, 'counted_minor'),
    note: string(note, 'note'),
  };
}

/**
 * `order_cancelled`: a refund on the device. `refund` (a payment, normally negative and naming
 * the refunder's `shift`) is null when absent; `more_refunds` is left out when empty;
 * `entries_seen` ([[serial, entries], ...]) is always written, [] by default.
 */
export function orderCancelled({ number, reason, refund, more_refunds = [], entries_seen = [] }) {
  if (!Array.isArray(more_refunds) || !Array.isArray(entries_seen)) {
    throw new TypeError('more_refunds and entries_seen must be arrays');
  }
  const body = {
    type: 'order_cancelled',
    number: u64(number, 'number'),
    reason: string(reason, 'reason'),
    refund: present(refund) ? payment(refund) : null,
  };
  if (more_refunds.length > 0) body.more_refunds = more_refunds.map(payment);
  body.entries_seen = entries_seen.map((e) => {
    if (!Array.isArray(e) || e.length !== 2) throw new TypeError('entries_seen holds [serial, entries] pairs');
    return [u64(e[0], 'serial'), u32(e[1], 'entries')];
  });
  return body;
}

/** `lease_returned`: unused leased seats of a slot handed back by `holder` (its origin). */
export function leaseReturned({ holder, slot, seats }) {
  return {
    type: 'lease_returned',
    holder: string(holder, 'holder'),
    slot: string(slot, 'slot'),
    seats: u32(seats, 'seats'),
  };
}

/** `order_contact`: the visitor's details, apart from the sale; absent ones are left out. */
export function orderContact({ number, email: mail, name, phone }) {
  const body = { type: 'order_contact', number: u64(number, 'number') };
  if (present(mail)) body.email = email(mail);
  if (present(name)) body.name = string(name, 'name');
  if (present(phone)) body.phone = string(phone, 'phone');
  return body;
}
