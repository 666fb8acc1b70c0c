// Runs inside the headless Chromium page (served as /tests/page-runner.js). verify.test.mjs calls
// these through page.evaluate and checks the returned plain objects in Node.
import * as v from '/scan/verify.js';

const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const bytesToHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export const ring = (keys) => new Map(keys.map((k) => [k.key_id, hexToBytes(k.public_key_hex)]));

export const webCryptoEd25519Supported = () => v.webCryptoEd25519Supported();

/** verifyCode + decodeCode (+ timeVerdict for valid codes) on each case. */
export async function runCases(cases, keys, backend, module = v) {
  const results = [];
  for (const c of cases) {
    const r = { name: c.name };
    const caseRing = ring([...keys, ...(c.extra_keys ?? [])]);
    try {
      const out = await module.verifyCode(c.code, caseRing, { backend });
      r.outcome = 'valid';
      r.claims = out.claims;
      r.keyId = out.keyId;
      r.verdicts = (c.time_checks ?? []).map((t) =>
        module.timeVerdict(out.claims.validity, t.now_unix, t.local_day, t.early_open_secs),
      );
    } catch (e) {
      if (e instanceof module.TicketCodeError) {
        Object.assign(r, { outcome: e.kind, detail: e.detail, errorName: e.name, message: e.message });
        for (const f of ['keyId', 'version', 'field']) if (f in e) r[f] = e[f];
      } else {
        Object.assign(r, { outcome: 'exception', message: `${e?.name}: ${e?.message}` });
      }
    }
    try {
      const d = module.decodeCode(c.code);
      r.decoded = {
        bytesHex: bytesToHex(d.payload) + bytesToHex(d.signature),
        keyId: d.keyId,
        claims: d.claims,
        signatureLength: d.signature.length,
      };
    } catch (e) {
      r.decodeError = { kind: e.kind, detail: e.detail };
    }
    results.push(r);
  }
  return results;
}

/** Same, with a fresh copy of verify.js in a page whose WebCrypto has no Ed25519 (older browsers). */
export async function runCasesWithoutWebCryptoEd25519(cases, keys) {
  const subtle = crypto.subtle;
  const real = { importKey: subtle.importKey, verify: subtle.verify }; // from the prototype
  const refuse = (algorithm) => {
    const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
    return String(name).toLowerCase() === 'ed25519';
  };
  subtle.importKey = function (format, data, algorithm, ...rest) {
    if (refuse(algorithm)) return Promise.reject(new DOMException('Ed25519 disabled for the test', 'NotSupportedError'));
    return real.importKey.call(this, format, data, algorithm, ...rest);
  };
  subtle.verify = function (algorithm, ...rest) {
    if (refuse(algorithm)) return Promise.reject(new DOMException('Ed25519 disabled for the test', 'NotSupportedError'));
    return real.verify.call(this, algorithm, ...rest);
  };
  try {
    const fresh = await import('/scan/verify.js?no-webcrypto-ed25519');
    return {
      supported: await fresh.webCryptoEd25519Supported(),
      results: await runCases(cases, keys, 'auto', fresh),
    };
  } finally {
    delete subtle.importKey; // back to the prototype's methods
    delete subtle.verify;
  }
}

/**
 * The bare primitives on each case whose code decodes and whose key is known, without the strict
 * pre-checks: what WebCrypto and noble (strict and ZIP-215 modes) say on their own.
 */
export async function probeRawPrimitives(cases, keys) {
  const noble = await import('/scan/vendor/noble-ed25519/index.js');
  const rows = [];
  for (const c of cases) {
    let d;
    try {
      d = v.decodeCode(c.code);
    } catch {
      continue;
    }
    const pk = ring([...keys, ...(c.extra_keys ?? [])]).get(d.keyId);
    if (!pk) continue;
    const msg = new Uint8Array([...v.SIGNING_DOMAIN, ...d.payload]);
    const attempt = async (f) => {
      try {
        return String(await f());
      } catch (e) {
        return `throws ${e?.name}`;
      }
    };
    rows.push({
      name: c.name,
      precheck: v.strictPrecheck(pk, d.signature),
      webcrypto: await attempt(async () => {
        const key = await crypto.subtle.importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
        return crypto.subtle.verify({ name: 'Ed25519' }, key, d.signature, msg);
      }),
      nobleStrict: await attempt(() => noble.verifyAsync(d.signature, msg, pk, { zip215: false })),
      nobleZip215: await attempt(() => noble.verifyAsync(d.signature, msg, pk)),
    });
  }
  return rows;
}

/** codes/s of verifyCode over `n` verifications of `codes` (cycled), `batch` at a time. */
export async function throughput({ codes, keys, backend, n, batch = 1 }) {
  const r = ring(keys);
  for (const code of codes) await v.verifyCode(code, r, { backend }); // warm-up (imports, keys)
  const t0 = performance.now();
  let done = 0;
  while (done < n) {
    const m = Math.min(batch, n - done);
    const pending = [];
    for (let i = 0; i < m; i++) pending.push(v.verifyCode(codes[(done + i) % codes.length], r, { backend }));
    await Promise.all(pending);
    done += m;
  }
  const ms = performance.now() - t0;
  return { backend, batch, n, ms, perSecond: (n * 1000) / ms };
}

/** codes/s of decodeCode alone (digits, layout, claims; no signature). */
export function decodeThroughput({ codes, n }) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) v.decodeCode(codes[i % codes.length]);
  const ms = performance.now() - t0;
  return { n, ms, perSecond: (n * 1000) / ms };
}

/** The human-number helpers on every input of the Rust-made fixture. */
export function runHumanNumbers(fixture) {
  const parse = fixture.parse.map(({ input }) => {
    try {
      return { input, ok: v.parseHumanNumber(input) };
    } catch (e) {
      const error = { kind: e.kind };
      if ('character' in e) error.character = e.character;
      if ('count' in e) error.count = e.count;
      return { input, error, errorName: e.name };
    }
  });
  return {
    numbers: fixture.numbers.map(({ serial }) => ({
      serial,
      display: v.formatHumanNumber(serial),
      check_digit: v.verhoeffCheckDigit(String(serial).padStart(11, '0')),
      parsed: v.parseHumanNumber(v.formatHumanNumber(serial)),
    })),
    check_digits: fixture.check_digits.map(({ input }) => ({ input, check_digit: v.verhoeffCheckDigit(input) })),
    is_valid: fixture.is_valid.map(({ input }) => ({ input, valid: v.verhoeffIsValid(input) })),
    parse,
  };
}
