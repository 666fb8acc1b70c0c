// Signatures that only the holder of a secret key can make and that exercise the strict
// Ed25519 rules beyond vectors.json: small-order R, R with a torsion component, a non-canonical R,
// a small-order public key. ed25519-dalek's verify_strict (the Rust reference) rejects them all;
// plain WebCrypto or noble's default (ZIP-215) verification accepts some of them. They are made
// here, in Node, with the vectors' published TEST seeds and the vendored noble point arithmetic,
// plus a re-signed control that must verify (it shows the signing arithmetic is right).
import { createHash } from 'node:crypto';

import { Point } from '../scan/vendor/noble-ed25519/index.js';
import { bytesToDigits, SIGNING_DOMAIN } from '../scan/verify.js';
import { bytesToHex, hexToBytes } from './harness.mjs';

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

const sha512 = (...parts) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const le = (bytes) => bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
const le32 = (n) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** An Ed25519 point of order exactly 8, found as [L]·Q for a hash-derived point Q. */
export function orderEightPoint() {
  for (let i = 0; ; i++) {
    const y = le(sha512(Uint8Array.of(i)).subarray(0, 32)) & ((1n << 255n) - 1n);
    if (y >= P) continue;
    let q;
    try {
      q = Point.fromBytes(le32(y), false);
    } catch {
      continue; // not on the curve
    }
    // [L]Q kills the prime-order part and leaves the torsion part of Q.
    const t = q.multiply(L - 1n, false).add(q);
    if (!t.multiply(4n, false).is0()) return t;
  }
}

/** All 8 small-order points (the 8-torsion subgroup). */
export function smallOrderPoints() {
  const t = orderEightPoint();
  const points = [Point.ZERO];
  for (let i = 1; i < 8; i++) points.push(points[i - 1].add(t));
  return points;
}

/**
 * Builds the extra cases. Each: {name, note, code, expect, key_id, extra_keys?}; `extra_keys` are
 * added to the key ring for that case only.
 */
export function adversarialCases(vectors) {
  const key = vectors.keys.find((k) => k.key_id === 1);
  const seed = hexToBytes(key.secret_seed_hex);
  const A = hexToBytes(key.public_key_hex);
  const h = sha512(seed);
  const head = h.slice(0, 32);
  head[0] &= 248;
  head[31] &= 127;
  head[31] |= 64;
  const a = le(head) % L;
  const prefix = h.slice(32);
  const base = vectors.cases.find((c) => c.name === 'valid_window');
  const payload = hexToBytes(base.bytes_hex).slice(0, 19);
  const message = concat(Uint8Array.from(SIGNING_DOMAIN), payload);
  const challenge = (R, pk, m = message) => le(sha512(R, pk, m)) % L;
  const code = (p, R, S) => bytesToDigits(concat(p, R, le32(S)));

  const cases = [];
  // Control: an ordinary RFC 8032 signature, recomputed here.
  {
    const r = le(sha512(prefix, message)) % L;
    const R = Point.BASE.multiply(r).toBytes();
    const S = (r + challenge(R, A) * a) % L;
    cases.push({
      name: 'control_resigned',
      note: 'valid_window re-signed here with key 1 (RFC 8032): the crafting arithmetic is right',
      code: code(payload, R, S),
      expect: 'valid',
      key_id: 1,
      control_bytes_hex: base.bytes_hex,
    });
  }
  // R = identity (small order), S = k·a: [S]B = R + [k]A holds, with and without the cofactor.
  {
    const R = Point.ZERO.toBytes();
    cases.push({
      name: 'small_order_r',
      note: 'R is the identity point (small order), S = k·a: the equation holds; verify_strict refuses small-order R',
      code: code(payload, R, (challenge(R, A) * a) % L),
      expect: 'bad_signature',
      key_id: 1,
    });
  }
  // R = [r]B + T with T of order 8: only the cofactored equation ([8]...) holds.
  {
    const r = le(sha512(prefix, message, Uint8Array.of(1))) % L;
    const R = Point.BASE.multiply(r).add(orderEightPoint()).toBytes();
    cases.push({
      name: 'mixed_order_r',
      note: 'R = [r]B + T, T of order 8, S = r + k·a: holds only cofactored ([8]R = [8]([S]B - [k]A)); dalek checks cofactorless',
      code: code(payload, R, (r + challenge(R, A) * a) % L),
      expect: 'bad_signature',
      key_id: 1,
    });
  }
  // R = identity encoded non-canonically as y = p + 1 (accepted by ZIP-215 decoding).
  {
    const R = le32(P + 1n);
    cases.push({
      name: 'non_canonical_r',
      note: 'R = identity encoded as y = p + 1 (non-canonical), S = k·a: valid under ZIP-215 decoding only',
      code: code(payload, R, (challenge(R, A) * a) % L),
      expect: 'bad_signature',
      key_id: 1,
    });
  }
  // A small-order key: with A = R = identity and S = 0 the equation holds for every message.
  {
    const weak = Point.ZERO.toBytes();
    const p = payload.slice();
    p[1] = 0;
    p[2] = 9;
    cases.push({
      name: 'small_order_key',
      note: 'key 9 is the identity point (small order; the Rust KeyRing cannot even hold it); R = identity, S = 0 verifies any message',
      code: code(p, weak, 0n),
      expect: 'bad_signature',
      key_id: 9,
      extra_keys: [{ key_id: 9, public_key_hex: bytesToHex(weak) }],
    });
  }
  return cases;
}
