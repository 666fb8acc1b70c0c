// The scanner app's service worker: keeps the app's files so the app starts without network.
// App files come from the cache first (the server stamps a new version into this file whenever
// any file changes, which installs a fresh cache); API calls always go to the network.
const VERSION = '__ASPK_SCAN_VERSION__';
const CACHE = `aspk-scan-${VERSION}`;
const FILES = [
  '/scan',
  '/scan/',
  '/scan/app.js',
  '/scan/ui.js',
  '/scan/store.js',
  '/scan/net.js',
  '/scan/decide.js',
  '/scan/camera.js',
  '/scan/feedback.js',
  '/scan/i18n.js',
  '/scan/catalogue.js',
  '/scan/idb.js',
  '/scan/messages/uk.js',
  '/scan/messages/en.js',
  '/scan/verify.js',
  '/scan/vendor/noble-ed25519/index.js',
  '/scan/vendor/jsqr/jsQR.js',
  '/scan/style.css',
  '/scan/manifest.webmanifest',
  '/scan/icon.svg',
  '/scan/icon-192.png',
  '/scan/icon-512.png',
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
      .then((names) => Promise.all(names.filter((n) => n.startsWith('aspk-scan-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname !== '/scan' && !url.pathname.startsWith('/scan/')) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(url.pathname);
      if (hit) return hit;
      const response = await fetch(event.request);
      if (response.ok) cache.put(url.pathname, response.clone());
      return response;
    }),
  );
});
