// The app's service worker (scope /app/): keeps the app's own files so that it opens with no
// network — a resident can still make a report, which waits in IndexedDB (outbox.js). Network
// first, so a new version of the daemon's files shows at once when online; the cache only
// answers when the network does not. API requests (/api/…) are never cached or answered here.
const CACHE = 'civicsnap-app-v2';
const SHELL = [
  '/app/', '/app/app.js', '/app/api.js', '/app/outbox.js', '/app/map.js', '/app/resident.js', '/app/detail.js',
  '/app/points.js', '/app/worker.js', '/app/manage.js', '/app/ui.js', '/app/strings.js', '/app/app.css', '/app/manifest.webmanifest',
  '/app/icon.svg', '/app/icon-maskable.svg', '/app/icon-192.png', '/web/common.css', '/web/dom.js', '/web/i18n.js',
  '/web/vendor/qrcode-generator-2.0.4.mjs',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  event.respondWith((async () => {
    try {
      const response = await fetch(event.request);
      if (response.ok) {
        const cache = await caches.open(CACHE);
        await cache.put(event.request, response.clone());
      }
      return response;
    } catch (error) {
      const cached = await caches.match(event.request, { ignoreSearch: true });
      if (cached) return cached;
      throw error;
    }
  })());
});
