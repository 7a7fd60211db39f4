// The field app's service worker: keeps the app's page and files, so the app opens and its
// forms work with no signal. They come from this worker's copy first (fast on a weak signal);
// a new version of the platform brings a new worker (its name changes), which fetches them
// again. The API is never kept: the page stores its own data in IndexedDB.
const VERSION = '@VERSION@';
const SHELL = 'xaso-field-' + VERSION;
const FILES = ['/field/', '/static/app.css', '/static/field.js', '/static/favicon.svg', '/static/icon-192.png', '/field/manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL)
      .then((c) => c.addAll(FILES.map((f) => new Request(f, { cache: 'no-cache', credentials: 'same-origin' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('xaso-field-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname === '/field' ? '/field/' : url.pathname;
  if (!FILES.includes(path)) return;
  event.respondWith(
    caches.match(path, { cacheName: SHELL }).then((hit) => hit || fetch(event.request)),
  );
});
