// The box-office device's durable store (IndexedDB). Every write is a 'strict' transaction:
// when it completes, the data is on disk (a sale is shown only after that).
//
//   meta   key -> value:
//            device     {node_id, token, venue, origin, name, key_id, serials, paired_at}
//            keys       {privateKey, publicKey}: the device's Ed25519 pair (CryptoKeys, the
//                       private one not extractable)
//            nextSeq    the sequence number of the next op (contiguous from 1, never reused)
//            lastHlc    the last HLC reading handed out (a decimal string: it exceeds 2^53)
//            durableSeq the server holds our ops up to this one (those above are the queue)
//            user       {username, role, signed_in_at}: who sells here (kept for offline use)
//            shift      the open cash shift {id, user, venue, float_minor, currency, opened_at}
//            lastShift  the last closed shift (its summary stays on screen)
//            sync       the last sync's answer: venue, currency, products, slots, key, lease...,
//                       and leaseSeq (the durable_seq the slots' lease_left counts)
//            endpoints, via, lastSync
//            (shift and lastShift keep open_seq, the seq of their shift_opened op; lastShift
//            also close_seq and the figures it closed with)
//   ops    seq -> {seq, json, type, at_ms}: every op this device wrote, as uploaded
//   sales  number -> {number, seq, at_ms, shift, user, slot, method, payments, email,
//          total_minor, currency, is_overbooking, tickets: [{serial, product, slot,
//          price_minor, code}], refund?: {seq, at_ms, user, shift, method, amount_minor,
//          reason}} (a refunded sale: `refund` names its order_cancelled op, and `payments`
//          holds the negative payment it paid back). Index: shift.

import { database, result } from '../scan/idb.js';

const { open, write, read, wipe } = database('aspk-box', 1, (db) => {
  db.createObjectStore('meta');
  db.createObjectStore('ops', { keyPath: 'seq' });
  db.createObjectStore('sales', { keyPath: 'number' }).createIndex('shift', 'shift');
});

/**
 * `write(names, fn)`: one read-write strict transaction, durable when it resolves (see
 * idb.js); `wipe()` forgets everything (a revoked device). `result` turns a request into a
 * promise.
 */
export { result, wipe, write };

export const getMeta = (key) => read('meta', (s) => s.get(key));

/** Several meta values at once: {key: value}. */
export async function metas(keys) {
  const db = await open();
  const store = db.transaction('meta', 'readonly').objectStore('meta');
  const values = await Promise.all(keys.map((k) => result(store.get(k))));
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
}

export const setMeta = (entries) =>
  write(['meta'], ({ meta }) => {
    for (const [k, v] of Object.entries(entries)) {
      if (v === undefined) meta.delete(k);
      else meta.put(v, k);
    }
  });

/** Ops with a sequence number above `after`, in order, at most `limit`. */
export const opsAfter = (after, limit) =>
  read('ops', (s) => s.getAll(IDBKeyRange.lowerBound(after, true), limit));

/** How many ops there are above `after`. */
export const countOpsAfter = (after) => read('ops', (s) => s.count(IDBKeyRange.lowerBound(after, true)));

export const allSales = () => read('sales', (s) => s.getAll());
