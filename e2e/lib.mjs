// lib.mjs: helpers for the browser scenarios (Debian Chromium driven by
// playwright-core). Scenarios receive this module as `lib`; see README.md.
//
// Conventions:
//  - Everything that fails throws an Error whose message says what was
//    expected and what was found; run.mjs turns it into {"ok":false,...}.
//  - Log with lib.log (stderr). stdout belongs to run.mjs's JSON line.

import { chromium } from "playwright-core";
import { createHash } from "node:crypto";
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Path of the Chromium binary; override with $CHROMIUM. */
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Flags every launch gets (playwright adds more of its own). */
export const BASE_ARGS = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
]);

/**
 * With offline (the default), names other than localhost do not resolve, so
 * nothing can reach the internet even if a page asks (guardOrigin still
 * records and fails such requests).
 */
export const OFFLINE_ARGS = Object.freeze([
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]);

/** Arguments for a fake camera that plays a .y4m or .mjpeg file. */
export function fakeCameraArgs(file) {
  return [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${file}`,
  ];
}

// ---------------------------------------------------------------------------
// Per-run state, reset by run.mjs (one scenario per process).

const state = {
  outDir: path.join(here, "out"),
  screenshots: [],
  guards: [],
  watchers: [],
  // CSP hashes of scripts this library injects itself (axe): the browser's
  // refusal to run them inline is expected, not a page error.
  ownScriptHashes: new Set(),
};

/** Sets the screenshot directory (run.mjs --out). */
export function setOutDir(dir) {
  state.outDir = path.resolve(dir);
}

/** Directory screenshots and axe reports go to. */
export function outDir() {
  return state.outDir;
}

/** Paths of the screenshots taken so far in this run. */
export function screenshots() {
  return [...state.screenshots];
}

/** Logs to stderr (stdout is reserved for run.mjs's result line). */
export function log(...args) {
  console.error("[e2e]", ...args);
}

// ---------------------------------------------------------------------------
// Browser and contexts.

/**
 * Starts Chromium headless.
 * @param {{offline?: boolean, extraArgs?: string[], executablePath?: string, timeout?: number}} [opts]
 *   offline (default true): resolve only localhost/127.0.0.1.
 *   extraArgs: more flags, e.g. fakeCameraArgs("label.y4m").
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launch({ offline = true, extraArgs = [], executablePath = CHROMIUM, timeout = 30_000 } = {}) {
  return chromium.launch({
    executablePath,
    headless: true,
    chromiumSandbox: false,
    timeout,
    args: [...BASE_ARGS, ...(offline ? OFFLINE_ARGS : []), ...extraArgs],
  });
}

const commonContext = {
  locale: "vi-VN",
  timezoneId: "Asia/Ho_Chi_Minh",
  colorScheme: "light",
  acceptDownloads: true,
};

/**
 * A phone: 360x800 CSS px, touch, vi-VN, Asia/Ho_Chi_Minh.
 * Extra Playwright context options (permissions, deviceScaleFactor,
 * reducedMotion, ...) are passed through.
 */
export async function newPhoneContext(browser, { baseURL, ...opts } = {}) {
  return browser.newContext({
    ...commonContext,
    baseURL,
    viewport: { width: 360, height: 800 },
    screen: { width: 360, height: 800 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ...opts,
  });
}

/** A desktop: 1280x800 CSS px, vi-VN, Asia/Ho_Chi_Minh. */
export async function newDesktopContext(browser, { baseURL, ...opts } = {}) {
  return browser.newContext({
    ...commonContext,
    baseURL,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    ...opts,
  });
}

// ---------------------------------------------------------------------------
// Origin guard and page error watcher.

const harmlessSchemes = new Set(["data:", "blob:", "about:", "chrome-extension:", "chrome:", "devtools:"]);

/**
 * Records every request (including workers' and WebSockets) from the page's
 * context to an origin other than baseURL's. The test fails: run.mjs calls
 * check() on every guard after the scenario, and you can call it earlier.
 * @returns {{foreign: string[], check(): void}}
 */
export function guardOrigin(page, baseURL) {
  const origin = new URL(baseURL).origin;
  const guard = {
    origin,
    foreign: [],
    check() {
      if (guard.foreign.length) {
        throw new Error(`requests to another origin than ${origin}:\n  ${[...new Set(guard.foreign)].join("\n  ")}`);
      }
    },
  };
  const note = (url) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      guard.foreign.push(String(url));
      return;
    }
    if (harmlessSchemes.has(u.protocol)) return;
    if (u.origin !== origin) guard.foreign.push(url);
  };
  const ctx = page.context();
  if (!ctx.__originGuards) {
    ctx.__originGuards = [];
    ctx.on("request", (req) => ctx.__originGuards.forEach((g) => g(req.url())));
  }
  ctx.__originGuards.push(note);
  page.on("websocket", (ws) => note(ws.url()));
  state.guards.push(guard);
  return guard;
}

/**
 * Records console errors, uncaught exceptions, CSP violations and failed
 * same-page requests (4xx/5xx and network errors). check() throws if any.
 * Pass ignore (RegExp[]) for messages a scenario expects.
 */
export function watchErrors(page, { ignore = [] } = {}) {
  const w = {
    errors: [],
    check() {
      const own = (e) => [...state.ownScriptHashes].some((h) => e.includes(h));
      const left = w.errors.filter((e) => !own(e) && !ignore.some((re) => re.test(e)));
      if (left.length) throw new Error(`page errors:\n  ${left.join("\n  ")}`);
    },
  };
  page.on("console", (m) => {
    if (m.type() === "error") {
      const at = m.location()?.url;
      w.errors.push(`console: ${m.text()}${at ? ` (${at})` : ""}`);
    }
  });
  page.on("pageerror", (e) => w.errors.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText ?? "";
    // A static file (font, icon, stylesheet) still loading when the page
    // navigates (a form posted, a link followed) is aborted by the browser
    // itself: not a failure of ours. A server error on it still shows as an
    // HTTP status below, and any other network error is reported.
    if (why === "net::ERR_ABORTED" && new URL(r.url()).pathname.startsWith("/static/")) return;
    w.errors.push(`request failed: ${r.url()} (${why})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) w.errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  state.watchers.push(w);
  return w;
}

