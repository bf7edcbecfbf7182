// vendor: smoke test of every vendored front-end package, loaded from our
// own origin under the production CSP (see ../static.mjs). Each library is
// exercised once: htmx (with allowEval off and no injected styles), Leaflet
// (GeoJSON + circleMarker on SVG, no tiles), h3-js, signature_pad, idb, htm's
// Preact standalone, and barcode-detector reading a QR code and a Code 128
// from e2e/fixtures through our own copy of zxing_reader.wasm. guardOrigin
// proves nothing (not even the wasm) came from a CDN. --base is ignored.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic, STATIC_DIR } from "../static.mjs";

export const ignoresBase = true;

const here = path.dirname(fileURLToPath(import.meta.url));

// htmx reads its configuration from this meta tag at start-up; with
// includeIndicatorStyles false it does not inject an inline <style>, which the
// CSP would refuse (app.css carries the .htmx-indicator rules instead).
const page = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"allowEval":false,"includeIndicatorStyles":false,"selfRequestsOnly":true}'>
<title>Kiểm tra thư viện</title>
<link rel="stylesheet" href="/static/fonts/fonts.css">
<link rel="stylesheet" href="/static/css/app.css">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<script src="/static/vendor/htmx.org/htmx.min.js"></script>
<script src="/static/vendor/leaflet/leaflet.js"></script>
<script src="/static/vendor/h3-js/h3-js.umd.js"></script>
<script src="/static/vendor/signature_pad/signature_pad.umd.min.js"></script>
<script src="/static/vendor/idb/umd.js"></script>
<script src="/static/vendor/barcode-detector/polyfill.js"></script>
</head>
<body>
<main class="container">
<h1>Kiểm tra thư viện</h1>
<div id="map"></div>
<canvas id="sig" width="300" height="150"></canvas>
<div id="preact"></div>
<button id="hx" class="btn" hx-get="/hx-fragment" hx-target="#hx-out" hx-swap="innerHTML">Tải</button>
<div id="hx-out"></div>
<img id="qr" alt="Mã QR" src="/fixtures/qr-EA123456785VN.png">
<img id="c128" alt="Mã vạch" src="/fixtures/code128-EA123456785VN.png">
</main>
</body>
</html>`;

export default async function vendor({ browser, lib }) {
  const manifest = JSON.parse(await readFile(path.join(STATIC_DIR, "vendor/manifest.json"), "utf8"));
  const wasmSha = manifest.packages
    .find((p) => p.package === "zxing-wasm")
    .files.find((f) => f.file.endsWith("zxing_reader.wasm")).sha256;

  const srv = await serveStatic({
    dirs: { "/static/": STATIC_DIR, "/fixtures/": path.resolve(here, "../fixtures") },
    pages: {
      "/smoke.html": { body: page },
      "/hx-fragment": { body: "<p id=hx-done>Đã tải xong</p>" },
    },
  });
  const out = {};
  try {
    const ctx = await lib.newDesktopContext(browser, { baseURL: srv.baseURL });
    const p = await ctx.newPage();
    lib.guardOrigin(p, srv.baseURL);
    const errors = lib.watchErrors(p);
    const wasmResponses = [];
    p.on("response", (r) => {
      if (r.url().endsWith(".wasm")) wasmResponses.push({ url: r.url(), type: r.headers()["content-type"] });
    });
    await p.goto("/smoke.html", { waitUntil: "load" });

    // htmx 2.0.11: config from the meta tag, a same-origin swap works.
    out.htmx = await p.evaluate(() => ({ version: htmx.version, allowEval: htmx.config.allowEval, styles: htmx.config.includeIndicatorStyles }));
    if (out.htmx.version !== "2.0.11" || out.htmx.allowEval !== false || out.htmx.styles !== false) {
      throw new Error(`htmx: ${JSON.stringify(out.htmx)}`);
    }
    await p.click("#hx");
    await lib.expectText(p, "#hx-done", "Đã tải xong");

    // Leaflet 1.9.4 with no tile layer: vector layers render as SVG paths.
    out.leaflet = await p.evaluate(() => {
      const el = document.getElementById("map");
      el.style.height = "200px"; // CDP evaluate is not governed by style-src
      const map = L.map(el, { zoomControl: false, attributionControl: false }).setView([21.59, 105.85], 12);
      L.geoJSON({ type: "Polygon", coordinates: [[[105.80, 21.55], [105.90, 21.55], [105.90, 21.63], [105.80, 21.63], [105.80, 21.55]]] }).addTo(map);
      L.circleMarker([21.59, 105.85], { radius: 8 }).addTo(map);
      return { version: L.version, paths: el.querySelectorAll("svg path").length };
    });
    if (out.leaflet.version !== "1.9.4" || out.leaflet.paths < 2) throw new Error(`leaflet: ${JSON.stringify(out.leaflet)}`);

    // h3-js 4.5.0: a resolution-9 cell for a point in Thái Nguyên.
    out.h3 = await p.evaluate(() => {
      const cell = h3.latLngToCell(21.5942, 105.8482, 9);
      return { cell, valid: h3.isValidCell(cell), res: h3.getResolution(cell), boundary: h3.cellToBoundary(cell).length };
    });
    // github.com/uber/h3-go/v4 v4.5.0 LatLngToCell gives the same id (checked).
    if (out.h3.cell !== "89415c38833ffff" || !out.h3.valid || out.h3.res !== 9 || out.h3.boundary !== 6) {
      throw new Error(`h3: ${JSON.stringify(out.h3)}`);
    }

    // signature_pad 5.1.4: draw a stroke from data, export PNG.
    out.signature = await p.evaluate(() => {
      const pad = new SignaturePad(document.getElementById("sig"));
      pad.fromData([{ penColor: "black", dotSize: 0, minWidth: 0.5, maxWidth: 2.5, velocityFilterWeight: 0.7, compositeOperation: "source-over",
        points: [{ x: 10, y: 10, time: 1, pressure: 0.5 }, { x: 200, y: 100, time: 50, pressure: 0.5 }] }]);
      return { empty: pad.isEmpty(), png: pad.toDataURL().slice(0, 22) };
    });
    if (out.signature.empty || out.signature.png !== "data:image/png;base64,") throw new Error(`signature_pad: ${JSON.stringify(out.signature)}`);

    // idb 8.0.4: open, put, get.
    out.idb = await p.evaluate(async () => {
      const db = await idb.openDB("kiem-tra", 1, { upgrade: (d) => d.createObjectStore("hang-doi") });
      await db.put("hang-doi", { su_kien: "pickup.collected", ghi_chu: "Đã nhận" }, "k1");
      const v = await db.get("hang-doi", "k1");
      db.close();
      return v.ghi_chu;
    });
    if (out.idb !== "Đã nhận") throw new Error(`idb: ${out.idb}`);

    // htm 3.1.1 Preact standalone: an ES module from our origin.
    out.htm = await p.evaluate(async () => {
      const { html, render, useState } = await import("/static/vendor/htm/standalone.module.js");
      function Chao() {
        const [ten] = useState("Việt Nam");
        return html`<p class="lead">Xin chào ${ten}</p>`;
      }
      render(html`<${Chao} />`, document.getElementById("preact"));
      return document.getElementById("preact").textContent;
    });
    if (out.htm !== "Xin chào Việt Nam") throw new Error(`htm: ${out.htm}`);

    // barcode-detector 3.2.2 + our zxing_reader.wasm (never jsDelivr).
    out.barcode = await p.evaluate(async () => {
      const api = window.BarcodeDetectionAPI;
      api.prepareZXingModule({
        overrides: {
          locateFile: (file, prefix) => (file.endsWith(".wasm") ? "/static/vendor/zxing-wasm/zxing_reader.wasm" : prefix + file),
        },
      });
      const det = new BarcodeDetector({ formats: ["qr_code", "code_128"] });
      const read = async (id) => {
        const img = document.getElementById(id);
        await img.decode();
        const found = await det.detect(img);
        return found.map((b) => `${b.format}:${b.rawValue}`);
      };
      return { sha: api.ZXING_WASM_SHA256, version: api.ZXING_WASM_VERSION, qr: await read("qr"), c128: await read("c128") };
    });
    if (out.barcode.sha !== wasmSha) throw new Error(`polyfill expects wasm ${out.barcode.sha}, manifest has ${wasmSha}`);
    if (out.barcode.qr.join() !== "qr_code:EA123456785VN" || out.barcode.c128.join() !== "code_128:EA123456785VN") {
      throw new Error(`barcode: ${JSON.stringify(out.barcode)}`);
    }
    if (!wasmResponses.length || wasmResponses.some((w) => w.type !== "application/wasm")) {
      throw new Error(`wasm responses: ${JSON.stringify(wasmResponses)}`);
    }
    out.wasm = wasmResponses.map((w) => new URL(w.url).pathname);

    errors.check();
    await lib.shot(p, "vendor-smoke");
    await ctx.close();
  } finally {
    await srv.close();
  }
  return out;
}
