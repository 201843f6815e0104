// Descent Lab service worker: the whole app works offline after the first visit.
//
// build.py writes dist/sw.js from this file, replacing the PRECACHE placeholder with the
// build id (the first 16 hex digits of dist/'s content hash) and every file the page
// needs: [path, "sha256-<base64>" integrity, size]. A new build therefore means a new
// sw.js, which the browser notices on the next visit:
//
//   install   fetch every file (bypassing the HTTP cache's freshness, checked against
//             its sha256) into the cache "descentlab:<scope path>:<build id>"; only
//             complete 200 responses are stored, never a 206 partial one. Any failure
//             fails the install and the previous version stays in charge.
//   activate  delete this scope's caches of other builds, then take control of open
//             pages (they show "updated, reload" and get the new files on reload).
//   fetch     same-origin GETs of precached files come from the cache (navigations to
//             the scope root or index.html?anything get index.html); the wasm always
//             with Content-Type application/wasm; Range requests and everything else go
//             to the network untouched.
"use strict";

const PRECACHE = /*@PRECACHE@*/ { build: "dev", files: [] } /*@END@*/;

const SCOPE = self.registration.scope;                     // ends with "/"
const SCOPE_PATH = new URL(SCOPE).pathname;
const CACHE_PREFIX = `descentlab:${SCOPE_PATH}:`;
const CACHE = CACHE_PREFIX + PRECACHE.build;
const FILES = new Map(PRECACHE.files.map(([path, integrity, size]) => [path, { integrity, size }]));
const PARALLEL = 4;

const absolute = (path) => new URL(path, SCOPE).href;

async function withType(path, response) {
  // Streaming wasm compilation requires this exact type; some servers send another. A
  // redirected response cannot answer a navigation: store a plain copy of it instead.
  const fixType = path.endsWith(".wasm") && response.headers.get("Content-Type") !== "application/wasm";
  if (!fixType && !response.redirected) return response;
  const headers = new Headers(response.headers);
  if (fixType) headers.set("Content-Type", "application/wasm");
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

async function precache() {
  const cache = await caches.open(CACHE);
  const queue = [...FILES];
  async function worker() {
    while (queue.length) {
      const [path, { integrity }] = queue.shift();
      const url = absolute(path);
      if (await cache.match(url)) continue;   // an earlier, interrupted install of this build
      const response = await fetch(new Request(url, { cache: "no-cache", integrity, credentials: "same-origin" }));
      if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} (need a complete 200 response)`);
      await cache.put(url, await withType(path, response));
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

function precachedPath(request) {
  if (request.method !== "GET" || request.headers.has("range")) return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE_PATH)) return null;
  let path;
  try { path = decodeURIComponent(url.pathname.slice(SCOPE_PATH.length)); } catch { return null; }
  if (path === "" && request.mode === "navigate") path = "index.html";
  return FILES.has(path) ? path : null;
}

async function fromCache(path, request) {
  const hit = await caches.match(absolute(path), { cacheName: CACHE });
  if (hit) return withType(path, hit);
  return fetch(request);                      // evicted or not installed yet: the network
}

self.addEventListener("fetch", (event) => {
  const path = precachedPath(event.request);
  if (path !== null) event.respondWith(fromCache(path, event.request));
});

// The page may ask which build this worker serves (shown in tests and bug reports).
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "descentlab:sw-build" && event.ports[0]) {
    event.ports[0].postMessage({ build: PRECACHE.build, cache: CACHE, files: FILES.size });
  }
});
