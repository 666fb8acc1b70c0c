// The box-office device app's service worker: keeps the app's files so the app starts with
// no server at all. App files come from the cache first (the server stamps a new version into
// this file whenever any file changes, which installs a fresh cache); API calls always go to
// the network.
const VERSION = '__ASPK_BOX_VERSION__';
const PREFIX = 'aspk-box-';
const CACHE = `${PREFIX}${VERSION}`;
const SCOPE = '/box-office/device/';
// ticket-code.js and ui.js share the scanner's verifier (`../scan/verify.js` from the app,
// which loads its Ed25519 fallback on demand), i18n.js its catalogue (`../scan/catalogue.js`)
// and db.js its IndexedDB core (`../scan/idb.js`).
const SHARED = [
  '/box-office/scan/verify.js',
  '/box-office/scan/catalogue.js',
  '/box-office/scan/idb.js',
  '/box-office/scan/vendor/noble-ed25519/index.js',
];
const FILES = [
  SCOPE,
  ...[
    'app.js',
    'db.js',
    'sync.js',
    'sell.js',
    'ui.js',
    'i18n.js',
    'messages/uk.js',
    'messages/en.js',
    'ticket-code.js',
    'oplog.js',
    'escpos.js',
    'printer.js',
    'printing.js',
    'fonts/DejaVuSans.ttf',
    'fonts/DejaVuSans-Bold.ttf',
    'vendor/noble-hashes/blake3.js',
    'vendor/noble-hashes/blake2.js',
    'vendor/noble-hashes/_blake.js',
    'vendor/noble-hashes/_md.js',
    'vendor/noble-hashes/_u64.js',
    'vendor/noble-hashes/utils.js',
    'vendor/qrcode/qrcode.mjs',
    'style.css',
    'manifest.webmanifest',
    'icon.svg',
    'icon-192.png',
    'icon-512.png',
  ].map((f) => SCOPE + f),
  ...SHARED,
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname === '/box-office/device' || url.pathname === `${SCOPE}index.html` ? SCOPE : url.pathname;
  if (!path.startsWith(SCOPE) && !SHARED.includes(path)) return;
  if (path === `${SCOPE}sw.js`) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(path);
      if (hit) return hit;
      const response = await fetch(event.request);
      if (response.ok) cache.put(path, response.clone());
      return response;
    }),
  );
});
