// receipt: a citizen checks the receipt left at the door, on a 360 px phone,
// by the code printed under the QR. First with JavaScript off (the page and
// the search form need none; data.search types the code in lower case
// without the dash), then with it on for axe, fonts and the screenshot.
// With data.staff, a courier then opens the staff home's "Giấy tờ in" and
// the papers page (axe and a screenshot at 360 px too).
// data: {code, expect: "pending" | "genuine" | "invalid", shot, search, staff: {username, password}}
const headline = {
  pending: "Biên nhận chưa có hiệu lực",
  genuine: "Biên nhận hợp lệ",
  invalid: "Biên nhận KHÔNG hợp lệ",
};

export default async function receipt({ browser, baseURL, data, lib }) {
  // Without JavaScript.
  const plain = await lib.newPhoneContext(browser, { baseURL, javaScriptEnabled: false });
  let page = await plain.newPage();
  lib.guardOrigin(page, baseURL);
  let errors = lib.watchErrors(page);
  if (data.search) {
    await page.goto("/bien-nhan");
    await lib.expectText(page, "h1", "Kiểm tra giấy biên nhận");
    await page.fill("#ma", data.code.replace("-", "").toLowerCase());
    await page.press("#ma", "Enter");
    await lib.expectURL(page, `/bien-nhan/${data.code}`);
  } else {
    await page.goto(`/bien-nhan/${data.code}`);
  }
  await lib.expectText(page, "h1", data.code);
  await lib.expectText(page, ".alert__title", headline[data.expect]);
  errors.check();
  await plain.close();

  // With JavaScript: the same page, checked and photographed.
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  errors = lib.watchErrors(page);
  if (data.search) {
    await page.goto("/bien-nhan");
    await lib.expectNoOverflow(page);
    await lib.checkA11y(page, "receipt-search-360");
    await lib.shot(page, "receipt-search-360");
  }
  await page.goto(`/bien-nhan/${data.code}`);
  await lib.expectText(page, ".alert__title", headline[data.expect]);
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Biên nhận hợp lệ Đã giao");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, data.shot);
  await lib.shot(page, data.shot);
  const lines = await page.locator("table.table tbody tr").count();
  errors.check();
  await ctx.close();

  if (data.staff) {
    const sctx = await lib.newPhoneContext(browser, { baseURL });
    const sp = await sctx.newPage();
    lib.guardOrigin(sp, baseURL);
    const serr = lib.watchErrors(sp);
    await sp.goto("/dang-nhap");
    await sp.fill("#username", data.staff.username);
    await sp.fill("#password", data.staff.password);
    await sp.press("#password", "Enter");
    await lib.expectURL(sp, "/nhan-vien");
    await lib.expectText(sp, "#giay-to-in", "Giấy tờ in");
    await lib.expectVisible(sp, 'a[href$="/hom-nay"]');
    await sp.click('a[href="/nhan-vien/in"]');
    await lib.expectURL(sp, "/nhan-vien/in");
    await lib.expectText(sp, "h1", "Giấy tờ in");
    await lib.expectNoOverflow(sp);
    await lib.checkA11y(sp, "papers-360");
    await lib.shot(sp, "papers-360");
    serr.check();
    await sctx.close();
  }
  return { lines };
}
