#!/usr/bin/env node
// lighthouse.mjs measures pages with Lighthouse's mobile preset (simulated
// slow 4G and a 4x slower CPU, a 412 px phone) in Debian's Chromium and
// prints one JSON line: each URL's performance, accessibility and best
// practices scores and its main timings.
//
//   node e2e/lighthouse.mjs URL...
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.error("usage: node e2e/lighthouse.mjs URL...");
  process.exit(2);
}
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
const out = [];
try {
  for (const url of urls) {
    const r = await lighthouse(url, { port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"] });
    const a = r.lhr.audits, c = r.lhr.categories;
    out.push({
      url,
      performance: Math.round(c.performance.score * 100),
      accessibility: Math.round(c.accessibility.score * 100),
      best_practices: Math.round(c["best-practices"].score * 100),
      fcp_ms: Math.round(a["first-contentful-paint"].numericValue),
      lcp_ms: Math.round(a["largest-contentful-paint"].numericValue),
      tbt_ms: Math.round(a["total-blocking-time"].numericValue),
      cls: Number(a["cumulative-layout-shift"].numericValue.toFixed(3)),
      bytes: a["total-byte-weight"].numericValue,
    });
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(out) + "\n");
