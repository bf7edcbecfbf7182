// track: a citizen looks a parcel up on a 360 px phone by the tracking number
// as the SMS prints it (groups, small letters), reads the answer at the top
// (a problem first when there is one), proves the parcel with the phone's
// last four digits and opens a folded line of the timeline. axe and a
// screenshot at each step.
// data: {number, typed, last4, problem: bool, shot}
export default async function track({ browser, baseURL, data, lib }) {
  const ctx = await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page);
  await page.goto("/tra-cuu");
  await lib.expectText(page, "label[for=so]", "Số hiệu bưu gửi");
  await page.fill("#so", data.typed);
  await page.press("#so", "Enter");
  await lib.expectURL(page, `/tra-cuu/${data.number}`);
  await lib.expectText(page, "h1", data.number);
  await lib.expectVisible(page, ".answer__now");
  if (data.problem) await lib.expectText(page, ".answer__problem .alert__title", "Cần chú ý");
  await lib.expectText(page, ".answer__help", "tổng đài");
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Tình trạng hiện tại Đang giữ hồ sơ");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, `${data.shot}-360`);
  await lib.shot(page, `${data.shot}-360`);

  await page.fill("#so_cuoi", data.last4);
  await page.press("#so_cuoi", "Enter");
  await lib.expectURL(page, `/tra-cuu/${data.number}`);
  await lib.expectVisible(page, "time.timeline__time");
  const folded = await page.locator(".timeline__item--folded summary").count();
  if (folded > 0) {
    await page.locator(".timeline__item--folded summary").first().click();
  }
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, `${data.shot}-details-360`);
  await lib.shot(page, `${data.shot}-details-360`);
  // The first line under the pending step is the newest.
  const first = await page.locator(".timeline > li").nth(1).innerText();
  errors.check();
  await ctx.close();
  return { folded, first };
}
