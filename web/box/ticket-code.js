// aspk ticket code issuer for the box-office device: a plain ES module, no build step.
//
// The inverse of the verifier in web/scan/verify.js. It mirrors Rust's `aspk_ticket::issue`
// (crates/aspk-ticket/src/code.rs), `layout::encode_payload` and `digits::encode`
// (src/layout.rs, src/digits.rs); the format is specified in docs/ticket-code.md.
// crates/aspk-oplog/tests/it/device_js.rs checks its codes byte for byte against Rust.
//
//   await issueCode(claims, keyId, signer) -> digit string (197 or 202 digits)
//   encodePayload(claims, keyId)           -> the unsigned payload bytes (17 or 19)
//   webCryptoSigner(cryptoKey)             -> a signer for a WebCrypto Ed25519 private key
//
// Claims use the field names of the verifier (and of the Rust structs):
//   {serial, venue, product, needs_document_check,
//    validity: {kind: "window", from_unix, until_unix} | {kind: "days", first_day, last_day}}
// A window is rounded outwards to whole minutes (from down, until up), as Rust does.
//
// A field the format cannot carry throws a RangeError whose `field` is the name Rust's
// `CodeError::OutOfRange` carries ("serial", "validity window start", "validity window
// length", "validity first day", "validity last day"; and "key id", "venue", "product", which
// Rust's types rule out). A value of the wrong type (not a safe integer) throws a TypeError.

import { bytesToDigits, FORMAT_VERSION, SERIAL_LIMIT, SIGNING_DOMAIN, WINDOW_EPOCH_UNIX } from '../scan/verify.js';

const HEADER_LEN = 13;
const SIGNATURE_LEN = 64;
const KIND_WINDOW = 0;
const KIND_DAYS = 1;
const FLAG_DOCUMENT_CHECK = 0x01;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

function outOfRange(field) {
  const e = new RangeError(`ticket field out of range: ${field}`);
  e.field = field;
  return e;
}

function int(value, name) {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer, got ${value}`);
  return value;
}

/** Writes `value` (a non-negative safe integer) big-endian into out[at .. at+len]. */
function putBE(out, at, value, len) {
  for (let i = len - 1; i >= 0; i--) {
    out[at + i] = value % 256;
    value = Math.floor(value / 256);
  }
}

/**
 * The unsigned payload for `claims` under `keyId` (Rust `layout::encode_payload`), checking
 * every range in the same order as Rust.
 * @returns {Uint8Array} 19 bytes for a window, 17 for a day range
 */
export function encodePayload(claims, keyId) {
  if (claims === null || typeof claims !== 'object') throw new TypeError('claims must be an object');
  const serial = int(claims.serial, 'serial');
  if (serial < 0 || serial >= SERIAL_LIMIT) throw outOfRange('serial');
  if (int(keyId, 'keyId') < 0 || keyId > U16_MAX) throw outOfRange('key id');
  const venue = int(claims.venue, 'venue');
  if (venue < 0 || venue > U16_MAX) throw outOfRange('venue');
  const product = int(claims.product, 'product');
  if (product < 0 || product > U16_MAX) throw outOfRange('product');
  if (typeof claims.needs_document_check !== 'boolean') {
    throw new TypeError('needs_document_check must be a boolean');
  }
  const flags = claims.needs_document_check ? FLAG_DOCUMENT_CHECK : 0;
  const validity = claims.validity;

  let body;
  let kind;
  if (validity?.kind === 'window') {
    const from = int(validity.from_unix, 'from_unix');
    const until = int(validity.until_unix, 'until_unix');
    // Floor the start and ceil the end to whole minutes (Rust div_euclid / rem_euclid).
    const fromMin = Math.floor(from / 60);
    const untilMin = Math.floor(until / 60) + (until - Math.floor(until / 60) * 60 !== 0 ? 1 : 0);
    const start = fromMin - WINDOW_EPOCH_UNIX / 60;
    if (start < 0 || start > U32_MAX) throw outOfRange('validity window start');
    const length = untilMin - fromMin;
    if (length < 1 || length > U16_MAX) throw outOfRange('validity window length');
    kind = KIND_WINDOW;
    body = new Uint8Array(6);
    putBE(body, 0, start, 4);
    putBE(body, 4, length, 2);
  } else if (validity?.kind === 'days') {
    const first = int(validity.first_day, 'first_day');
    const last = int(validity.last_day, 'last_day');
    if (first < 0 || first > U16_MAX) throw outOfRange('validity first day');
    const extra = last - first;
    if (extra < 0 || extra > U16_MAX) throw outOfRange('validity last day');
    kind = KIND_DAYS;
    body = new Uint8Array(4);
    putBE(body, 0, first, 2);
    putBE(body, 2, extra, 2);
  } else {
    throw new TypeError('validity must be {kind: "window", ...} or {kind: "days", ...}');
  }

  const out = new Uint8Array(HEADER_LEN + body.length);
  out[0] = FORMAT_VERSION;
  putBE(out, 1, keyId, 2);
  putBE(out, 3, serial, 5);
  putBE(out, 8, venue, 2);
  putBE(out, 10, product, 2);
  out[12] = (kind << 4) | flags;
  out.set(body, HEADER_LEN);
  return out;
}

/**
 * Signs `claims` and returns the ticket code (Rust `issue`).
 * @param {object} claims see the module header
 * @param {number} keyId the u16 id of the signing key in every verifier's key ring
 * @param {(message: Uint8Array) => Promise<Uint8Array|ArrayBuffer>} signer makes an Ed25519
 *   signature (64 bytes) of `message`, e.g. webCryptoSigner(key)
 * @returns {Promise<string>} decimal digits only
 */
export async function issueCode(claims, keyId, signer) {
  const payload = encodePayload(claims, keyId);
  const message = new Uint8Array(SIGNING_DOMAIN.length + payload.length);
  message.set(SIGNING_DOMAIN);
  message.set(payload, SIGNING_DOMAIN.length);
  const signature = await sign(signer, message);
  const bytes = new Uint8Array(payload.length + SIGNATURE_LEN);
  bytes.set(payload);
  bytes.set(signature, payload.length);
  return bytesToDigits(bytes);
}

/** Calls `signer` and checks that it answered with 64 bytes. Shared with web/box/oplog.js. */
export async function sign(signer, message) {
  if (typeof signer !== 'function') throw new TypeError('signer must be a function');
  const raw = await signer(message);
  const signature = raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw;
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LEN) {
    throw new TypeError('signer must return a 64-byte Ed25519 signature');
  }
  return signature;
}

/**
 * A signer for a WebCrypto Ed25519 private key, such as one made on the device with
 * `crypto.subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify'])` (non-extractable).
 * Ed25519 is deterministic, so the same message always gets the same signature.
 */
export function webCryptoSigner(privateKey) {
  return async (message) =>
    new Uint8Array(await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, privateKey, message));
}
