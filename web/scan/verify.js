// aspk ticket code verifier for the browser: a plain ES module, no build step.
//
// It reads and verifies ticket codes exactly like the Rust crate `crates/aspk-ticket`
// (the reference; the format is specified in docs/ticket-code.md) and must pass every case of
// crates/aspk-ticket/tests/vectors.json (web/tests/verify.test.mjs runs them in Chromium).
//
//   decodeCode(code)              -> {claims, keyId, payload, signature}   (Rust `peek`; never admit on it)
//   await verifyCode(code, ring)  -> {claims, keyId}                       (Rust `verify`)
//   timeVerdict(validity, nowUnix, localDay, earlyOpenSecs) -> "not_yet_valid" | "valid" | "expired"
//   verhoeffCheckDigit, verhoeffIsValid, parseHumanNumber, formatHumanNumber  (human numbers)
//
// Errors are `TicketCodeError`s: `.kind` is the vectors' `expect` value ("malformed",
// "unsupported_version", "unknown_key", "bad_signature") and `.detail` the Rust `CodeError` variant in
// snake case ("not_digits", "bad_length", "non_canonical", "out_of_range", or the kind itself), which
// is the vectors' `error` field for malformed codes.
//
// Claims use the field names of the vectors file (and of the Rust structs):
//   {serial, venue, product, needs_document_check,
//    validity: {kind: "window", from_unix, until_unix} | {kind: "days", first_day, last_day}}
//
// Signatures: WebCrypto Ed25519 when the browser has it, otherwise the vendored @noble/ed25519
// (web/scan/vendor/README.md), loaded on first use. Both paths run the same explicit checks first,
// so that they accept exactly what ed25519-dalek's `verify_strict` accepts: S < L, canonical
// encodings of R and A, neither R nor A of small order. The fallback evaluates the same
// cofactorless equation as dalek (and BoringSSL): encode([S]B - [k]A) == R bytes.
// WebCrypto needs a secure context (https:, or http://localhost / 127.0.0.1); the fallback also
// hashes with WebCrypto's SHA-512, so without `crypto.subtle` verification throws a plain Error.

// ---------------------------------------------------------------------------------------------
// Constants (docs/ticket-code.md §2-§4)

/** Format version written in byte 0. */
export const FORMAT_VERSION = 1;
/** Longest code in digits (a window ticket; a day-range ticket has 197). */
export const MAX_CODE_DIGITS = 202;
/** Unix time of 2020-01-01T00:00:00Z, the origin of window minutes. */
export const WINDOW_EPOCH_UNIX = 1577836800;
/** Serials are below 10^11 (11 decimal digits). */
export const SERIAL_LIMIT = 100000000000;
/** Prefix of the signed message: "aspk-ticket-v1" followed by a NUL byte. */
export const SIGNING_DOMAIN = Object.freeze(
  Array.from('aspk-ticket-v1\0', (c) => c.charCodeAt(0)),
);
/** Digits per chunk of k bytes, k = 0..7. */
export const CHUNK_DIGIT_WIDTHS = Object.freeze([0, 3, 5, 8, 10, 13, 15, 17]);

const CHUNK_BYTES = 7;
const CHUNK_DIGITS = 17;
const HEADER_LEN = 13;
const SIGNATURE_LEN = 64;
const KIND_WINDOW = 0;
const KIND_DAYS = 1;
const FLAG_DOCUMENT_CHECK = 0x01;
const WINDOW_BODY_LEN = 6;
const DAYS_BODY_LEN = 4;

// ---------------------------------------------------------------------------------------------
// Errors

/** Why a ticket code was refused. Mirrors the Rust `CodeError`. */
export class TicketCodeError extends Error {
  /**
   * @param {"malformed"|"unsupported_version"|"unknown_key"|"bad_signature"} kind
   * @param {string} detail the Rust CodeError variant in snake case
   * @param {string} message
   * @param {object} [extra] e.g. {field}, {version}, {keyId}
   */
  constructor(kind, detail, message, extra = {}) {
    super(message);
    this.name = 'TicketCodeError';
    this.kind = kind;
    this.detail = detail;
    Object.assign(this, extra);
  }
}

