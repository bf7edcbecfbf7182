// money_kpi: a post office clerk reconciles a courier's fees and reads the
// indicators, at 360 px (the indicators also at 1280 px). The Go test
// builds the day through the API first.
// data: {username, password, courier, day (YYYY-MM-DD), total ("150.000 ₫")}

export default async function moneyKPI({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  // The refused confirmation and the bad period answer 422 on purpose; a
  // static file (the favicon) still loading when a form navigates away is
  // aborted by the browser, which is not a page error.
  const aborted = /\/static\/\S+ \(net::ERR_ABORTED\)/;
  const errors = lib.watchErrors(page, { ignore: [/HTTP 422/, /status of 422/, aborted] });
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");

  const key = `${data.courier}-${data.day}`;
  const card = `#thu-ho-${key}`;

  // The fee page: per courier and day, the total.
  await page.goto("/nhan-vien/thu-ho");
  await lib.expectText(page, "h1", "Tiền thu hộ của bưu tá");
  await lib.expectText(page, card, data.total);
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "money-360");
  await lib.shot(page, "money-360");

  // A wrong amount without a note: refused, the reason next to the field.
  await page.fill(`#so-tien-${key}`, "140.000");
  await page.click(`${card} button[type=submit]`);
  await lib.expectText(page, `${card} .field__error`, "ghi rõ lý do chênh lệch");
  const refused = await page.locator(`${card} [aria-invalid=true]`).count();
  if (refused < 1) throw new Error("the refused field is not marked aria-invalid");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "money-refused-360");
  await page.locator(card).scrollIntoViewIfNeeded();
  await lib.shot(page, "money-refused-360");

  // The counted amount: accepted, the day shows the cash and no difference.
  await page.fill(`#so-tien-${key}`, data.total.replace(" ₫", ""));
  await page.click(`${card} button[type=submit]`);
  await lib.expectText(page, ".alert", "Đã xác nhận nhận");
  await lib.expectText(page, card, "Khớp");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "money-done-360");
  await lib.shot(page, "money-done-360");

  // The statement is a PDF download.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`${card} a[download]`),
  ]);
  const name = download.suggestedFilename();
  if (!name.endsWith(".pdf")) throw new Error(`statement file ${name}`);

  // The indicators of the day.
  await page.goto(`/nhan-vien/chi-so?tu=${data.day}&den=${data.day}`);
  await lib.expectText(page, "h1", "Chỉ số hoạt động");
  await lib.expectText(page, "[data-kpi=pickup-on-time]", "2/4 (50%)");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "kpi-360");
  await lib.shot(page, "kpi-360");

  // A bad period: the error at the top and next to the field.
  await page.fill("#tu", "2026-11-20");
  await page.fill("#den", "2026-11-19");
  await page.click("text=Xem chỉ số");
  await lib.expectText(page, ".error-summary", "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "kpi-error-360");
  await lib.shot(page, "kpi-error-360");
  errors.check();
  await ctx.close();

  // The indicators on a desk screen.
  const wide = await lib.newDesktopContext(browser, { baseURL });
  const wp = await wide.newPage();
  lib.guardOrigin(wp, baseURL);
  const werr = lib.watchErrors(wp, { ignore: [aborted] });
  await wp.goto("/dang-nhap");
  await wp.fill("#username", data.username);
  await wp.fill("#password", data.password);
  await wp.press("#password", "Enter");
  await lib.expectURL(wp, "/nhan-vien");
  await wp.goto(`/nhan-vien/chi-so?tu=${data.day}&den=${data.day}`);
  await lib.expectNoOverflow(wp);
  await lib.checkA11y(wp, "kpi-1280");
  await lib.shot(wp, "kpi-1280");
  werr.check();
  await wide.close();
  return { statement: name, refused };
}
