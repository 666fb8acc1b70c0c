// The phone's durable store (IndexedDB): everything the app needs to decide offline and the
// scans it has not yet handed to the server. Every write is a 'strict' transaction: when it
// completes, the data is on disk (acknowledged means durable).
//
//   meta     key -> value: device (node id, token, origin, venue), cursor, venue, products,
//            lastSync, nextSeq, held (server holds our scans up to this seq), clock
//   tickets  serial -> {serial, code, product, state, entries, first_entry}
//   keys     key_id -> {key_id, public_key, serials, valid_until}
//   scans    seq -> {seq, at_ms, counter, serial, result, ...}: every decision made here that
//            the server must know; those above `held` are the outgoing queue. Index: serial.

import { database, result } from './idb.js';

const { open, write, read, wipe } = database('aspk-scan', 1, (db) => {
  db.createObjectStore('meta');
  db.createObjectStore('tickets', { keyPath: 'serial' });
  db.createObjectStore('keys', { keyPath: 'key_id' });
  db.createObjectStore('scans', { keyPath: 'seq' }).createIndex('serial', 'serial');
});

/** The connection (tests read the stores through it); `wipe` forgets everything. */
export { open, wipe };

export const getMeta = (key) => read('meta', (s) => s.get(key));
export const getTicket = (serial) => read('tickets', (s) => s.get(serial));
export const countTickets = () => read('tickets', (s) => s.count());
export const allKeys = () => read('keys', (s) => s.getAll());
export const scansOf = (serial) => read('scans', (s) => s.index('serial').getAll(serial));

/**
 * Everything one decision reads, in one transaction: the ticket, this device's scans of it,
 * the venue, the products and the keys.
 */
export async function lookup(serial) {
  const db = await open();
  const tx = db.transaction(['tickets', 'scans', 'meta', 'keys'], 'readonly');
  const [ticket, scans, venue, products, keys] = await Promise.all([
    result(tx.objectStore('tickets').get(serial)),
    result(tx.objectStore('scans').index('serial').getAll(serial)),
    result(tx.objectStore('meta').get('venue')),
    result(tx.objectStore('meta').get('products')),
    result(tx.objectStore('keys').getAll()),
  ]);
  return { ticket, scans, venue, products, keys };
}

export const setMeta = (entries) =>
  write(['meta'], ({ meta }) => {
    for (const [k, v] of Object.entries(entries)) meta.put(v, k);
  });

/** The newest `n` scans, newest first. */
export async function lastScans(n) {
  const db = await open();
  const store = db.transaction('scans', 'readonly').objectStore('scans');
  const out = [];
  return new Promise((resolve, reject) => {
    const req = store.openCursor(null, 'prev');
    req.onsuccess = () => {
      const c = req.result;
      if (!c || out.length >= n) return resolve(out);
      out.push(c.value);
      c.continue();
    };
    req.onerror = () => reject(req.error);
  });
}

/** Scans with a sequence number above `held`: the ones the server has not acknowledged. */
export const queued = (held, limit) =>
  read('scans', (s) => s.getAll(IDBKeyRange.lowerBound(held, true), limit));

/**
 * Appends one decision with the next sequence number and a clock reading that never goes
 * backwards (hybrid-logical-clock style: Unix ms + a counter within one ms). Durable on return.
 */
export function appendScan(scan) {
  return write(['meta', 'scans'], async ({ meta, scans }, r) => {
    const seq = (await r(meta.get('nextSeq'))) ?? 1;
    const last = (await r(meta.get('clock'))) ?? { ms: 0, counter: 0 };
    const now = Date.now();
    const clock = now > last.ms ? { ms: now, counter: 0 } : { ms: last.ms, counter: last.counter + 1 };
    const row = { ...scan, seq, at_ms: clock.ms, counter: clock.counter };
    scans.add(row);
    meta.put(seq + 1, 'nextSeq');
    meta.put(clock, 'clock');
    return row;
  });
}

/**
 * Takes in one page of the server's feed (tickets, keys, venue, products) and its cursor,
 * kept under `cursorKey` (cursors belong to the node that issued them).
 */
export function applyFeed(page, cursorKey = 'cursor') {
  return write(['meta', 'tickets', 'keys'], ({ meta, tickets, keys }) => {
    if (page.reset) tickets.clear();
    for (const t of page.tickets) tickets.put(t);
    keys.clear();
    for (const k of page.keys) keys.put(k);
    meta.put(page.venue, 'venue');
    meta.put(page.products, 'products');
    meta.put(page.cursor, cursorKey);
  });
}
