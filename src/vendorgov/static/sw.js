// The service worker (served as /sw.js so that its scope is the whole app): keeps what a
// supervisor needs on the ward without a connection. An inspection form (with its checklist)
// is kept each time it is opened and served from that copy when the network fails; the static
// files are served from the cache and refreshed behind. Nothing else is kept: other pages need
// the network. Answers and photos are not here: inspection.js keeps them in IndexedDB.
const VERSION = "vendorgov-offline-1";
const FORMS = VERSION + "-forms";
const STATIC = VERSION + "-static";
const SHELL = [
  "/static/app.css", "/static/app.js", "/static/drafts.js", "/static/inspection.js",
  "/static/vendor/htmx.min.js", "/manifest.webmanifest", "/static/icons/icon-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Caches of an older version of this worker are dropped.
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => !n.startsWith(VERSION)).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function isForm(url) {
  return url.pathname === "/inspections/new";
}

async function formFirstFromNetwork(request) {
  const cache = await caches.open(FORMS);
  try {
    const response = await fetch(request);
    // A redirect (to the login page) or an error is not the form: keep the last good copy.
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw offline;
  }
}

async function staticFromCache(request) {
  const cache = await caches.open(STATIC);
  const kept = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (kept) {
    fresh.catch(() => null);  // offline: the kept copy is all there is
    return kept;
  }
  return fresh;
}

// A form page opened before this worker controlled it asks for a copy to be kept.
self.addEventListener("message", (event) => {
  const url = event.data && event.data.keep ? new URL(event.data.keep, self.location.origin) : null;
  if (url && url.origin === self.location.origin && isForm(url)) {
    event.waitUntil(formFirstFromNetwork(new Request(url.href, { credentials: "same-origin" })));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout") {
    // The forms kept for this user go with the session (drafts stay: they are the user's work).
    event.waitUntil(caches.delete(FORMS));
    return;
  }
  if (request.method !== "GET") return;
  if (isForm(url)) event.respondWith(formFirstFromNetwork(request));
  else if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(staticFromCache(request));
  }
});
