// security: the pages of issue 15 on a 360 px phone, and what a browser does
// with the probe's tricks.
// - An admin's account list, "Mất điện thoại" for a courier, a password
//   reset with its temporary password; the courier's forced change.
// - The public timeline without details, a wrong proof, the right one.
// - The citizen's form past the code threshold: the proof of work solved by
//   the page's script, then sent.
// - After sign-in, /dang-nhap?tiep=/%09/evil.example stays on this site
//   (the origin guard fails the run on any other origin).
// - An office name with HTML is text in the dispatcher map's tooltip.
// data: {number, last4, admin, courier: {username, password}, dispatcher, office, evilOffice, dossier, phones: [..]}

async function signIn(lib, page, username, password) {
  await page.goto("/dang-nhap");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.press("#password", "Enter");
  await page.waitForLoadState("domcontentloaded");
}

export default async function security({ browser, baseURL, data, lib }) {
  const result = {};

  // The admin's account list and the lost phone.
  const adminCtx = await lib.newPhoneContext(browser, { baseURL });
  const admin = await adminCtx.newPage();
  lib.guardOrigin(admin, baseURL);
  const adminErrors = lib.watchErrors(admin);
  await signIn(lib, admin, data.admin.username, data.admin.password);
  await admin.goto("/nhan-vien/tai-khoan");
  await lib.expectText(admin, "h1", "Tài khoản nhân viên");
  await lib.expectNoOverflow(admin);
  await lib.checkA11y(admin, "accounts-360");
  await lib.shot(admin, "accounts-360");
  const row = admin.locator(`tr:has-text("${data.courier.username}")`).first();
  await row.locator("button", { hasText: "Mất điện thoại" }).click();
  await lib.expectText(admin, ".alert--success", "Đã thu hồi mọi quyền truy cập của " + data.courier.username);
  await lib.checkA11y(admin, "accounts-revoked-360");
  await lib.shot(admin, "accounts-revoked-360");
  await admin.locator(`tr:has-text("${data.courier.username}")`).first().locator("button", { hasText: "Đặt lại mật khẩu" }).click();
  await lib.expectText(admin, "h1", "Mật khẩu tạm thời");
  const temp = (await admin.locator("#mat-khau-tam").innerText()).trim();
  await lib.expectNoOverflow(admin);
  await lib.checkA11y(admin, "account-reset-360");
  await lib.shot(admin, "account-reset-360");

  // Open redirect: the browser stays here.
  await admin.goto("/dang-nhap?tiep=/%09/evil.example");
  if (new URL(admin.url()).origin !== new URL(baseURL).origin) {
    throw new Error(`after sign-in the browser went to ${admin.url()}`);
  }
  result.redirectedTo = new URL(admin.url()).pathname;
  adminErrors.check();
  await adminCtx.close();

  // The courier with the temporary password: only the password page.
  const courierCtx = await lib.newPhoneContext(browser, { baseURL });
  const courier = await courierCtx.newPage();
  lib.guardOrigin(courier, baseURL);
  const courierErrors = lib.watchErrors(courier, { ignore: [/HTTP 422: .*\/nhan-vien\/mat-khau/, /status of 422/] });
  await signIn(lib, courier, data.courier.username, temp);
  await lib.expectURL(courier, "/nhan-vien/mat-khau");
  await lib.expectText(courier, ".alert--warning", "mật khẩu tạm thời");
  await lib.checkA11y(courier, "password-forced-360");
  await lib.shot(courier, "password-forced-360");
  await courier.fill("#current_password", temp);
  await courier.fill("#new_password", "Bưu tá giao hồ sơ đúng hẹn");
  await courier.fill("#confirm_password", "Bưu tá giao hồ sơ khác");
  await courier.press("#confirm_password", "Enter");
  await lib.expectText(courier, ".error-summary", "Nhập lại đúng mật khẩu mới");
  await lib.expectNoOverflow(courier);
  await lib.checkA11y(courier, "password-error-360");
  await lib.shot(courier, "password-error-360");
  await courier.fill("#current_password", temp);
  await courier.fill("#new_password", "Bưu tá giao hồ sơ đúng hẹn");
  await courier.fill("#confirm_password", "Bưu tá giao hồ sơ đúng hẹn");
  await courier.press("#confirm_password", "Enter");
  await lib.expectText(courier, ".alert--success", "Đã đổi mật khẩu");
  await lib.checkA11y(courier, "password-done-360");
  await lib.shot(courier, "password-done-360");
  courierErrors.check();
  await courierCtx.close();

  // The public timeline: no details, a wrong proof, the right one.
  const pubCtx = await lib.newPhoneContext(browser, { baseURL });
  const pub = await pubCtx.newPage();
  lib.guardOrigin(pub, baseURL);
  const pubErrors = lib.watchErrors(pub, { ignore: [/HTTP 422: .*\/tra-cuu\//, /status of 422/] });
  await pub.goto(`/tra-cuu/${data.number}`);
  await lib.expectText(pub, "#xem-chi-tiet", "Xem chi tiết hồ sơ");
  if ((await pub.locator("main").innerText()).includes(data.dossier)) {
    throw new Error("the public page shows the dossier code without a proof");
  }
  await lib.expectNoOverflow(pub);
  await lib.checkA11y(pub, "track-public-360");
  await lib.shot(pub, "track-public-360");
  await pub.fill("#so_cuoi", "0000");
  await pub.press("#so_cuoi", "Enter");
  await lib.expectText(pub, ".error-summary", "4 số cuối");
  await lib.checkA11y(pub, "track-wrong-proof-360");
  await lib.shot(pub, "track-wrong-proof-360");
  await pub.fill("#so_cuoi", data.last4);
  await pub.press("#so_cuoi", "Enter");
  await lib.expectText(pub, "main", data.dossier);
  await lib.expectNoOverflow(pub);
  await lib.checkA11y(pub, "track-proved-360");
  await lib.shot(pub, "track-proved-360");
  pubErrors.check();
  await pubCtx.close();

  // The citizen past the threshold: the script solves the challenge.
  const citCtx = await lib.newPhoneContext(browser, { baseURL });
  const cit = await citCtx.newPage();
  lib.guardOrigin(cit, baseURL);
  const citErrors = lib.watchErrors(cit);
  await cit.goto("/yeu-cau");
  await cit.fill("#dossier_code", "000.00.19.POW-1");
  await cit.fill("#phone", data.phones[0]);
  await cit.press("#phone", "Enter");
  await lib.expectURL(cit, "/yeu-cau/xac-minh");
  await cit.goto("/yeu-cau");
  await lib.expectVisible(cit, "#pow-status");
  await lib.checkA11y(cit, "citizen-start-challenge-360");
  await lib.shot(cit, "citizen-start-challenge-360");
  await cit.fill("#dossier_code", "000.00.19.POW-2");
  await cit.fill("#phone", data.phones[1]);
  const t0 = Date.now();
  await cit.press("#phone", "Enter");
  await lib.expectURL(cit, "/yeu-cau/xac-minh", { timeout: 60_000 });
  result.powMillis = Date.now() - t0;
  citErrors.check();
  await citCtx.close();

  // The dispatcher's map: an office name with HTML stays text.
  const dCtx = await lib.newDesktopContext(browser, { baseURL });
  const d = await dCtx.newPage();
  lib.guardOrigin(d, baseURL);
  const dErrors = lib.watchErrors(d);
  await signIn(lib, d, data.dispatcher.username, data.dispatcher.password);
  await d.goto(`/nhan-vien/dieu-phoi/ke-hoach?bc=${data.office}`);
  await d.waitForSelector("#ban-do[data-ready='1']", { timeout: 20_000 });
  const markers = d.locator("path.leaflet-interactive[fill='#ffd23f']");
  const n = await markers.count();
  let seen = false;
  for (let i = 0; i < n && !seen; i++) {
    await markers.nth(i).hover({ force: true });
    const tip = d.locator(".leaflet-tooltip").last();
    if ((await tip.count()) && (await tip.innerText()).includes(data.evilOffice)) {
      seen = true;
      if ((await tip.locator("img").count()) > 0) {
        throw new Error("an office name became HTML in the map's tooltip");
      }
    }
  }
  if (!seen) {
    throw new Error(`no tooltip showed the office named ${data.evilOffice} (${n} office markers)`);
  }
  await lib.shot(d, "dispatch-map-office-name-1280");
  dErrors.check();
  await dCtx.close();
  return result;
}
