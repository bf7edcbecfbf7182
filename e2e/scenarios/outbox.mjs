// outbox: an admin works the dead-letter list at 360 px (retry one callback,
// discard another with a reason), reads what went out, then a citizen opens
// the opt-out link of their messages and stops them. The Go test makes the
// dead rows and the sent message first.
// data: {username, password, retry (dossier code), discard (dossier code), token}

export default async function outbox({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page);
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");

  await page.click("text=Hộp thư đi");
  await lib.expectText(page, "h1", "Hộp thư đi");
  await page.goto("/nhan-vien/hop-thu-di/loi");
  await lib.expectText(page, "h1", "Gửi lỗi");
  await lib.expectText(page, "main", data.retry);
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "outbox-dead-360");
  await lib.shot(page, "outbox-dead-360");

  // Retry the first: back in the queue.
  const retryRow = page.locator("tr", { hasText: data.retry });
  await retryRow.locator("button", { hasText: "Gửi lại" }).click();
  await lib.expectText(page, ".alert--success", "Đã đưa mục trở lại hàng đợi");
  // Discard the second, with its reason.
  const discardRow = page.locator("tr", { hasText: data.discard });
  await discardRow.locator("input[name=reason]").fill("Cổng đã nhận trạng thái qua điện thoại");
  await discardRow.locator("button", { hasText: "Bỏ" }).click();
  await lib.expectText(page, ".alert--success", "Đã bỏ mục");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "outbox-dead-done-360");
  await lib.shot(page, "outbox-dead-done-360");

  // What went out.
  await page.goto("/nhan-vien/hop-thu-di?trang-thai=da-gui&kenh=tin-nhan");
  await lib.expectText(page, "main", "Đã nhận hồ sơ, biên nhận");
  await lib.expectText(page, "main", "09xx xxx 678");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "outbox-sent-360");
  await lib.shot(page, "outbox-sent-360");
  errors.check();
  await ctx.close();

  // The citizen's opt-out link, no login.
  const cctx = await lib.newPhoneContext(browser, { baseURL });
  const cp = await cctx.newPage();
  lib.guardOrigin(cp, baseURL);
  const cerr = lib.watchErrors(cp);
  await cp.goto(`/huy-tin-nhan/${data.token}`);
  await lib.expectText(cp, "h1", "Tin nhắn về hồ sơ");
  await lib.expectText(cp, "main", "09xx xxx 678");
  await lib.expectNoOverflow(cp);
  await lib.checkA11y(cp, "optout-360");
  await lib.shot(cp, "optout-360");
  await cp.click("text=Từ chối nhận tin nhắn");
  await lib.expectText(cp, ".alert--success", "sẽ không nhận tin nhắn");
  await lib.expectText(cp, "button", "Nhận lại tin nhắn");
  await lib.checkA11y(cp, "optout-done-360");
  await lib.shot(cp, "optout-done-360");
  cerr.check();
  await cctx.close();
  return { ok: true };
}
