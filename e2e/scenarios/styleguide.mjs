// styleguide: serves internal/web/assets/static/ under /static/ from a tiny
// Node server on 127.0.0.1:0 (with the production CSP), opens
// css/styleguide.html on a phone (360 px) and a desktop (1280 px), and checks:
// no request leaves the origin, no console/CSP error, no serious or critical
// axe violation, no sideways overflow at 360 px, Be Vietnam Pro really loaded
// for Vietnamese text, the stacked table and reduced motion behave. Takes
// screenshots (360 px, 1280 px) and a print PDF to look at. --base is ignored.

import { serveStatic } from "../static.mjs";

export const ignoresBase = true;

async function openStyleguide(lib, context, baseURL, label) {
  const page = await context.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page);
  const resp = await page.goto("/static/css/styleguide.html", { waitUntil: "load" });
  if (!resp || resp.status() !== 200) throw new Error(`${label}: styleguide.html answered ${resp?.status()}`);
  await lib.expectText(page, "h1", "Bộ mẫu giao diện");
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Đường Ữ Ỵ ₫ Aa");
  errors.check();
  return page;
}

export default async function styleguide({ browser, lib }) {
  const srv = await serveStatic();
  const out = { viewports: {} };
  try {
    // Phone, 360 px.
    const phone = await lib.newPhoneContext(browser, { baseURL: srv.baseURL });
    const p = await openStyleguide(lib, phone, srv.baseURL, "phone");
    await lib.expectNoOverflow(p);
    const phoneAxe = await lib.checkA11y(p, "styleguide-360");
    // Stacked table shows its column names as labels.
    const label = await p.locator(".table--stack td").first().evaluate((td) => getComputedStyle(td, "::before").content);
    if (!label.includes("Thứ tự")) throw new Error(`stacked table label is ${label}, want "Thứ tự"`);
    // Buttons and inputs are at least 48 px high.
    const small = await p.evaluate(() =>
      [...document.querySelectorAll(".btn, .field input:not([type=checkbox]):not([type=radio]), .field select, .pagination a, .site-nav a")]
        .filter((el) => el.getBoundingClientRect().height < 48)
        .map((el) => `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" ${el.getBoundingClientRect().height}px`),
    );
    if (small.length) throw new Error(`targets under 48px:\n  ${small.join("\n  ")}`);
    // An invalid field shows the error colour (specificity regression guard).
    const invalid = await p.locator("#cccd").evaluate((el) => {
      const s = getComputedStyle(el);
      return { border: s.borderTopColor, width: s.borderTopWidth, font: s.fontFamily };
    });
    if (invalid.border !== "rgb(180, 35, 24)" || invalid.width !== "3px" || !/mono/i.test(invalid.font)) {
      throw new Error(`aria-invalid input not styled as an error: ${JSON.stringify(invalid)}`);
    }
    // Focus ring: tab to the skip link and see it on screen with an outline.
    await p.keyboard.press("Tab");
    const skip = await p.evaluate(() => {
      const el = document.activeElement;
      const r = el.getBoundingClientRect();
      return { cls: el.className, top: r.top, outline: getComputedStyle(el).outlineStyle };
    });
    if (skip.cls !== "skip-link" || skip.top < 0 || skip.outline === "none") {
      throw new Error(`skip link on first Tab: ${JSON.stringify(skip)}`);
    }
    await lib.shot(p, "styleguide-360-skiplink-focus");
    await p.mouse.click(1, 1);
    await lib.shot(p, "styleguide-360");
    out.viewports.phone = { axeMinor: phoneAxe.map((v) => v.id) };

    // Reduced motion: the spinner stops turning but stays visible.
    await p.emulateMedia({ reducedMotion: "reduce" });
    const spin = await p.locator(".spinner").first().evaluate((el) => {
      const s = getComputedStyle(el, "::before");
      return { count: s.animationIterationCount, border: s.borderTopStyle };
    });
    if (spin.count !== "1" || spin.border !== "dotted") throw new Error(`reduced motion spinner: ${JSON.stringify(spin)}`);
    await p.emulateMedia({ reducedMotion: null });

    await phone.close();

    // Desktop, 1280 px.
    const desk = await lib.newDesktopContext(browser, { baseURL: srv.baseURL });
    const d = await openStyleguide(lib, desk, srv.baseURL, "desktop");
    await lib.expectNoOverflow(d);
    const deskAxe = await lib.checkA11y(d, "styleguide-1280");
    await lib.shot(d, "styleguide-1280");

    // Print stylesheet: navigation and buttons gone; a PDF to look at.
    await d.emulateMedia({ media: "print" });
    const printed = await d.evaluate(() => ({
      nav: getComputedStyle(document.querySelector(".site-nav")).display,
      btn: getComputedStyle(document.querySelector(".btn")).display,
      badge: getComputedStyle(document.querySelector(".badge--delivered")).backgroundColor,
    }));
    if (printed.nav !== "none" || printed.btn !== "none") throw new Error(`print: nav/buttons still shown ${JSON.stringify(printed)}`);
    await d.emulateMedia({ media: null });
    await lib.printPDF(d, "styleguide-print");
    out.viewports.desktop = { axeMinor: deskAxe.map((v) => v.id) };
    await desk.close();
  } finally {
    await srv.close();
  }
  return out;
}
