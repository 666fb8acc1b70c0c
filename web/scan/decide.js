// The decision for one scan, made on the phone from its own store, with or without network.
// Same rules and order as the server (crates/aspk-app/src/admit.rs): a code must be genuinely
// signed by a known key within that key's serials and validity, and be the code its ticket was
// issued with;
// then void, already used (here or anywhere the feed has seen), time, venue.
import {
  decodeCode, HumanNumberError, isTypedNumber, parseHumanNumber, TicketCodeError, timeVerdict, validFromText,
  verifyCode, withinKey,
} from './verify.js';
import * as store from './store.js';

const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

let ringCache = { sig: null, ring: new Map(), ranges: new Map(), ends: new Map(), voided: new Map(), revoked: new Set() };

/** The key ring for verifyCode, rebuilt only when the stored keys change. */
function ring(keys) {
  const sig = keys.map((k) => `${k.key_id}:${k.public_key}:${k.valid_until ?? ''}:${JSON.stringify(k.voided ?? [])}:${k.revoked ?? false}`).join(',');
  if (ringCache.sig !== sig) {
    ringCache = {
      sig,
      ring: new Map(keys.map((k) => [k.key_id, hexToBytes(k.public_key)])),
      ranges: new Map(keys.filter((k) => k.serials).map((k) => [k.key_id, k.serials])),
      ends: new Map(keys.filter((k) => k.valid_until).map((k) => [k.key_id, Date.parse(k.valid_until) / 1000])),
      voided: new Map(keys.filter((k) => k.voided?.length).map((k) => [k.key_id, k.voided])),
      revoked: new Set(keys.filter((k) => k.revoked).map((k) => k.key_id)),
    };
  }
  return ringCache;
}

const dayFormats = new Map();

/** Today in the venue's time zone, as days since 1970-01-01. */
export function localDay(timeZone, now = new Date()) {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86_400_000;
}

/** What was presented: a typed ticket number (isTypedNumber, the gate's rule too) or a QR code. */
export function classify(text) {
  const raw = String(text ?? '');
  return { kind: isTypedNumber(raw) ? 'number' : 'code', text: raw.trim() };
}

/**
 * Decides one scan. Resolves to {result, serial?, ticket?, product?, first?, document?, validFrom?}:
 * result is one of the API's scan results (admit, already_used, void, not_valid_yet, expired,
 * wrong_venue, invalid, unknown); `document` is set when an admitted ticket needs a document check;
 * `validFrom` (e.g. "05.12.2026 10:00", the venue's time) when the ticket is not valid yet.
 */
export async function decide(text) {
  const input = classify(text);
  let code = input.text;
  let serialFromNumber = null;
  if (input.kind === 'number') {
    try {
      serialFromNumber = parseHumanNumber(input.text).serial;
    } catch (e) {
      if (e instanceof HumanNumberError) return { result: 'invalid', reason: 'bad_number' };
      throw e;
    }
    const ticket = await store.getTicket(serialFromNumber);
    if (!ticket) return { result: 'unknown', serial: serialFromNumber };
    code = ticket.code;
  }
  let serial;
  try {
    serial = decodeCode(code).claims.serial; // only to look the ticket up; verified below
  } catch (e) {
    if (e instanceof TicketCodeError) return { result: 'invalid' };
    throw e;
  }
  const { ticket, scans: local, venue, products, keys } = await store.lookup(serial);
  const { ring: keyring, ranges, ends, voided, revoked } = ring(keys);
  let verified;
  try {
    verified = await verifyCode(code, keyring);
  } catch (e) {
    if (e instanceof TicketCodeError) return { result: 'invalid' };
    throw e;
  }
  const { claims, keyId } = verified;
  const range = ranges.get(keyId);
  if (range && !(serial >= range[0] && serial < range[1])) return { result: 'invalid' };
  if (!withinKey(claims.validity, ends.get(keyId) ?? null)) return { result: 'invalid' };
  // A paper stock ticket keeps no code of its own: its printed code is checked by signature.
  if (ticket && ticket.code && ticket.code !== code) return { result: 'invalid' };
  // A withdrawn key (a revoked box-office device's): what it sold before is in the feed.
  if (!ticket && revoked.has(keyId)) return { result: 'invalid' };
  const product = (products ?? []).find((p) => p.no === claims.product) ?? null;
  const base = { serial, ticket: ticket ?? null, product, claims, code };
  const isVoidedStock = (voided.get(keyId) ?? []).some(([first, last]) => serial >= first && serial <= last);
  if (ticket?.state === 'void' || isVoidedStock) return { ...base, result: 'void' };
  const localEntry = local.find((s) => s.result === 'admit');
  if (localEntry || (ticket && ticket.entries > 0)) {
    const first = ticket?.first_entry ?? (localEntry ? { at: new Date(localEntry.at_ms).toISOString(), gate: null } : null);
    return { ...base, result: 'already_used', first };
  }
  const timeZone = venue?.time_zone ?? 'Europe/Kyiv';
  const earlyOpenSecs = (venue?.early_entry_minutes ?? 0) * 60;
  const verdict = timeVerdict(claims.validity, Math.floor(Date.now() / 1000), localDay(timeZone), earlyOpenSecs);
  if (verdict === 'not_yet_valid') {
    return { ...base, result: 'not_valid_yet', validFrom: validFromText(claims.validity, timeZone, earlyOpenSecs) };
  }
  if (verdict === 'expired') return { ...base, result: 'expired' };
  if (!venue || claims.venue !== venue.no) return { ...base, result: 'wrong_venue' };
  const document = claims.needs_document_check || product?.document ? product?.document ?? '' : null;
  return { ...base, result: 'admit', document };
}
