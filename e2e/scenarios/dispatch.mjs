// dispatch: the dispatcher's pages in Chromium at 1280 px and 360 px. The
// Go test has covered the zones, added shifts, planned the day and then
// filed one more request, so the page must flag the plan as stale. Here the
// dispatcher sees the map drawn with no tile layer, re-plans with the
// progress bar, publishes, and opens the shift, zone and office pages;
// every page passes axe and has no sideways scroll at 360 px.
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
  const shapes = await page.locator("#ban-do path.leaflet-interactive").count();
  const outlines = await page.locator("#ban-do path").count();
  if (outlines < 20) throw new Error(`map drew only ${outlines} paths`);
  return shapes;
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
  await lib.checkA11y(page, "dispatch-plan-1280");
  await lib.shot(page, "dispatch-plan-1280");

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
