// The board player's service worker: keeps the player page and its two files, so a board
// restarted without network still opens its player (the schedule and pictures are kept by the
// page itself). The network is asked first, so a new version of the platform reaches the board.
const SHELL = 'xaso-board-shell-v1';
const FILES = ['/player/board', '/static/player.css', '/static/player-board.js', '/static/favicon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('xaso-board-shell-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !FILES.includes(url.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((resp) => {
        if (resp.ok) {
          const copy = resp.clone();
          caches.open(SHELL).then((c) => c.put(url.pathname, copy));
        }
        return resp;
      })
      .catch(() => caches.match(url.pathname, { cacheName: SHELL }).then((r) => r || Response.error())),
  );
});
