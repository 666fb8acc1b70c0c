// IndexedDB with durable writes, shared by the scanner and the box-office device: every write
// is a 'strict' transaction, so when it completes the data is on disk (acknowledged means
// durable). Each app names its database and its stores; the mechanics are here.

const STRICT = { durability: 'strict' };

/** The result of one request, as a promise. */
export const result = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

const done = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });

/**
 * Database `name` at `version`, made by `upgrade(db)` when new: {open, write, read, wipe}.
 *   open()            the connection (one per page; another tab upgrading or wiping closes it)
 *   write(names, fn)  runs `fn(stores, result)` in one read-write strict transaction over the
 *                     stores `names`; resolves with what `fn` returned once it is durable. `fn`
 *                     must await only requests of this transaction (anything else lets it
 *                     commit early); a throw aborts it.
 *   read(name, fn)    the result of the request `fn(store)` makes, read-only
 *   wipe()            deletes the database (a revoked device)
 */
export function database(name, version, upgrade) {
  let dbPromise = null;

  function open() {
    dbPromise ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(name, version);
      req.onupgradeneeded = () => upgrade(req.result);
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('the database is open in another tab'));
    });
    return dbPromise;
  }

  async function write(names, fn) {
    const db = await open();
    const tx = db.transaction(names, 'readwrite', STRICT);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let value;
    try {
      value = await fn(stores, result);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already finished
      }
      throw e;
    }
    await done(tx);
    return value;
  }

  async function read(store, fn) {
    const db = await open();
    return result(fn(db.transaction(store, 'readonly').objectStore(store)));
  }

  async function wipe() {
    const db = await dbPromise?.catch(() => null);
    db?.close();
    dbPromise = null;
    await new Promise((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
      req.onblocked = () => resolve();
    });
  }

  return { open, write, read, wipe };
}
