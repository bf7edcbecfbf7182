// dispatch: the dispatcher's pages in Chromium at 1280 px and 360 px. The
// Go test has covered the zones, added shifts, planned the day and then
// filed one more request, so the page must flag the plan as stale. Here the
// dispatcher sees the map drawn with no tile layer, re-plans with the
// progress bar, publishes, and opens the shift, zone and office pages;
// every page passes axe and has no sideways scroll at 360 px. At 1280 and
// 1920 px the map and the route list sit side by side, both inside the
// first screen; each stop is labelled with its order number on the map and
// in the list, and its tooltip gives the window, the kind, the commune by
// name and the masked address line.
// data: {username, password, office, day}

async function login(lib, page, data) {
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");
}

async function mapReady(lib, page) {
  await page.waitForSelector("#ban-do[data-ready='1']", { timeout: 15_000 });
  const shapes = (await page.locator("#ban-do path.leaflet-interactive").count()) + (await page.locator("#ban-do .stop-icon").count());
  const outlines = await page.locator("#ban-do path").count();
  if (outlines < 20) throw new Error(`map drew only ${outlines} paths`);
  return shapes;
}

// aboveTheFold checks that the map and the route list are side by side and
// both inside the first screen (their bounding boxes), tall enough to use.
async function aboveTheFold(page, width) {
  const vp = page.viewportSize();
  const map = await page.locator("#ban-do").boundingBox();
  const list = await page.locator("#danh-sach-diem").boundingBox();
  if (!map || !list) throw new Error(`${width}: map or list not laid out`);
  const inside = (b) => b.y >= 0 && b.x >= 0 && b.y + b.height <= vp.height + 1 && b.x + b.width <= vp.width + 1;
  if (!inside(map) || !inside(list)) {
    throw new Error(`${width}px: map ${JSON.stringify(map)} or list ${JSON.stringify(list)} not inside the ${vp.width}x${vp.height} first screen`);
  }
  if (list.x < map.x + map.width - 1 || Math.abs(list.y - map.y) > 40) throw new Error(`${width}px: map and list not side by side`);
  if (map.height < 340 || map.width < 600) throw new Error(`${width}px: map only ${map.width}x${map.height}`);
}