/** Throws for the first guard or watcher with findings (run.mjs calls it). */
export function checkGuards() {
  const problems = [];
  for (const g of [...state.guards, ...state.watchers]) {
    try {
      g.check();
    } catch (e) {
      problems.push(e.message);
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Accessibility.

let axeSource;

/**
 * Runs axe-core (from node_modules) on the page. Throws listing every
 * violation of impact "serious" or "critical" (each rule, its help text and
 * the elements); returns the full list of violations otherwise.
 * The full list is also written to <out>/<label>.axe.json when non-empty.
 *
 * axe is injected with addScriptTag({content}); if the page's CSP blocks
 * inline scripts (ours does), it is evaluated through the DevTools protocol
 * instead, which CSP does not govern. Either way the page's CSP stays on.
 * @param {object} [opts] axe.run options, e.g. {rules: {region: {enabled: false}}}
 */
export async function checkA11y(page, label, opts = {}) {
  if (axeSource === undefined) {
    axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
    state.ownScriptHashes.add(`sha256-${createHash("sha256").update(axeSource).digest("base64")}`);
  }
  const present = () => page.evaluate(() => typeof window.axe === "object");
  if (!(await present())) {
    try {
      await page.addScriptTag({ content: axeSource });
    } catch {
      // CSP refusal surfaces as an error or as a silently ignored tag.
    }
    if (!(await present())) {
      await page.evaluate(axeSource);
    }
    if (!(await present())) throw new Error(`checkA11y(${label}): could not load axe-core into the page`);
  }
  const result = await page.evaluate(
    (options) => window.axe.run(document, { resultTypes: ["violations"], ...options }),
    opts,
  );
  const violations = result.violations;
  if (violations.length) {
    await mkdir(state.outDir, { recursive: true });
    await writeFile(path.join(state.outDir, `${safeName(label)}.axe.json`), JSON.stringify(violations, null, 2));
  }
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    const lines = bad.map(
      (v) =>
        `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .map((n) => `      ${n.target.join(" ")}: ${n.failureSummary?.replace(/\s+/g, " ") ?? ""}`)
          .join("\n"),
    );
    throw new Error(`axe (${label}): ${bad.length} serious/critical violation(s):\n  ${lines.join("\n  ")}`);
  }
  if (violations.length) {
    log(`axe (${label}): ${violations.length} minor/moderate: ${violations.map((v) => v.id).join(", ")}`);
  }
  return violations;
}

// ---------------------------------------------------------------------------
// Screenshots.

function safeName(name) {
  return String(name).replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
}

/** Saves a full-page PNG to <out>/<name>.png and returns its path. */
export async function shot(page, name) {
  await mkdir(state.outDir, { recursive: true });
  const file = path.join(state.outDir, `${safeName(name)}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  state.screenshots.push(file);
  return file;
}

/**
 * Prints the page with its print stylesheet to <out>/<name>.pdf (A4, as the
 * browser's print dialog would) and returns the path; listed with the
 * screenshots. Rasterise with `pdftoppm -png -r 60` to look at it.
 */
export async function printPDF(page, name) {
  await mkdir(state.outDir, { recursive: true });
  const file = path.join(state.outDir, `${safeName(name)}.pdf`);
  await page.emulateMedia({ media: "print" });
  try {
    await page.pdf({ path: file, format: "A4", printBackground: true, preferCSSPageSize: true });
  } finally {
    await page.emulateMedia({ media: null });
  }
  state.screenshots.push(file);
  return file;
}

// ---------------------------------------------------------------------------
// Small assertions. Texts are compared after NFC normalisation.

const nfc = (s) => String(s ?? "").normalize("NFC").replace(/\s+/g, " ").trim();

/** Waits until selector's text contains text (NFC); throws with the actual text. */
export async function expectText(page, selector, text, { timeout = 5_000 } = {}) {
  const loc = page.locator(selector).first();
  const want = nfc(text);
  const deadline = Date.now() + timeout;
  let got = "";
  let found = false;
  for (;;) {
    found = (await loc.count()) > 0;
    got = found ? nfc(await loc.textContent().catch(() => null)) : "";
    if (found && got.includes(want)) return got;
    if (Date.now() > deadline) break;
    await page.waitForTimeout(100);
  }
  const what = found ? `got ${JSON.stringify(got)}` : "no such element";
  throw new Error(`expectText(${selector}): want text containing ${JSON.stringify(want)}, ${what}`);
}

/** Waits until selector is visible. */
export async function expectVisible(page, selector, { timeout = 5_000 } = {}) {
  try {
    await page.locator(selector).first().waitFor({ state: "visible", timeout });
  } catch {
    throw new Error(`expectVisible(${selector}): not visible after ${timeout} ms`);
  }
}

/** Checks that selector matches exactly n elements (after waiting for n). */
export async function expectCount(page, selector, n, { timeout = 5_000 } = {}) {
  const deadline = Date.now() + timeout;
  let got;
  for (;;) {
    got = await page.locator(selector).count();
    if (got === n || Date.now() > deadline) break;
    await page.waitForTimeout(100);
  }
  if (got !== n) throw new Error(`expectCount(${selector}): want ${n}, got ${got}`);
}

/** Waits until the page URL matches (string: path suffix; RegExp: test). */
export async function expectURL(page, want, { timeout = 5_000 } = {}) {
  const ok = (u) => (want instanceof RegExp ? want.test(u) : new URL(u).pathname + new URL(u).search === want || u === want);
  try {
    await page.waitForURL((u) => ok(u.toString()), { timeout });
  } catch {
    throw new Error(`expectURL: want ${want}, at ${page.url()}`);
  }
}

/**
 * Checks that nothing makes the page scroll sideways (the 360 px rule):
 * the document is no wider than the viewport, and lists elements that stick
 * out to the right (inside a scroll container such as .table-wrap is fine).
 */
export async function expectNoOverflow(page) {
  const res = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const doc = document.scrollingElement.scrollWidth;
    const culprits = [];
    const scrollsX = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p).overflowX;
        if (s === "auto" || s === "scroll" || s === "hidden") return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > vw + 1 && !scrollsX(el)) {
        const id = el.id ? `#${el.id}` : "";
        const cls = el.classList.length ? `.${[...el.classList].join(".")}` : "";
        culprits.push(`${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(r.right)}`);
      }
    }
    return { vw, doc, culprits: culprits.slice(0, 15) };
  });
  if (res.doc > res.vw || res.culprits.length) {
    throw new Error(
      `page overflows the ${res.vw}px viewport (document ${res.doc}px wide):\n  ${res.culprits.join("\n  ")}`,
    );
  }
}

