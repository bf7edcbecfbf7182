// golive: the pages of issue 17 at 360 px and 1280 px, axe clean, no
// sideways scroll, screenshots in e2e/out/.
// - The admin's reference data: the list, a new desk refused with every
//   field named, then saved; a CSV import with a bad line named.
// - The accounts page: a new courier with its temporary password; moving
//   an account to another unit.
// - Portal clients: a refused callback, a registration, the client's page.
// - A parcel's staff record, its phone revealed with a reason.
// - The audit log with a filter.
// data: {admin: {username, password}, courierID, number}

async function signIn(page, username, password) {
  await page.goto("/dang-nhap");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.press("#password", "Enter");
  await page.waitForLoadState("domcontentloaded");
}

async function check(lib, page, name) {
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, name);
  await lib.shot(page, name);
}

export default async function golive({ browser, baseURL, data, lib }) {
  const result = {};
  for (const [width, newContext] of [["360", lib.newPhoneContext], ["1280", lib.newDesktopContext]]) {
    const ctx = await newContext(browser, { baseURL });
    const page = await ctx.newPage();
    lib.guardOrigin(page, baseURL);
    const errors = lib.watchErrors(page, { ignore: [/status of 422/, /HTTP 422/] });
    await signIn(page, data.admin.username, data.admin.password);

    // Reference data.
    await page.goto("/nhan-vien/danh-muc");
    await lib.expectText(page, "h1", "Danh mục một cửa và bưu cục");
    await check(lib, page, `reference-${width}`);
    await page.click("text=Thêm bộ phận một cửa");
    await lib.expectText(page, "h1", "Thêm bộ phận một cửa");
    await page.fill("#code", "x");
    await page.fill("#commune_code", "99999");
    await page.click("button:has-text('Lưu')");
    await lib.expectText(page, ".error-summary", "Vui lòng kiểm tra lại");
    await check(lib, page, `reference-desk-error-${width}`);
    const code = `TN-MC-${width}`;
    await page.fill("#code", code);
    await page.fill("#name", `Bộ phận một cửa thử ${width}`);
    await page.check("#level-commune");
    await page.fill("#commune_code", "05467");
    await page.fill("#hours", "Thứ Hai–Thứ Sáu 7:30–17:00");
    await page.fill("#phone", "0208 3855 123");
    await page.click("button:has-text('Lưu')");
    await lib.expectText(page, ".alert--success", `Đã lưu bộ phận một cửa ${code}`);
    await page.fill("#csv-mot-cua", "code,name,level,commune_code\nTN-X,,huyen,05443\n");
    await page.click("button:has-text('Nhập bộ phận một cửa')");
    await lib.expectText(page, ".error-summary", "Dòng 2");
    await check(lib, page, `reference-import-error-${width}`);
    await page.goto("/nhan-vien/danh-muc/buu-cuc/BC-05443");
    await lib.expectText(page, "h1", "Sửa bưu cục BC-05443");
    await check(lib, page, `reference-office-${width}`);

    // Accounts: a new courier, then the scope page.
    await page.goto("/nhan-vien/tai-khoan");
    await page.fill("#tk-username", `buuta${width}`);
    await page.fill("#tk-name", `Bưu tá ${width}`);
    await page.selectOption("#tk-role", "courier");
    await page.fill("#tk-office", "BC-05443");
    await page.click("button:has-text('Tạo tài khoản')");
    await lib.expectText(page, "h1", "Tài khoản mới");
    result[`temp${width}`] = (await page.locator("#mat-khau-tam").innerText()).trim();
    await check(lib, page, `account-created-${width}`);
    await page.goto("/nhan-vien/tai-khoan");
    await lib.expectText(page, "h1", "Tài khoản nhân viên");
    await check(lib, page, `accounts-${width}`);
    await page.goto(`/nhan-vien/tai-khoan/${data.courierID}/don-vi`);
    await lib.expectText(page, "h1", "Đổi đơn vị");
    await page.fill("#tk-office", "KHONG-CO");
    await page.click("button:has-text('Lưu đơn vị mới')");
    await lib.expectText(page, ".error-summary", "Vui lòng kiểm tra lại");
    await check(lib, page, `account-scope-error-${width}`);

    // Portal clients: a private callback refused, a portal registered,
    // its page.
    await page.goto("/nhan-vien/cong");
    await lib.expectText(page, "h1", "Cổng dịch vụ công");
    await page.fill("#cong-id", `dvc-${width}`);
    await page.fill("#cong-ten", `Cổng thử ${width}`);
    await page.fill("#cong-tinh", "19");
    await page.fill("#cong-goi-lai", "https://10.0.0.5/hook");
    await page.click("button:has-text('Đăng ký cổng')");
    await lib.expectText(page, ".error-summary", "nội bộ");
    await check(lib, page, `portals-error-${width}`);
    await page.fill("#cong-goi-lai", "https://203.0.113.10/hook");
    await page.click("button:has-text('Đăng ký cổng')");
    await lib.expectVisible(page, "#khoa-bi-mat");
    await check(lib, page, `portal-secret-${width}`);
    await page.goto(`/nhan-vien/cong/dvc-${width}`);
    await lib.expectText(page, "h1", `Cổng dvc-${width}`);
    await check(lib, page, `portal-client-${width}`);

    // The staff view of a parcel, its phone revealed with a reason.
    await page.goto(`/nhan-vien/buu-gui?q=${encodeURIComponent(data.number)}`);
    await lib.expectText(page, "h1", data.number);
    await check(lib, page, `staff-parcel-${width}`);
    await page.fill("#reason", "Người dân gọi hỏi lịch hẹn");
    await page.getByRole("button", { name: "Hiện", exact: true }).click();
    await lib.expectVisible(page, "#so-dien-thoai");
    await check(lib, page, `staff-parcel-revealed-${width}`);

    // The audit log.
    await page.goto("/nhan-vien/nhat-ky?loai=reference.");
    await lib.expectText(page, "h1", "Nhật ký kiểm tra");
    await lib.expectText(page, "table", code);
    await check(lib, page, `audit-${width}`);
    errors.check();
    await ctx.close();
  }
  return result;
}
