// static.mjs: a tiny static file server for scenarios that test the assets
// without the Go server. Serves internal/web/assets/static/ under /static/
// with the same content types as the Go assets package and the CSP the real
// server is expected to send, plus optional in-memory pages.

import http from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** internal/web/assets/static in this checkout. */
export const STATIC_DIR = path.resolve(here, "../internal/web/assets/static");

/** Content types, as in internal/web/assets (ContentType). */
export const TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".webmanifest": "application/manifest+json",
};

/**
 * The Content-Security-Policy the pages are written for: nothing from
 * another host, no inline script or style, WebAssembly allowed (ZXing).
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Starts a server on 127.0.0.1:0.
 * @param {{root?: string, dirs?: Record<string,string>, pages?: Record<string,{type?: string, body: string|Buffer}>, csp?: string}} [opts]
 *   dirs maps URL prefixes to directories (default {"/static/": STATIC_DIR});
 *   pages maps exact paths to in-memory bodies.
 * @returns {Promise<{baseURL: string, close(): Promise<void>}>}
 */
export function serveStatic({ dirs = { "/static/": STATIC_DIR }, pages = {}, csp = CSP } = {}) {
  const headers = (type) => ({
    "Content-Type": type,
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
  });
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end(); // browsers ask for it; the app serves a real one
      return;
    }
    const page = pages[url.pathname];
    if (page) {
      res.writeHead(200, headers(page.type ?? TYPES[path.extname(url.pathname)] ?? "text/html; charset=utf-8"));
      res.end(page.body);
      return;
    }
    for (const [prefix, root] of Object.entries(dirs)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = path.resolve(root, decodeURIComponent(url.pathname.slice(prefix.length)));
      if (!file.startsWith(root + path.sep)) break;
      try {
        if (!(await stat(file)).isFile()) break;
        const body = await readFile(file);
        res.writeHead(200, headers(TYPES[path.extname(file)] ?? "application/octet-stream"));
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        baseURL: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
