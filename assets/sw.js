// Brokerscope's service worker: once the app has loaded, it opens without a network (the conference
// Wi-Fi will drop). The build (assets/post_build.sh, a Trunk post-build hook) fills in BUILD and FILES:
// the exact files of this build, so a new deploy installs a new cache and removes the old one.
// Only same-origin GETs under this worker's scope are handled; nothing is ever fetched from elsewhere.
const BUILD = '__BUILD__';
const FILES = [/* __FILES__ */];
const CACHE = `brokerscope-${BUILD}`;
// A navigation waits this long for the network before the cached page is used (flaky, not down).
const NETWORK_GRACE_MS = 3000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(['./', ...FILES])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('brokerscope-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !request.url.startsWith(self.registration.scope)) return;
  if (request.mode === 'navigate') {
    // The page: the network's newest when it answers in time (a new deploy shows at once), else this
    // build's cached page, whatever its ?query or #link.
    event.respondWith(
      withTimeout(fetch(request), NETWORK_GRACE_MS)
        .then((response) => (response.ok ? response : Promise.reject(new Error(`HTTP ${response.status}`))))
        .catch(() => caches.open(CACHE).then((cache) => cache.match('./')))
        .then((response) => response || Response.error()),
    );
    return;
  }
  // Assets have content hashes in their names: the cache is always right, the network only fills it.
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(request, { ignoreSearch: true }).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    }))),
  );
});
