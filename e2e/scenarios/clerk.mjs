// clerk: a desk clerk makes a pickup request on a citizen's behalf at 360 px.
// data: {username, password, dossier, phone}
export default async function clerk({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: [/HTTP 401: .*\/dang-nhap/, /HTTP 422: .*\/nhan-vien\/yeu-cau/, /status of (401|422)/] });
  await page.goto("/nhan-vien/yeu-cau");
  await lib.expectURL(page, /\/dang-nhap/);
  await lib.checkA11y(page, "login-360");
  await lib.shot(page, "login-360");
  await page.fill("#username", data.username);
  await page.fill("#password", "sai-mat-khau");
  await page.press("#password", "Enter");
  await lib.expectText(page, ".error-summary", "Sai tên đăng nhập hoặc mật khẩu");
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien/yeu-cau");
  await lib.expectText(page, "h1", "Tạo yêu cầu thu gom thay công dân");
  await page.fill("#commune", "Quyet Thang");
  await page.press("#commune", "Enter");
  await page.locator(".choice-list a", { hasText: "Quyết Thắng" }).first().click();
  await lib.expectText(page, "main", "Phường Quyết Thắng");
  await page.fill("#dossier_code", data.dossier);
  await page.fill("#phone", "0987 654 321");
  await page.fill("#full_name", "Ma Văn Sơn");
  await page.fill("#line", "Xóm Cây Thị");
  const slot = await page.$$eval("#slot option:not([disabled])", (os) => os.map((o) => o.value).filter(Boolean)[2]);
  await page.selectOption("#slot", slot);
  await page.fill("#doc_name_0", "Tờ khai yêu cầu cấp phiếu lý lịch tư pháp");
  await page.fill("#doc_name_1", "Căn cước công dân");
  await page.selectOption("#doc_kind_1", "certified_copy");
  await page.fill("#id_number", "0191");
  await page.click("#pickup-form button[type=submit]");
  await lib.expectText(page, ".error-summary", "12 chữ số");
  await lib.checkA11y(page, "clerk-errors-360");
  await lib.shot(page, "clerk-errors-360");
  await page.fill("#id_number", "019123456789");
  await page.click("#pickup-form button[type=submit]");
  await lib.expectURL(page, /\/tra-cuu\/E[A-Z]\d{9}VN/);
  await lib.expectText(page, ".timeline", "Cán bộ tạo yêu cầu thay công dân");
  const number = (await page.locator("h1 .code-id").innerText()).trim();
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "clerk-done-360");
  await lib.shot(page, "clerk-done-360");
  errors.check();
  return { number };
}
