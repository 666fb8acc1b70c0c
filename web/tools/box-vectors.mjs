// Cross-check vectors for the box-office device's modules (web/box/ticket-code.js and
// web/box/oplog.js), made in Node with WebCrypto exactly as the device makes them.
// crates/aspk-oplog/tests/it/device_js.rs runs it (`node web/tools/box-vectors.mjs`, from the
// repository root) and checks every op and code against the Rust implementation.
//
// Prints one JSON object on stdout:
//   {public_key_hex, key_id,
//    ops: [{kind, upload, content_json, hash_hex}],   upload: the exact string the device POSTs
//    codes: [{claims, code}],                         claims as given to issueCode (unrounded)
//    rejected: [{claims, field}]}                     claims issueCode refused (RangeError.field)
// The key is made fresh each run (extractable here, only so that its public key can be
// printed); signatures differ between runs, the rest does not.
import { contentJson, hlcNow, leaseReturned, opHash, opJson, orderCancelled, orderContact, orderPlaced, shiftClosed, shiftOpened, signOp } from '../box/oplog.js';
import { issueCode, webCryptoSigner } from '../box/ticket-code.js';

const KEY_ID = 4711;
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
const signer = webCryptoSigner(keys.privateKey);

// Strings that must be escaped (or not) exactly as serde_json does.
const NASTY = 'Квиток «дорослий» — "Музей" \\ back\nline\ttab\u0001ctl\u001f/slash\u007fdel 🎟️ ґєії';

// ---- Ticket codes
const DAY = 20_791; // 2026-12-04
const FROM = 1_796_378_400; // 2026-12-04T10:00:00Z
const codeClaims = [
  // A slot window, already whole minutes.
  { serial: 48_210_937_552, venue: 1, product: 12, needs_document_check: false,
    validity: { kind: 'window', from_unix: FROM, until_unix: FROM + 5_400 } },
  // Rounded outwards: 10:00:30 .. 10:59:10 becomes 10:00 .. 11:00; document check.
  { serial: 10_000_000_000, venue: 65_535, product: 0, needs_document_check: true,
    validity: { kind: 'window', from_unix: FROM + 30, until_unix: FROM + 3_550 } },
  // The largest serial, a sub-minute window, the longest window.
  { serial: 99_999_999_999, venue: 2, product: 3, needs_document_check: true,
    validity: { kind: 'window', from_unix: FROM + 10, until_unix: FROM + 20 } },
  { serial: 99_999_999_998, venue: 2, product: 3, needs_document_check: false,
    validity: { kind: 'window', from_unix: 1_577_836_800, until_unix: 1_577_836_800 + 65_535 * 60 } },
  // Day ranges: one day, a season, the extremes.
  { serial: 12_345_678_901, venue: 7, product: 65_535, needs_document_check: false,
    validity: { kind: 'days', first_day: DAY, last_day: DAY } },
  { serial: 55_555_555_555, venue: 7, product: 4, needs_document_check: true,
    validity: { kind: 'days', first_day: DAY, last_day: DAY + 180 } },
  { serial: 0, venue: 0, product: 0, needs_document_check: false,
    validity: { kind: 'days', first_day: 0, last_day: 65_535 } },
];
const codes = [];
for (const claims of codeClaims) codes.push({ claims, code: await issueCode(claims, KEY_ID, signer) });

const window = (from_unix, until_unix) => ({ kind: 'window', from_unix, until_unix });
const days = (first_day, last_day) => ({ kind: 'days', first_day, last_day });
const base = { serial: 48_210_937_552, venue: 1, product: 12, needs_document_check: false };
const rejected = [];
for (const claims of [
  { ...base, serial: 100_000_000_000, validity: window(FROM, FROM + 60) },
  { ...base, validity: window(1_577_836_799, 1_577_836_860) },
  { ...base, validity: window(FROM, FROM) },
  { ...base, validity: window(FROM + 60, FROM) },
  { ...base, validity: window(FROM, FROM + 65_536 * 60) },
  { ...base, validity: window(1_577_836_800 + 2 ** 32 * 60, 1_577_836_800 + 2 ** 32 * 60 + 60) },
  { ...base, validity: days(-1, 5) },
  { ...base, validity: days(65_536, 65_536) },
  { ...base, validity: days(DAY, DAY - 1) },
  { ...base, validity: days(0, 65_536) },
]) {
  try {
    await issueCode(claims, KEY_ID, signer);
    throw new Error(`issueCode accepted ${JSON.stringify(claims)}`);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    rejected.push({ claims, field: e.field });
  }
}

