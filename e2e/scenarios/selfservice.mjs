// selfservice: a citizen changes their pickup from its tracking page on a
// 360 px phone: "Thay đổi yêu cầu" → a code to the phone on file (read by
// a staff user from the demo SMS page) → another window, "tôi không có
// nhà", a corrected address with an error first, then cancel. axe and a
// screenshot at each step.
// A desk's clerk then does the same for another pickup at 1280 px.
// data: {number, clerkNumber, last3, staff: {username, password}, clerk: {username, password}, shot}

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

export default async function selfservice({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: [/\b422\b/, /status of 422/] });
  const step = async (name) => {
    await lib.expectNoOverflow(page);
    await lib.checkA11y(page, `${data.shot}-${name}-360`);
    await lib.shot(page, `${data.shot}-${name}-360`);
  };

  await page.goto(`/tra-cuu/${data.number}`);
  await page.click("a[href$='/thay-doi']");
  await lib.expectURL(page, `/tra-cuu/${data.number}/thay-doi`);
  await lib.expectText(page, "main", `${data.last3}`);
  await step("send");
  await page.click("button:has-text('Gửi mã đến điện thoại')");
  await lib.expectVisible(page, "#code");
  await step("code");
  const code = await readCode(lib, browser, baseURL, data.staff, data.last3);
  await page.fill("#code", code);
  await page.press("#code", "Enter");
  await lib.expectVisible(page, "#slot");
  await step("change");

  // Another window: the second free one.
  const values = await page.$$eval("#slot option:not([disabled])", (os) => os.map((o) => o.value).filter((v) => v));
  if (values.length < 2) throw new Error(`only ${values.length} free windows`);
  await page.selectOption("#slot", values[1]);
  await page.click("button:has-text('Đổi sang giờ này')");
  await lib.expectText(page, ".alert--success", "Đã đổi giờ thu gom");
  await step("window");

  // Not at home in that window.
  await page.click("button:has-text('Tôi không có nhà giờ này')");
  await lib.expectText(page, ".alert--success", "vắng nhà");
  await lib.expectText(page, ".alert--warning", "Bạn đã báo vắng nhà");
  await step("not-home");

  // The address: empty first (the error next to the field), then right.
  await page.fill("#address_line", "");
  await page.click("button:has-text('Lưu địa chỉ')");
  await lib.expectText(page, ".field--error .field__error", "Nhập số nhà");
  await step("address-error");
  await page.fill("#address_line", "Số 14, tổ 5, đường Hoàng Văn Thụ");
  await page.click("button:has-text('Lưu địa chỉ')");
  await lib.expectText(page, ".alert--success", "Đã sửa địa chỉ");

  // Cancel.
  await page.fill("#reason", "Tôi tự mang hồ sơ đến");
  await page.click("button:has-text('Hủy yêu cầu thu gom')");
  await lib.expectText(page, ".alert--success", "Đã hủy yêu cầu thu gom");
  await step("cancelled");

  await page.goto(`/tra-cuu/${data.number}`);
  await lib.expectText(page, ".answer__now", "Đã hủy yêu cầu");
  await step("track");
  // The tracking page of another pickup offers the change.
  await page.goto(`/tra-cuu/${data.clerkNumber}`);
  await lib.expectVisible(page, "#thay-doi");
  await step("track-offer");
  errors.check();
  await ctx.close();

  // A desk's clerk on a 1280 px screen does it for a citizen.
  const dctx = await lib.newDesktopContext(browser, { baseURL });
  const desk = await dctx.newPage();
  lib.guardOrigin(desk, baseURL);
  const derrors = lib.watchErrors(desk);
  await desk.goto("/dang-nhap");
  await desk.fill("#username", data.clerk.username);
  await desk.fill("#password", data.clerk.password);
  await desk.click("button[type=submit]");
  await lib.expectURL(desk, /\/nhan-vien(\?|$)/); // signed in: the redirect finished before going on
  await desk.goto(`/nhan-vien/thay-doi/${data.clerkNumber}`);
  await lib.expectText(desk, "h1", "thay công dân");
  await lib.checkA11y(desk, `${data.shot}-clerk-1280`);
  await lib.shot(desk, `${data.shot}-clerk-1280`);
  await desk.click("button:has-text('Công dân không có nhà giờ này')");
  await lib.expectText(desk, ".alert--success", "vắng nhà");
  await lib.checkA11y(desk, `${data.shot}-clerk-done-1280`);
  await lib.shot(desk, `${data.shot}-clerk-done-1280`);
  derrors.check();
  await dctx.close();
  return { ok: true };
}
