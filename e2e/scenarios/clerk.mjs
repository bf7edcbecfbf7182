// clerk: a desk clerk makes a pickup request on a citizen's behalf at 360 px.
// A submit with errors comes back to the form by a redirect (Post/Redirect/
// Get) with everything typed kept and the message beside the field; going
// Back then does not file anything. The request ends on the success page
// with "In biên nhận" and "Tạo yêu cầu khác".
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
  await lib.expectURL(page, /\/nhan-vien\/yeu-cau$/);
  await lib.expectText(page, ".error-summary", "Số căn cước công dân");
  await lib.expectVisible(page, "#id_number[aria-invalid=true]");
  if ((await page.inputValue("#full_name")) !== "Ma Văn Sơn" || (await page.inputValue("#line")) !== "Xóm Cây Thị") {
    throw new Error("the form after the redirect lost what was typed");
  }
  if (page.url().includes("0987") || page.url().includes("Ma%20V")) throw new Error(`personal data in the URL: ${page.url()}`);
  await lib.checkA11y(page, "clerk-errors-360");
  await lib.shot(page, "clerk-errors-360");
  await page.fill("#id_number", "019123456789");
  await page.click("#pickup-form button[type=submit]");
  await lib.expectURL(page, /\/nhan-vien\/yeu-cau\/xong\/E[A-Z]\d{9}VN$/);
  await lib.expectText(page, ".alert--success .alert__title", "Đã tạo yêu cầu thu gom");
  await lib.expectVisible(page, 'a.btn[href^="/nhan-vien/in/bien-nhan/"]');
  await lib.expectVisible(page, 'a.btn[href="/nhan-vien/yeu-cau"]');
  const number = (await page.locator(".alert--success .code-id").innerText()).trim();
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "clerk-done-360");
  await lib.shot(page, "clerk-done-360");
  // Back from the success page: the form again, nothing sent twice.
  await page.goBack();
  await lib.expectURL(page, /\/nhan-vien\/yeu-cau$/);
  await page.goto(`/tra-cuu/${number}`);
  await lib.expectText(page, ".timeline", "Cán bộ tạo yêu cầu thay công dân");
  errors.check();
  return { number };
}