export default async function dispatch({ browser, baseURL, data, lib }) {
  const q = `bc=${encodeURIComponent(data.office)}&ngay=${data.day}`;
  const plan = `/nhan-vien/dieu-phoi/ke-hoach?${q}`;

  // ---- 1280 px: re-plan and publish ----
  const ctx = await lib.newDesktopContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page);
  await login(lib, page, data);
  await page.goto(plan);
  await lib.expectText(page, "h1", "Kế hoạch tuyến thu gom");
  await lib.expectText(page, ".alert--warning", "1 yêu cầu mới");
  const shapes = await mapReady(lib, page);
  if (shapes < 12) throw new Error(`map has ${shapes} interactive shapes, want routes and stops`);
  await lib.expectText(page, "#ban-do + p[role=status]", "2 tuyến");
  await page.screenshot({ path: `${lib.outDir()}/dispatch-plan-1280-first-screen.png` });
  await aboveTheFold(page, 1280);
  await lib.checkA11y(page, "dispatch-plan-1280");
  await lib.shot(page, "dispatch-plan-1280");
  // Labels and a tooltip: the first stop's number on the map, its tooltip.
  const label = page.locator("#ban-do .stop-icon .stop-label").first();
  const seq = (await label.innerText()).trim();
  if (!/^\d+$/.test(seq)) throw new Error(`stop label ${seq}`);
  await label.hover();
  await lib.expectText(page, ".leaflet-tooltip", "Hẹn ");
  const tipText = await page.locator(".leaflet-tooltip").first().innerText();
  if (!/(nhận hồ sơ|trả kết quả)/.test(tipText) || !/(Phường|Xã) /.test(tipText)) throw new Error(`stop tooltip: ${tipText}`);
  if (/\b\d{1,4}\s+(ngõ|đường|phố|ngách)/i.test(tipText)) throw new Error(`address not masked in the tooltip: ${tipText}`);
  await page.screenshot({ path: `${lib.outDir()}/dispatch-plan-1280-tooltip.png` });
  await lib.expectText(page, "#danh-sach-diem", "Vị trí gần đúng");
  await lib.expectText(page, ".dispatch-legend", "Bưu cục");

  // Hold the first answers of the progress endpoint so the page can be
  // looked at while "running"; then let the real answers through.
  let held = 0;
  await page.route(/\/tien-do\/[^/]+\/json$/, (route) => {
    if (held < 3) {
      held++;
      return route.fulfill({ json: { done: false, percent: 20 * held, message: `Đang tìm phương án tốt hơn… ${20 * held}%.` } });
    }
    return route.continue();
  });
  await page.selectOption("#thoi-gian", "2");
  await page.getByRole("button", { name: "Lập lại kế hoạch" }).click();
  await lib.expectURL(page, /\/nhan-vien\/dieu-phoi\/(tien-do|ke-hoach)/);
  let sawProgress = false;
  if (page.url().includes("/tien-do/")) {
    sawProgress = true;
    await lib.expectVisible(page, "progress#tien-do");
    await lib.expectText(page, "#tien-do-chu", "Đang tìm phương án");
    await lib.checkA11y(page, "dispatch-progress-1280");
    await lib.shot(page, "dispatch-progress-1280");
  } else {
    lib.log("the re-plan finished before its progress page was served");
  }
  await lib.expectURL(page, /\/ke-hoach\?.*tb=da-lap/, { timeout: 30_000 });
  await lib.expectText(page, ".alert--success", "Đã lập kế hoạch phiên bản 2");
  await mapReady(lib, page);
  const stops = await page.locator("#tuyen-khoi tbody tr").count();
  await page.getByRole("button", { name: "Công bố kế hoạch" }).click();
  await lib.expectURL(page, /tb=cong-bo/);
  await lib.expectText(page, ".alert--success", "Đã công bố");
  await lib.expectText(page, ".kv", "Đã công bố");
  await mapReady(lib, page);
  await lib.checkA11y(page, "dispatch-published-1280");
  await lib.shot(page, "dispatch-published-1280");
  const published = (await page.locator(".alert--success").innerText()).trim();

  // A stop's number opens the citizen's timeline with the visit.
  const first = (await page.locator("#tuyen-khoi tbody tr .code-id").first().innerText()).trim();
  await page.goto(`/tra-cuu/${first}`);
  await lib.expectText(page, ".timeline", "Đã hẹn lịch thu gom");

  for (const [path, name] of [[`/nhan-vien/dieu-phoi/ca?${q}`, "shifts"], [`/nhan-vien/dieu-phoi/vung?bc=${data.office}`, "zones"], ["/nhan-vien/dieu-phoi/buu-cuc", "offices"]]) {
    await page.goto(path);
    await lib.expectVisible(page, "nav.dispatch-tabs a[aria-current=page]");
    if (name === "zones") {
      await mapReady(lib, page);
      await page.locator(".dispatch-communes__list > summary").click();
      await lib.expectVisible(page, "#xa-dau-tien");
    }
    await lib.checkA11y(page, `dispatch-${name}-1280`);
    await lib.shot(page, `dispatch-${name}-1280`);
  }
  errors.check();
  await ctx.close();

  // ---- 1920 px: the same first screen ----
  const wide = await lib.newDesktopContext(browser, { baseURL, viewport: { width: 1920, height: 1080 } });
  const w = await wide.newPage();
  lib.guardOrigin(w, baseURL);
  const werr = lib.watchErrors(w);
  await login(lib, w, data);
  await w.goto(plan);
  await mapReady(lib, w);
  await w.screenshot({ path: `${lib.outDir()}/dispatch-plan-1920-first-screen.png` });
  await aboveTheFold(w, 1920);
  await lib.checkA11y(w, "dispatch-plan-1920");
  werr.check();
  await wide.close();

  // ---- 360 px ----
  const phone = await lib.newPhoneContext(browser, { baseURL });
  const p = await phone.newPage();
  lib.guardOrigin(p, baseURL);
  const perr = lib.watchErrors(p, { ignore: [/\b422\b.*\/dieu-phoi\/ca/, /\/dieu-phoi\/ca.*\b422\b/, /status of 422/] });
  await login(lib, p, data);
  await p.goto(plan);
  await mapReady(lib, p);
  await lib.expectNoOverflow(p);
  await lib.checkA11y(p, "dispatch-plan-360");
  await lib.shot(p, "dispatch-plan-360");
  await p.locator("#ban-do").scrollIntoViewIfNeeded();
  await p.screenshot({ path: `${lib.outDir()}/dispatch-plan-360-map.png` });
  for (const [path, name] of [[`/nhan-vien/dieu-phoi/ca?${q}`, "shifts"], [`/nhan-vien/dieu-phoi/vung?bc=${data.office}`, "zones"], ["/nhan-vien/dieu-phoi/buu-cuc", "offices"]]) {
    await p.goto(path);
    if (name === "zones") await mapReady(lib, p);
    await lib.expectNoOverflow(p);
    await lib.checkA11y(p, `dispatch-${name}-360`);
    await lib.shot(p, `dispatch-${name}-360`);
    await p.screenshot({ path: `${lib.outDir()}/dispatch-${name}-360-top.png` });
  }
  // A shift form error at 360 px: zero capacity is named.
  await p.goto(`/nhan-vien/dieu-phoi/ca?${q}`);
  await p.selectOption("#ca-buu-ta", { index: 1 });
  await p.fill("#ca-ngay", data.day);
  await p.fill("#ca-so-ngay", "1");
  await p.fill("#ca-suc-cho", "0");
  await p.getByRole("button", { name: "Thêm ca" }).click();
  await lib.expectText(p, ".error-summary", "sức chở 0");
  await lib.expectNoOverflow(p);
  await lib.checkA11y(p, "dispatch-shift-error-360");
  await lib.shot(p, "dispatch-shift-error-360");
  perr.check();
  await phone.close();
  return { stops, published, sawProgress };
}
