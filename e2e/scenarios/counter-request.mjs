// counter-request: a citizen brings the papers to the post office with no
// request (issue 18 item 3, "or creates it"). In Chromium at 360 px the
// post office clerk searches the dossier code, is offered the counter
// request, picks the commune, fills the form (a wrong phone first: back to
// the form with everything typed and the message beside the field), then
// checks the papers on the drop-off form and the citizen confirms with the
// CCCD digits. axe on every screen, screenshots of each.
// data: {username, password, dossier, digits}
export default async function counterRequest({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: [/HTTP 4(04|22)/, /status of 4(04|22)/] });
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");

  await page.goto("/buu-cuc/nop-tai-quay");
  await page.fill("#ref", data.dossier);
  await page.press("#ref", "Enter");
  await lib.expectText(page, ".alert--info", "Công dân chưa có yêu cầu");
  await lib.checkA11y(page, "counter-request-offer-360");
  await lib.shot(page, "counter-request-offer-360");
  await Promise.all([page.waitForNavigation(), page.click(".alert--info a")]);
  await lib.expectText(page, "h1", "mang hồ sơ đến quầy");
  await page.fill("#commune", "phan dinh phung");
  await Promise.all([page.waitForNavigation(), page.press("#commune", "Enter")]);
  await Promise.all([page.waitForNavigation(), page.click(".choice-list a >> nth=0")]);
  if ((await page.inputValue("#dossier_code")) !== data.dossier) throw new Error("the dossier code was not carried to the form");
  if (await page.$("#slot")) throw new Error("the counter form asks for a visit window");
  await lib.checkA11y(page, "counter-request-form-360");
  await lib.expectNoOverflow(page);
  await lib.shot(page, "counter-request-form-360");

  await page.fill("#phone", "0912");
  await page.fill("#full_name", "Hoàng Thị Lan");
  await page.fill("#id_number", data.digits);
  await page.fill("#line", "Số 12, tổ 4");
  await page.selectOption("#desk", "TN-TTPVHCC");
  await page.fill("#doc_name_0", "Tờ khai đăng ký");
  await page.fill("#doc_count_0", "1");
  await Promise.all([page.waitForNavigation(), page.click("#pickup-form button[type=submit]")]);
  await lib.expectURL(page, "/buu-cuc/nop-tai-quay/moi");
  await lib.expectText(page, ".error-summary", "Số điện thoại");
  await lib.expectText(page, ".field--error", "10 chữ số");
  if ((await page.inputValue("#full_name")) !== "Hoàng Thị Lan") throw new Error("the name was not kept after the error");
  if ((await page.inputValue("#doc_name_0")) !== "Tờ khai đăng ký") throw new Error("the document was not kept after the error");
  await lib.checkA11y(page, "counter-request-errors-360");
  await lib.expectNoOverflow(page);
  await lib.shot(page, "counter-request-errors-360");

  await page.fill("#phone", "0912 345 678");
  await Promise.all([page.waitForNavigation(), page.click("#pickup-form button[type=submit]")]);
  await lib.expectText(page, ".alert--success", "Đã tạo yêu cầu");
  const number = (await page.textContent("h1 .code-id")).trim();
  if (!/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(number)) throw new Error(`no tracking number on the drop-off form: ${number}`);
  await lib.checkA11y(page, "counter-request-dropoff-360");
  await lib.shot(page, "counter-request-dropoff-360");

  await page.check("input[name=disposition_1][value=original]");
  await page.fill("#count_1", "1");
  await page.fill("#seal_id", "np-moi-360");
  await page.check("input[name=method][value=id_digits]");
  await page.fill("#secret", data.digits.slice(-3));
  await Promise.all([page.waitForNavigation(), page.click("#dropoff-form button[type=submit]")]);
  await lib.expectURL(page, `/buu-cuc/nop-tai-quay/${number}/xong`);
  await lib.expectText(page, ".alert", "Đã nhận hồ sơ");
  await lib.checkA11y(page, "counter-request-done-360");
  await lib.shot(page, "counter-request-done-360");
  errors.check();
  await ctx.close();
  return { number };
}
