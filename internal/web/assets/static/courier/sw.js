/*
 * Service worker of the courier app (body). The server serves it at
 * /buu-ta/sw.js after a generated header that defines:
 *   CACHE    the cache name, which changes with any static file or the shell
 *   SCOPE    "/buu-ta/"
 *   IMPORTS  [idb, sync.js] (hashed URLs)
 *   PRECACHE every URL the app needs offline: the shell, the manifest, the
 *            app's modules, styles, icons, fonts and vendored packages
 *            (with the barcode reader's WebAssembly)
 *
 * Strategy: the shell and static files come from the cache first (they are
 * versioned, so a new deploy means a new worker and a new cache); the API
 * always goes to the network and the page deals with failures through its
 * outbox. Background Sync (Chromium) sends the outbox when the network
 * returns even if the app is closed; elsewhere the page sends it on
 * "online", at start and every few seconds.
 */
/* global CACHE, SCOPE, IMPORTS, PRECACHE, HosoSync */
"use strict";

importScripts(...IMPORTS);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: "reload", credentials: "same-origin" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("hoso-buu-ta-") && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

async function fromCache(request, fallbackKey) {
  const cache = await caches.open(CACHE);
  // Files are precached under their hashed URL (?v=...); modules import
  // each other by bare path and fonts.css names the fonts without ?v, so
  // the query is ignored: this cache only ever holds one version.
  const hit = await cache.match(fallbackKey || request, { ignoreSearch: true });
  if (hit) return hit;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return; // network only
  if (req.mode === "navigate") {
    if (url.pathname.startsWith(SCOPE) && url.pathname !== SCOPE + "sw.js") {
      event.respondWith(fromCache(req, SCOPE));
    }
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === SCOPE + "manifest.webmanifest") {
    event.respondWith(fromCache(req));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "hoso-outbox") return;
  event.waitUntil(
    HosoSync.flush({ force: true }).then((r) => {
      if (r.status === "offline" || r.status === "error") {
        // Let the browser try again later with its own backoff.
        throw new Error("outbox not sent: " + r.status);
      }
    }),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "flush") {
    event.waitUntil(HosoSync.flush({ force: true }));
  }
});
