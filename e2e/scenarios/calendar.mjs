// calendar: the working-day calendar (issue 18 item 5) at 360 px and
// 1280 px, axe clean, no sideways scroll, screenshots in e2e/out/.
// - The admin's calendar page for 2026 (seeded); a bad day refused beside
//   its field; a day added; a CSV with a bad row named; the desk's
//   Saturday rule.
// - The citizen's tracking page with the appointment date after proving it.
// - The staff parcel page with both dates.
// data: {admin: {username, password}, year, number, last4}

async function signIn(page, username, password) {
  await page.goto("/dang-nhap");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.press("#password", "Enter");
  await page.waitForLoadState("domcontentloaded");
}

async function check(lib, page, name) {
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, name);
  await lib.shot(page, name);
}

export default async function calendar({ browser, baseURL, data, lib }) {
  const result = {};
  for (const [width, newContext, day] of [["360", lib.newPhoneContext, "06-10"], ["1280", lib.newDesktopContext, "06-11"]]) {
    const ctx = await newContext(browser, { baseURL });
    const page = await ctx.newPage();
    lib.guardOrigin(page, baseURL);
    const errors = lib.watchErrors(page, { ignore: [/status of 422/, /HTTP 422/] });
    await signIn(page, data.admin.username, data.admin.password);

    await page.goto("/nhan-vien/lich?nam=2026");
    await lib.expectText(page, "h1", "Lịch ngày nghỉ năm 2026");
    await lib.expectText(page, "table", "Tết Nguyên đán (mùng 1)");
    await check(lib, page, `calendar-2026-${width}`);

    await page.goto(`/nhan-vien/lich?nam=${data.year}`);
    // The date left empty (a browser's date field takes no impossible date).
    await page.fill("#name", "Ngày thử");
    await page.click("button:has-text('Thêm ngày')");
    await lib.expectText(page, ".error-summary", "Chọn ngày");
    await lib.expectVisible(page, "#date[aria-invalid='true']");
    await check(lib, page, `calendar-error-${width}`);
    await page.fill("#date", `${data.year}-${day}`);
    await page.fill("#name", `Ngày nghỉ thử ${width}`);
    await page.check("#kind-holiday");
    await page.click("button:has-text('Thêm ngày')");
    await lib.expectText(page, ".alert--success", `Ngày nghỉ thử ${width}`);
    await check(lib, page, `calendar-added-${width}`);

    await page.fill("#csv", `${data.year}-01-01,nghỉ,Tết Dương lịch\n${data.year}-02-30,nghỉ,Ngày sai\n`);
    await page.click("button:has-text('Nhập lịch')");
    await lib.expectText(page, ".error-summary", "dòng 2");
    await check(lib, page, `calendar-import-error-${width}`);

    await page.goto("/nhan-vien/lich/mot-cua/TN-TTPVHCC");
    await lib.expectText(page, "h1", "Ngày làm việc của");
    await page.check("#saturday-no");
    await page.click("button:has-text('Lưu')");
    await lib.expectText(page, ".alert--success", "Đã lưu");
    await check(lib, page, `calendar-desk-${width}`);

    await page.goto(`/nhan-vien/buu-gui/${data.number}`);
    await lib.expectText(page, "main", "Ngày hẹn trả");
    await check(lib, page, `calendar-staff-parcel-${width}`);
    errors.check();
    await ctx.close();

    // The citizen, in a fresh context.
    const cctx = await newContext(browser, { baseURL });
    const cpage = await cctx.newPage();
    lib.guardOrigin(cpage, baseURL);
    await cpage.goto(`/tra-cuu/${data.number}`);
    await cpage.fill("#so_cuoi", data.last4);
    await cpage.press("#so_cuoi", "Enter");
    await cpage.waitForLoadState("domcontentloaded");
    await lib.expectText(cpage, "main", "Ngày hẹn trả kết quả");
    await check(lib, cpage, `calendar-track-${width}`);
    result[`track${width}`] = true;
    await cctx.close();
  }
  return result;
}