// ---- Ops
const T0 = Date.UTC(2026, 11, 4, 10, 0, 0); // whole second: no fraction
const bodies = [
  shiftOpened({ shift_id: 'shift-box-1', venue: 'demo', float_minor: 50_000, currency: 'UAH' }),
  orderPlaced({
    number: 12_345_678_901, venue: 'demo', email: null, total_minor: 45_000, currency: 'UAH',
    tickets: [
      { serial: codeClaims[0].serial, product: 'adult', slot: 'slot-2026-12-04-1000', valid_from: T0,
        valid_until: T0 + 5_400_000, price_minor: 30_000, code: codes[0].code },
      { serial: codeClaims[5].serial, product: 'season_pass', valid_from: new Date(T0 - 36_000_000),
        valid_until: new Date(T0 + 180 * 86_400_000 + 50_400_000), valid_days: ['2026-12-04', DAY + 180],
        price_minor: 15_000, code: codes[5].code },
    ],
    payments: [
      { method: 'cash', amount_minor: 40_000, at: T0 + 123 }, // .123
      { method: 'card', amount_minor: 5_000, at: 1_796_378_400_120_000_000n }, // .120
    ],
    shift: 'shift-box-1',
  }),
  // Every optional field present, and nasty strings.
  orderPlaced({
    number: 1, venue: 'a-b_c', channel: 'box_office', email: '  visitor+тест@example.com ', is_overbooking: true,
    tickets: [{ serial: 1, product: 'x', slot: NASTY, valid_from: 1_796_378_400_123_456_000n,
      valid_until: 1_796_378_400_123_456_789n, price_minor: -1, code: '0' }],
    payments: [{ method: 'other', amount_minor: 0, at: 0, reference: NASTY }],
    total_minor: 0, currency: 'EUR', shift: NASTY, name: 'Олена "Ґанок" Їжак\n', idempotency_key: 'idem/1',
  }),
  orderCancelled({
    number: 12_345_678_901, reason: 'Відвідувач передумав: "рефанд" \\ \u0001',
    refund: { method: 'cash', amount_minor: -40_000, at: T0 + 3_600_001, shift: 'shift-box-1' },
    more_refunds: [{ method: 'card', amount_minor: -5_000, at: T0 + 3_600_000, shift: 'shift-box-1' }],
  }),
  orderCancelled({ number: 7, reason: '', entries_seen: [[48_210_937_552, 1]] }),
  orderContact({ number: 12_345_678_901, email: 'olena@example.com', name: 'Олена Пчілка', phone: '+380 44 123 45 67' }),
  orderContact({ number: 12_345_678_902, name: '😀 "x"\r\n' }),
  leaseReturned({ holder: 'box-7f3a', slot: 'slot-2026-12-04-1000', seats: 4_294_967_295 }),
  shiftClosed({ shift_id: 'shift-box-1', counted_minor: 50_000 }),
  shiftClosed({ shift_id: 'shift-box-1', counted_minor: -3, note: NASTY }),
];

let hlc = hlcNow(0n);
const ops = [];
for (const [i, body] of bodies.entries()) {
  // The third op carries a reading far in the future (still above 2^53, as every reading is).
  hlc = i === 2 ? (BigInt(Date.UTC(9999, 0, 1)) << 16n) | 65_535n : hlcNow(hlc);
  const op = await signOp({ origin: 'box-7f3a', seq: i + 1, hlc, actor: i % 2 ? 'user:анна' : 'device:box-7f3a', body }, KEY_ID, signer);
  ops.push({ kind: body.type, upload: opJson(op), content_json: contentJson(op), hash_hex: hex(opHash(op)) });
}

process.stdout.write(JSON.stringify({ public_key_hex: hex(publicKey), key_id: KEY_ID, ops, codes, rejected }) + '\n');