const malformed = (detail, message, extra) =>
  new TicketCodeError('malformed', detail, message, extra);

// ---------------------------------------------------------------------------------------------
// Digit encoding (§3)

/** Bytes -> canonical digit string (7-byte chunks, fixed width per chunk size). */
export function bytesToDigits(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    const chunk = bytes.subarray ? bytes.subarray(i, i + CHUNK_BYTES) : bytes.slice(i, i + CHUNK_BYTES);
    let value = 0n;
    for (const b of chunk) value = (value << 8n) | BigInt(b);
    out += value.toString().padStart(CHUNK_DIGIT_WIDTHS[chunk.length], '0');
  }
  return out;
}

/**
 * Digit string -> bytes, strictly (the Rust `digits::decode`). Errors: not_digits, bad_length,
 * non_canonical (as TicketCodeError, kind "malformed").
 */
export function digitsToBytes(digits) {
  if (!/^[0-9]*$/.test(digits)) throw malformed('not_digits', 'ticket code must contain only digits');
  const rest = digits.length % CHUNK_DIGITS;
  const partial = CHUNK_DIGIT_WIDTHS.indexOf(rest);
  if (partial < 0 || partial >= CHUNK_BYTES) {
    throw malformed('bad_length', 'ticket code has the wrong length');
  }
  const out = new Uint8Array(Math.floor(digits.length / CHUNK_DIGITS) * CHUNK_BYTES + partial);
  let at = 0;
  for (let i = 0; i < digits.length; i += CHUNK_DIGITS) {
    const chunk = digits.slice(i, i + CHUNK_DIGITS);
    const k = CHUNK_DIGIT_WIDTHS.indexOf(chunk.length);
    let value = BigInt(chunk); // a 17-digit chunk needs 57 bits: Number would round it
    if (value >> BigInt(8 * k) !== 0n) {
      throw malformed('non_canonical', 'ticket code is not canonically encoded');
    }
    for (let j = k - 1; j >= 0; j--) {
      out[at + j] = Number(value & 0xffn);
      value >>= 8n;
    }
    at += k;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing (§6 steps 1-6)

// Rust's char::is_ascii_whitespace: space, tab, LF, FF, CR (not VT).
const ASCII_WS = /^[ \t\n\f\r]+|[ \t\n\f\r]+$/g;

const be = (bytes, from, to) => {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 256 + bytes[i];
  return v;
};

/**
 * Parses a code without checking its signature (the Rust `peek`), for diagnostics only:
 * never admit anyone on the strength of decodeCode.
 * @param {string} code as scanned; surrounding ASCII whitespace is ignored
 * @returns {{claims: object, keyId: number, payload: Uint8Array, signature: Uint8Array}}
 */
export function decodeCode(code) {
  if (typeof code !== 'string') throw new TypeError('ticket code must be a string');
  const trimmed = code.replace(ASCII_WS, '');
  if (!/^[0-9]*$/.test(trimmed)) throw malformed('not_digits', 'ticket code must contain only digits');
  if (trimmed.length === 0 || trimmed.length > MAX_CODE_DIGITS) {
    throw malformed('bad_length', 'ticket code has the wrong length');
  }
  const bytes = digitsToBytes(trimmed);
  return decodeBytes(bytes);
}

function decodeBytes(bytes) {
  if (bytes.length === 0) throw malformed('bad_length', 'ticket code has the wrong length');
  const version = bytes[0];
  if (version !== FORMAT_VERSION) {
    throw new TicketCodeError(
      'unsupported_version',
      'unsupported_version',
      `unsupported ticket code version ${version}`,
      { version },
    );
  }
  if (bytes.length < HEADER_LEN) throw malformed('bad_length', 'ticket code has the wrong length');
  const kindFlags = bytes[12];
  const kind = kindFlags >> 4;
  let bodyLen;
  if (kind === KIND_WINDOW) bodyLen = WINDOW_BODY_LEN;
  else if (kind === KIND_DAYS) bodyLen = DAYS_BODY_LEN;
  else throw outOfRange('validity kind');
  const payloadLen = HEADER_LEN + bodyLen;
  if (bytes.length !== payloadLen + SIGNATURE_LEN) {
    throw malformed('bad_length', 'ticket code has the wrong length');
  }
  if ((kindFlags & 0x0f & ~FLAG_DOCUMENT_CHECK) !== 0) throw outOfRange('flags');
  const serial = be(bytes, 3, 8);
  if (serial >= SERIAL_LIMIT) throw outOfRange('serial');
  let validity;
  if (kind === KIND_WINDOW) {
    const start = be(bytes, 13, 17);
    const length = be(bytes, 17, 19);
    if (length === 0) throw outOfRange('validity window length');
    const fromUnix = WINDOW_EPOCH_UNIX + start * 60;
    validity = { kind: 'window', from_unix: fromUnix, until_unix: fromUnix + length * 60 };
  } else {
    const first = be(bytes, 13, 15);
    validity = { kind: 'days', first_day: first, last_day: first + be(bytes, 15, 17) };
  }
  return {
    claims: {
      serial,
      venue: be(bytes, 8, 10),
      product: be(bytes, 10, 12),
      needs_document_check: (kindFlags & FLAG_DOCUMENT_CHECK) !== 0,
      validity,
    },
    keyId: be(bytes, 1, 3),
    payload: bytes.slice(0, payloadLen),
    signature: bytes.slice(payloadLen),
  };
}

function outOfRange(field) {
  return malformed('out_of_range', `ticket field out of range: ${field}`, { field });
}

// ---------------------------------------------------------------------------------------------
// Verification (§6 steps 7-8)

/**
 * Checks a scanned code: format, then key id, then signature (strict Ed25519).
 * The caller still checks revocation, entry state, timeVerdict, venue and product (§6).
 * @param {string} code
 * @param {Map<number, Uint8Array>} keyring key id -> 32-byte Ed25519 public key
 * @param {{backend?: "auto"|"webcrypto"|"fallback"}} [options] "auto" (default) uses WebCrypto when
 *   the browser supports Ed25519, else the vendored library; the others force one path (tests).
 * @returns {Promise<{claims: object, keyId: number}>}
 */
export async function verifyCode(code, keyring, options = {}) {
  const backend = options.backend ?? 'auto';
  if (!['auto', 'webcrypto', 'fallback'].includes(backend)) {
    throw new TypeError(`unknown verification backend ${backend}`);
  }
  if (!(keyring instanceof Map)) throw new TypeError('keyring must be a Map of key id to public key');
  const decoded = decodeCode(code);
  const key = keyring.get(decoded.keyId);
  if (key === undefined) {
    throw new TicketCodeError('unknown_key', 'unknown_key', `unknown ticket signing key id ${decoded.keyId}`, {
      keyId: decoded.keyId,
    });
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new TypeError(`public key ${decoded.keyId} must be a 32-byte Uint8Array`);
  }
  const message = new Uint8Array(SIGNING_DOMAIN.length + decoded.payload.length);
  message.set(SIGNING_DOMAIN);
  message.set(decoded.payload, SIGNING_DOMAIN.length);
  const ok = await verifyEd25519Strict(key, message, decoded.signature, backend);
  if (!ok) throw new TicketCodeError('bad_signature', 'bad_signature', 'ticket signature is invalid');
  return { claims: decoded.claims, keyId: decoded.keyId };
}

// Ed25519 constants: field prime p, group order L.
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
// y-coordinates of the 8 points of small order (the 8-torsion subgroup): identity (1), order 2 (p-1),
// order 4 (0, two points), order 8 (Y8 and p-Y8, two points each). A point is of small order exactly
// when its y is one of these; the x sign bit does not matter. web/tests derive this set with noble.
const Y8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

function leToBigInt(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Canonical (y < p; x = 0 only without the sign bit) and not of small order. */
function isStrictPointEncoding(bytes32) {
  const y = leToBigInt(bytes32) & ((1n << 255n) - 1n);
  // y = ±1 are the only points with x = 0 (so the only ones where a set sign bit is
  // non-canonical); both are of small order and refused here anyway.
  return y < P && !SMALL_ORDER_Y.has(y);
}

/**
 * The checks of dalek's verify_strict that do not need the signature equation:
 * S < L, R and A canonically encoded and not of small order. Exported for the tests.
 */
export function strictPrecheck(publicKey, signature) {
  return (
    signature.length === SIGNATURE_LEN &&
    publicKey.length === 32 &&
    leToBigInt(signature.subarray(32, 64)) < L &&
    isStrictPointEncoding(signature.subarray(0, 32)) &&
    isStrictPointEncoding(publicKey)
  );
}

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new Error('WebCrypto (crypto.subtle) is unavailable: serve the verifier over https or from localhost');
  }
  return s;
}

// The Ed25519 base point, a valid public key for probing support.
const PROBE_KEY = new Uint8Array(32).fill(0x66);
PROBE_KEY[0] = 0x58;
let webCryptoSupport;

/** Whether this browser's WebCrypto implements Ed25519 (memoised). */
export function webCryptoEd25519Supported() {
  webCryptoSupport ??= (async () => {
    try {
      await subtle().importKey('raw', PROBE_KEY, { name: 'Ed25519' }, false, ['verify']);
      return true;
    } catch {
      return false;
    }
  })();
  return webCryptoSupport;
}

const importedKeys = new Map(); // hex of public key -> Promise<CryptoKey>

function importVerifyKey(publicKey) {
  const hex = Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
  let key = importedKeys.get(hex);
  if (!key) {
    if (importedKeys.size >= 256) importedKeys.clear();
    key = subtle().importKey('raw', publicKey.slice(), { name: 'Ed25519' }, false, ['verify']);
    importedKeys.set(hex, key);
    key.catch(() => importedKeys.delete(hex));
  }
  return key;
}

let noble;

/** Loads the vendored @noble/ed25519 (only when the fallback is used). */
function loadNoble() {
  noble ??= import('./vendor/noble-ed25519/index.js');
  return noble;
}

async function verifyEd25519Strict(publicKey, message, signature, backend) {
  if (!strictPrecheck(publicKey, signature)) return false;
  let useWebCrypto = backend === 'webcrypto';
  if (backend === 'auto') useWebCrypto = await webCryptoEd25519Supported();
  if (useWebCrypto) {
    let key;
    try {
      key = await importVerifyKey(publicKey);
    } catch (e) {
      if (backend === 'webcrypto' && e?.name === 'NotSupportedError') throw e;
      return false; // an encoding WebCrypto cannot import verifies nothing
    }
    return subtle().verify({ name: 'Ed25519' }, key, signature, message);
  }
  return fallbackVerify(publicKey, message, signature);
}

// dalek's verify_strict equation with noble's point arithmetic: R == encode([S]B - [k]A),
// k = SHA-512(R || A || message) mod L. Only public values are involved, so the variable-time
// (unsafe) multiplications are fine.
async function fallbackVerify(publicKey, message, signature) {
  const { Point } = await loadNoble();
  let A;
  try {
    A = Point.fromBytes(publicKey, false); // strict RFC 8032 decoding
  } catch {
    return false;
  }
  const r = signature.subarray(0, 32);
  const s = leToBigInt(signature.subarray(32, 64));
  const hashed = new Uint8Array(64 + message.length);
  hashed.set(r);
  hashed.set(publicKey, 32);
  hashed.set(message, 64);
  const k = leToBigInt(new Uint8Array(await subtle().digest('SHA-512', hashed))) % L;
  let expected;
  try {
    expected = Point.BASE.multiply(s, false).subtract(A.multiply(k, false)).toBytes();
  } catch {
    return false; // noble refuses S >= L (already excluded by the pre-checks)
  }
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= expected[i] ^ r[i];
  return diff === 0;
}

// ---------------------------------------------------------------------------------------------
// Time (§6, "after verify succeeds")

/**
 * Whether a ticket with `validity` lies inside the validity of the key that signed it (the
 * Rust `within_key`): its last day (a window's last second as a UTC day, or a day range's last
 * day) is not after the UTC day of `keyUntilUnix`. A key without an end (null) allows any.
 */
export function withinKey(validity, keyUntilUnix) {
  if (keyUntilUnix == null) return true;
  requireNumber(keyUntilUnix, 'keyUntilUnix');
  let lastDay;
  if (validity?.kind === 'window') lastDay = Math.floor((validity.until_unix - 1) / 86_400);
  else if (validity?.kind === 'days') lastDay = validity.last_day;
  else throw new TypeError('validity must be {kind: "window", ...} or {kind: "days", ...}');
  return lastDay <= Math.floor(keyUntilUnix / 86_400);
}

/**
 * Judges a validity against the present moment (the Rust `time_verdict`).
 * Window: "not_yet_valid" if nowUnix < from_unix - max(earlyOpenSecs, 0), "expired" if
 * nowUnix >= until_unix. Days: compares localDay (today in the venue's time zone, days since
 * 1970-01-01) with the inclusive range; nowUnix and earlyOpenSecs are not used.
 */
export function timeVerdict(validity, nowUnix, localDay, earlyOpenSecs = 0) {
  if (validity?.kind === 'window') {
    requireNumber(nowUnix, 'nowUnix');
    requireNumber(earlyOpenSecs, 'earlyOpenSecs');
    const opens = validity.from_unix - Math.max(earlyOpenSecs, 0);
    if (nowUnix < opens) return 'not_yet_valid';
    if (nowUnix >= validity.until_unix) return 'expired';
    return 'valid';
  }
  if (validity?.kind === 'days') {
    requireNumber(localDay, 'localDay');
    if (localDay < validity.first_day) return 'not_yet_valid';
    if (localDay > validity.last_day) return 'expired';
    return 'valid';
  }
  throw new TypeError('validity must be {kind: "window", ...} or {kind: "days", ...}');
}

/**
 * When a ticket that is not valid yet opens, in the venue's time zone: "05.12.2026 10:00" for a
 * window (its start less the early entry), "05.12.2026" for a range of days.
 */
export function validFromText(validity, timeZone, earlyOpenSecs = 0) {
  if (validity?.kind === 'window') {
    const opensMs = (validity.from_unix - Math.max(earlyOpenSecs, 0)) * 1000;
    return `${dateText(opensMs, timeZone)} ${clockText(opensMs, timeZone)}`;
  }
  if (validity?.kind === 'days') return dateText(validity.first_day * 86_400_000, 'UTC');
  throw new TypeError('validity must be {kind: "window", ...} or {kind: "days", ...}');
}

function zoneParts(ms, timeZone, options) {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', ...options });
  return Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

const dateText = (ms, timeZone) => {
  const p = zoneParts(ms, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return `${p.day}.${p.month}.${p.year}`;
};

const clockText = (ms, timeZone) => {
  const p = zoneParts(ms, timeZone, { hour: '2-digit', minute: '2-digit' });
  return `${p.hour}:${p.minute}`;
};

function requireNumber(value, name) {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number`);
}

// ---------------------------------------------------------------------------------------------
// Human ticket and order numbers (§8): 11-digit serial + Verhoeff check digit

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

// Folds the digits from the right, the rightmost taking position `offset`; null on a non-digit.
function verhoeffChecksum(digits, offset) {
  if (typeof digits !== 'string' || !/^[0-9]*$/.test(digits)) return null;
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = VERHOEFF_D[c][VERHOEFF_P[(i + offset) % 8][d]];
  }
  return c;
}

/** The Verhoeff check digit (0-9) to append to `digits`; null if empty or not all ASCII digits. */
export function verhoeffCheckDigit(digits) {
  if (typeof digits !== 'string' || digits.length === 0) return null;
  const c = verhoeffChecksum(digits, 1);
  return c === null ? null : VERHOEFF_INV[c];
}

/** True if `digits` (at least two ASCII digits, nothing else) ends with its correct check digit. */
export function verhoeffIsValid(digits) {
  return typeof digits === 'string' && digits.length >= 2 && verhoeffChecksum(digits, 0) === 0;
}

/** Why a typed ticket or order number was refused (the Rust `NumberError`). */
export class HumanNumberError extends Error {
  /** @param {"invalid_character"|"wrong_length"|"bad_check_digit"} kind */
  constructor(kind, message, extra = {}) {
    super(message);
    this.name = 'HumanNumberError';
    this.kind = kind;
    Object.assign(this, extra);
  }
}

export const HUMAN_NUMBER_LEN = 12;
const NUMBER_SEPARATORS = new Set([' ', '-', '.', '\u00a0']);
// Unicode White_Space, which Rust's str::trim removes (JavaScript's trim differs: it removes
// U+FEFF and keeps U+0085).
const UNICODE_WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const RUST_TRIM = new RegExp(`^[${UNICODE_WS}]+|[${UNICODE_WS}]+$`, 'g');

/**
 * Whether `text` was typed as a ticket number rather than scanned as a QR code, like the Rust
 * `HumanNumber::is_typed`: once trimmed (as Rust trims), 1 to 12 digits and nothing else but the
 * separators space, "-", "." and no-break space. The one rule, pinned for both by
 * crates/aspk-ticket/vectors/typed-numbers.json. A typed number may still be wrong:
 * parseHumanNumber says.
 */
export function isTypedNumber(text) {
  if (typeof text !== 'string') return false;
  let digits = 0;
  for (const c of text.replace(RUST_TRIM, '')) {
    if (c >= '0' && c <= '9') digits += 1;
    else if (!NUMBER_SEPARATORS.has(c)) return false;
  }
  return digits >= 1 && digits <= HUMAN_NUMBER_LEN;
}

/**
 * Parses a typed ticket or order number like the Rust `HumanNumber::parse`: surrounding
 * whitespace and the separators space, "-", "." and no-break space anywhere are ignored.
 * Throws HumanNumberError: invalid_character (.character), wrong_length (.count), bad_check_digit.
 * @returns {{serial: number, digits: string}} digits: the 12 digits without separators
 */
export function parseHumanNumber(text) {
  if (typeof text !== 'string') throw new TypeError('number must be a string');
  let digits = '';
  for (const c of text.replace(RUST_TRIM, '')) {
    if (c >= '0' && c <= '9') digits += c;
    else if (!NUMBER_SEPARATORS.has(c)) {
      throw new HumanNumberError('invalid_character', `unexpected character ${JSON.stringify(c)} in number`, {
        character: c,
      });
    }
  }
  if (digits.length !== HUMAN_NUMBER_LEN) {
    throw new HumanNumberError('wrong_length', `number must have 12 digits, found ${digits.length}`, {
      count: digits.length,
    });
  }
  const serialDigits = digits.slice(0, HUMAN_NUMBER_LEN - 1);
  if (Number(digits[HUMAN_NUMBER_LEN - 1]) !== verhoeffCheckDigit(serialDigits)) {
    throw new HumanNumberError('bad_check_digit', 'check digit does not match (typo?)');
  }
  return { serial: Number(serialDigits), digits };
}

/** The number printed for a serial, in groups of four: "4821 0937 5526". */
export function formatHumanNumber(serial) {
  if (!Number.isSafeInteger(serial) || serial < 0 || serial >= SERIAL_LIMIT) {
    throw new RangeError(`serial ${serial} is not an integer in [0, 10^11)`);
  }
  const s = String(serial).padStart(11, '0');
  const d = s + verhoeffCheckDigit(s);
  return `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8)}`;
}
