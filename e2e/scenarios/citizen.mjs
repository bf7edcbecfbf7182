// citizen: a citizen asks for a pickup on a 360 px phone, using the keyboard
// where a person would: dossier code and phone → one-time code (read by a
// staff user from the demo SMS page, as in the demo) → commune found without
// diacritics → address, desk, window, documents → confirmation → timeline.
// data: {dossier, phone, staff: {username, password}}

async function readCode(lib, browser, baseURL, staff, last3) {
  const ctx = await lib.newDesktopContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  await page.goto("/dang-nhap");
  await page.fill("#username", staff.username);
  await page.fill("#password", staff.password);
  await page.click("button[type=submit]");
  await page.goto("/nhan-vien/tin-nhan");
  const row = page.locator("tbody tr", { hasText: `xxx ${last3}` }).first();
  const text = await row.innerText();
  const m = text.match(/Ma xac nhan (\d{6})/);
  if (!m) throw new Error(`no code in SMS row: ${text}`);
  await ctx.close();
  return m[1];
}

export default async function citizen({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: [/\b422\b.*\/yeu-cau/, /\/yeu-cau.*\b422\b/, /status of 422/] });

  // Step 1: dossier code and phone, with a wrong phone first.
  await page.goto("/yeu-cau");
  await lib.expectText(page, "h1", "Yêu cầu thu gom hồ sơ tại nhà");
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Yêu cầu thu gom hồ sơ");
  await lib.checkA11y(page, "citizen-start-360");
  await lib.shot(page, "citizen-start-360");
  await page.fill("#dossier_code", data.dossier);
  await page.fill("#phone", "12345");
  await page.press("#phone", "Enter");
  await lib.expectText(page, ".error-summary", "10 chữ số");
  await lib.checkA11y(page, "citizen-start-error-360");
  await lib.shot(page, "citizen-start-error-360");
  await page.fill("#phone", data.phone);
  await page.press("#phone", "Enter");
  await lib.expectURL(page, "/yeu-cau/xac-minh");
  await lib.expectText(page, "main", data.phone.slice(0, 2) + "xx xxx " + data.phone.slice(-3));
  await lib.checkA11y(page, "citizen-verify-360");
  await lib.shot(page, "citizen-verify-360");

  // Step 2: a wrong code, then the right one, typed and sent with Enter.
  await page.fill("#code", "000000");
  await page.press("#code", "Enter");
  await lib.expectText(page, ".error-summary", "Mã không đúng");
  const code = await readCode(lib, browser, baseURL, data.staff, data.phone.slice(-3));
  await page.fill("#code", code);
  await page.press("#code", "Enter");
  await lib.expectURL(page, "/yeu-cau/thong-tin");

  // Step 3: find the commune without diacritics.
  await lib.checkA11y(page, "citizen-commune-360");
  await page.fill("#commune", "phan dinh phung");
  await page.press("#commune", "Enter");
  await lib.expectText(page, ".choice-list", "Phường Phan Đình Phùng");
  await lib.shot(page, "citizen-commune-results-360");
  await page.locator(".choice-list a", { hasText: "Phan Đình Phùng" }).first().click();
  await lib.expectText(page, "main", "Phường Phan Đình Phùng, Tỉnh Thái Nguyên");

  // Submit once without a name and window: errors next to the fields.
  await page.click("#pickup-form button[type=submit]");
  await lib.expectText(page, ".error-summary", "họ và tên");
  await lib.checkA11y(page, "citizen-details-errors-360");
  await lib.shot(page, "citizen-details-errors-360");

  await page.fill("#full_name", "Lường Thị Hoà");
  await page.fill("#line", "Số 7, tổ 12, đường Hoàng Văn Thụ");
  await page.selectOption("#desk", { index: 1 });
  const slot = await page.$$eval("#slot option:not([disabled])", (os) => os.map((o) => o.value).filter(Boolean)[0]);
  await page.selectOption("#slot", slot);
  if (!(await page.inputValue("#doc_name_0"))) {
    await page.fill("#doc_name_0", "Tờ khai đăng ký khai sinh");
    await page.selectOption("#doc_kind_0", "original");
    await page.fill("#doc_count_0", "1");
    await page.fill("#doc_name_1", "Giấy chứng sinh");
    await page.selectOption("#doc_kind_1", "original");
    await page.fill("#doc_count_1", "1");
  }
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "citizen-details-360");
  await lib.shot(page, "citizen-details-360");
  await page.click("#pickup-form button[type=submit]");
  await lib.expectURL(page, /\/yeu-cau\/xong\/E[A-Z]\d{9}VN$/);
  await lib.expectText(page, "h1", "Đã gửi yêu cầu thu gom");
  const number = (await page.locator(".alert .code-id").innerText()).trim();
  await lib.checkA11y(page, "citizen-done-360");
  await lib.shot(page, "citizen-done-360");

  // The timeline, without JavaScript.
  await page.click("text=Xem hành trình hồ sơ");
  await lib.expectURL(page, `/tra-cuu/${number}`);
  await lib.expectText(page, ".timeline", "Đã tiếp nhận yêu cầu thu gom hồ sơ");
  await lib.expectText(page, "main", "L. T. H.");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "citizen-timeline-360");
  await lib.shot(page, "citizen-timeline-360");
  errors.check();
  await ctx.close();

  const noJS = await lib.newPhoneContext(browser, { baseURL, javaScriptEnabled: false });
  const p2 = await noJS.newPage();
  await p2.goto(`/tra-cuu/${number}`);
  await lib.expectText(p2, ".timeline", "Đã tiếp nhận yêu cầu thu gom hồ sơ");
  await noJS.close();
  return { number };
}