/**
 * Checks that the web font is really used: waits for document.fonts and
 * requires, for every character of sample, a loaded face of family whose
 * unicode-range covers it (so the vietnamese subset really came down).
 * Render sample in that family first (it is on the page, or pass text that
 * is) because a browser downloads a subset only when a glyph needs it.
 */
export async function expectFontLoaded(page, family = "Be Vietnam Pro", sample = "Đường Ữ Ỵ ₫") {
  const res = await page.evaluate(
    async ([family, sample]) => {
      await document.fonts.ready;
      const faces = [...document.fonts].filter(
        (f) => f.family.replace(/["']/g, "") === family && f.status === "loaded",
      );
      const covers = (range, cp) =>
        range.split(",").some((part) => {
          const [lo, hi] = part.trim().replace(/^U\+/i, "").split("-");
          const a = parseInt(lo, 16);
          const b = hi === undefined ? a : parseInt(hi, 16);
          return cp >= a && cp <= b;
        });
      const missing = [...sample]
        .filter((ch) => ch.trim())
        .filter((ch) => !faces.some((f) => covers(f.unicodeRange, ch.codePointAt(0))));
      return { loaded: faces.map((f) => `${f.weight}:${f.unicodeRange.slice(0, 24)}`), missing };
    },
    [family, sample],
  );
  if (!res.loaded.length || res.missing.length) {
    throw new Error(
      `font ${family}: no loaded face for ${JSON.stringify(res.missing.join(""))} (loaded: ${res.loaded.join("; ") || "none"})`,
    );
  }
  return res.loaded;
}
