// complaint: a citizen reports a problem from the tracking page on a 360 px
// phone (an empty form first: the errors next to the fields), then reads
// that an answer is awaited; the office answers from the incidents list at
// 1280 px; the citizen reads the answer; a dispatcher opens the staff
// parcel page at 1280 px and 360 px. Axe on every page, a screenshot each.
// data: {number, last4, office: {username, password}, dispatcher: {username, password}}
async function signIn(browser, baseURL, lib, who, desktop, ignore = []) {
  const ctx = desktop ? await lib.newDesktopContext(browser, { baseURL }) : await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore });
  await page.goto("/dang-nhap");
  await page.fill("#username", who.username);
  await page.fill("#password", who.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");
  return { ctx, page, errors };
}

export default async function complaint({ browser, baseURL, data, lib }) {
  const n = data.number;
  const phone = await lib.newPhoneContext(browser, { baseURL });
  const page = await phone.newPage();
  lib.guardOrigin(page, baseURL);
  // The empty form is refused on purpose (422).
  const errors = lib.watchErrors(page, { ignore: [/HTTP 422: .*\/phan-anh/, /status of 422/] });
  await page.goto(`/tra-cuu/${n}`);
  await page.click(`a[href="/tra-cuu/${n}/phan-anh"]`);
  await lib.expectURL(page, `/tra-cuu/${n}/phan-anh`);
  await lib.expectText(page, "h1", "Báo vấn đề với hồ sơ");
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Bưu tá hẹn nhưng không đến");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "complaint-form-360");
  await lib.shot(page, "complaint-form-360");

  await page.click('button[type="submit"]');
  await lib.expectVisible(page, ".field--error");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "complaint-errors-360");
  await lib.shot(page, "complaint-errors-360");

  await page.check('input[name="van_de"][value="courier_no_show"]');
  await page.fill("#noi_dung", "Bưu tá hẹn 9 giờ sáng thứ Hai nhưng không đến, tôi đã chờ ở nhà.");
  await page.fill("#so_cuoi", data.last4);
  await page.click('button[type="submit"]');
  await lib.expectURL(page, `/tra-cuu/${n}`);
  await lib.expectText(page, "#phan-anh", "Đang chờ trả lời");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "complaint-awaited-360");
  await lib.shot(page, "complaint-awaited-360");

  // The office answers at 1280 px.
  const office = await signIn(browser, baseURL, lib, data.office, true);
  await office.page.goto("/nhan-vien/su-co");
  await lib.expectText(office.page, "h1", "Sự cố và phản ánh");
  await lib.checkA11y(office.page, "incidents-1280");
  await lib.shot(office.page, "incidents-1280");
  await office.page.click(`a[href^="/nhan-vien/su-co/"]`);
  await lib.expectText(office.page, "h1", "Phản ánh của người dân");
  await lib.checkA11y(office.page, "complaint-staff-1280");
  await lib.shot(office.page, "complaint-staff-1280");
  await office.page.fill("#answer", "Xin lỗi bạn. Bưu tá sẽ đến lấy giấy tờ sáng mai, từ 8 đến 10 giờ.");
  await office.page.click('#tra-loi ~ form button[type="submit"], section[aria-labelledby="tra-loi"] button[type="submit"]');
  await lib.expectText(office.page, "section[aria-labelledby=\"tra-loi\"]", "sáng mai, từ 8 đến 10 giờ");
  await lib.checkA11y(office.page, "complaint-answered-1280");
  await lib.shot(office.page, "complaint-answered-1280");
  office.errors.check();
  await office.ctx.close();

  // The citizen reads the answer.
  await page.goto(`/tra-cuu/${n}`);
  await lib.expectText(page, "#phan-anh", "sáng mai, từ 8 đến 10 giờ");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "complaint-answer-360");
  await lib.shot(page, "complaint-answer-360");
  errors.check();
  await phone.close();

  // The supervisor's parcel page at 1280 px and 360 px.
  for (const desktop of [true, false]) {
    const d = await signIn(browser, baseURL, lib, data.dispatcher, desktop);
    const label = desktop ? "1280" : "360";
    await d.page.goto(`/nhan-vien/buu-gui/${n}`);
    await lib.expectText(d.page, "#su-co", "Sự cố, phản ánh");
    await lib.expectText(d.page, "section[aria-labelledby=\"su-co\"]", "Bưu tá hẹn nhưng không đến");
    if (!desktop) await lib.expectNoOverflow(d.page);
    await lib.checkA11y(d.page, `staff-parcel-${label}`);
    await lib.shot(d.page, `staff-parcel-${label}`);
    if (!desktop) {
      await d.page.goto("/nhan-vien/su-co");
      await lib.expectNoOverflow(d.page);
      await lib.checkA11y(d.page, "incidents-360");
      await lib.shot(d.page, "incidents-360");
    }
    d.errors.check();
    await d.ctx.close();
  }
  // A quiet parcel: the dispatcher opens its lost-original case from the
  // alarm on its page at 1280 px (an empty reason first).
  if (data.quiet) {
    // The empty reason is refused on purpose (422).
    const d = await signIn(browser, baseURL, lib, data.dispatcher, true, [/HTTP 422: .*\/that-lac/, /status of 422/]);
    await d.page.goto("/nhan-vien/canh-bao");
    await d.page.click(`a[href^="/nhan-vien/buu-gui/${data.quiet}#canh-bao-"]`);
    await lib.expectText(d.page, "h1", data.quiet);
    await lib.checkA11y(d.page, "quiet-parcel-1280");
    await lib.shot(d.page, "quiet-parcel-1280");
    const form = d.page.locator('form[action$="/that-lac"]');
    await form.locator('button[type="submit"]').click();
    await lib.expectVisible(d.page, 'form[action$="/that-lac"] .field--error');
    await lib.checkA11y(d.page, "quiet-parcel-error-1280");
    await lib.shot(d.page, "quiet-parcel-error-1280");
    await d.page.locator('form[action$="/that-lac"] textarea').fill("Không có tin sau 30 giờ, bưu tá không trả lời điện thoại.");
    await d.page.locator('form[action$="/that-lac"] button[type="submit"]').click();
    await lib.expectText(d.page, "h1", "Sự cố");
    await lib.expectText(d.page, "main", "Hồ sơ vụ việc thất lạc");
    await lib.checkA11y(d.page, "lost-case-1280");
    await lib.shot(d.page, "lost-case-1280");
    d.errors.check();
    await d.ctx.close();
  }
  return { ok: true };
}
