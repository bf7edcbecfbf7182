// dropoff: a post office clerk takes a citizen's papers at the counter in
// Chromium at 360 px (issue 18 items 3 and 4): finds the request by its
// dossier code as typed, states each line's disposition (original carried,
// shown and returned, scanned with a photo uploaded), seals, and the
// citizen confirms with the CCCD digits; a wrong number is refused beside
// its field first. axe on every screen, screenshots of each.
// data: {username, password, number, dossier, png (base64), digits, wrong, wide?}
// (wide: the same at 1280 px, as a counter's desktop shows it).
export default async function dropoff({ browser, baseURL, data, lib }) {
  const ctx = data.wide
    ? await lib.newDesktopContext(browser, { baseURL })
    : await lib.newPhoneContext(browser, { baseURL });
  const w = data.wide ? "1280" : "360";
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: [/HTTP 4(04|22)/, /status of 4(04|22)/] });
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");

  await page.goto("/buu-cuc/nop-tai-quay");
  await lib.expectText(page, "h1", "Nhận hồ sơ tại quầy");
  await lib.checkA11y(page, `dropoff-find-${w}`);
  await lib.expectNoOverflow(page);
  await lib.shot(page, `dropoff-find-${w}`);
  await page.fill("#ref", "EB 999 999 999 VN");
  await page.press("#ref", "Enter");
  await lib.expectText(page, ".error-summary", "Không tìm thấy");
  await lib.checkA11y(page, `dropoff-find-error-${w}`);
  await lib.shot(page, `dropoff-find-error-${w}`);
  await page.fill("#ref", data.dossier.toLowerCase().replace(/\./g, " "));
  await Promise.all([page.waitForNavigation(), page.press("#ref", "Enter")]);
  await lib.shot(page, `dropoff-found-${w}`);
  await lib.expectURL(page, `/buu-cuc/nop-tai-quay/${data.number}`);
  await lib.expectText(page, "h1", data.number);
  await lib.checkA11y(page, `dropoff-form-${w}`);
  await lib.shot(page, `dropoff-form-${w}`);
  await lib.expectNoOverflow(page);

  const fill = async (secret) => {
    await page.check("input[name=disposition_1][value=original]");
    await page.fill("#count_1", "1");
    await page.check("input[name=disposition_2][value=shown]");
    await page.check("input[name=disposition_3][value=scanned]");
    await page.setInputFiles("#scan_3", { name: "cccd.png", mimeType: "image/png", buffer: Buffer.from(data.png, "base64") });
    await page.fill("#seal_id", "np-quay-360");
    await page.check("input[name=method][value=id_digits]");
    await page.fill("#secret", secret);
    await page.click("#dropoff-form button[type=submit]");
  };
  await fill(data.wrong);
  await lib.expectText(page, ".error-summary", "không khớp");
  await lib.expectText(page, ".field--error", "không khớp");
  await lib.checkA11y(page, `dropoff-errors-${w}`);
  await lib.expectNoOverflow(page);
  await lib.shot(page, `dropoff-errors-${w}`);
  // What was typed is kept, the digits are not.
  if ((await page.inputValue("#seal_id")) !== "np-quay-360") throw new Error("the seal was not kept");
  if ((await page.inputValue("#secret")) !== "") throw new Error("the CCCD digits were echoed back");
  await page.setInputFiles("#scan_3", []);
  await page.fill("#secret", data.digits);
  await page.click("#dropoff-form button[type=submit]");
  await lib.expectURL(page, `/buu-cuc/nop-tai-quay/${data.number}/xong`);
  await lib.expectText(page, ".alert", "Đã nhận hồ sơ");
  await lib.expectText(page, ".alert", "NP-QUAY-360");
  await lib.checkA11y(page, `dropoff-done-${w}`);
  await lib.expectNoOverflow(page);
  await lib.shot(page, `dropoff-done-${w}`);
  errors.check();
  await ctx.close();
  return { ok: true };
}
