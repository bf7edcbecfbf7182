// counter: a post office or desk clerk at their counter in Chromium, at
// 360 px unless data.wide. One step per run, named in data.step; the Go test
// does the courier's and the portal's part through the API between steps.
// data: {step, username, password, number, courier?, wide?}

async function login(lib, browser, baseURL, data) {
  const ctx = data.wide
    ? await lib.newDesktopContext(browser, { baseURL })
    : await lib.newPhoneContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  await page.goto("/dang-nhap");
  await page.fill("#username", data.username);
  await page.fill("#password", data.password);
  await page.press("#password", "Enter");
  await lib.expectURL(page, "/nhan-vien");
  return { ctx, page };
}

async function scan(page, lib, number) {
  // A keyboard-wedge scanner types into the focused field and presses Enter.
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "so") throw new Error(`scan field not focused (focus on ${focused})`);
  await page.evaluate(() => document.querySelectorAll("[data-scan]").forEach((e) => e.removeAttribute("data-scan")));
  await page.keyboard.type(number);
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-scan]");
  const kind = await page.getAttribute("[data-scan]", "data-scan");
  return kind;
}

export default async function counter({ browser, baseURL, data, lib }) {
  const { ctx, page } = await login(lib, browser, baseURL, data);
  const errors = lib.watchErrors(page, { ignore: [/HTTP 422/, /status of 422/] });
  const w = data.wide ? "1280" : "360";
  let result = {};
  switch (data.step) {
    case "office_scan": {
      await page.goto("/buu-cuc");
      await lib.expectText(page, "h1", "Bưu cục");
      await lib.checkA11y(page, `office-${w}`);
      await lib.shot(page, `office-before-${w}`);
      const unknown = await scan(page, lib, "EA999999995VN");
      if (unknown !== "unexpected") throw new Error(`unknown parcel scanned as ${unknown}`);
      await lib.shot(page, `office-unexpected-${w}`);
      const kind = await scan(page, lib, data.number);
      if (kind !== "ok") throw new Error(`scan gave ${kind}`);
      const again = await scan(page, lib, data.number);
      if (again !== "duplicate") throw new Error(`second scan gave ${again}`);
      await lib.expectText(page, "main", "Đang ở bưu cục");
      await lib.checkA11y(page, `office-scanned-${w}`);
      await lib.shot(page, `office-scanned-${w}`);
      break;
    }
    case "office_run": {
      await page.goto("/buu-cuc");
      await page.selectOption("select[name=courier]", data.courier);
      await page.click("text=Lập bảng kê và bàn giao cho bưu tá");
      await lib.expectText(page, ".alert", "Đã lập bảng kê BK");
      await lib.checkA11y(page, `office-run-${w}`);
      await lib.shot(page, `office-run-${w}`);
      result.manifest = (await page.locator(".alert").innerText()).match(/BK\d+/)[0];
      break;
    }
    case "desk_scan_count": {
      await page.goto("/mot-cua");
      await lib.checkA11y(page, `desk-${w}`);
      const kind = await scan(page, lib, data.number);
      if (kind !== "needs_count") throw new Error(`desk scan gave ${kind}`);
      await lib.expectText(page, "#kiem-dem", "Kiểm đếm hồ sơ");
      await lib.checkA11y(page, `desk-count-${w}`);
      await lib.shot(page, `desk-count-${w}`);
      await page.click("text=Xác nhận đã nhận");
      await page.waitForSelector("[data-scan]");
      const done = await page.getAttribute("[data-scan]", "data-scan");
      if (done !== "ok") throw new Error(`count gave ${done}`);
      await lib.expectText(page, "main", "Hồ sơ chờ tiếp nhận (1)");
      await lib.shot(page, `desk-received-${w}`);
      break;
    }
    case "desk_accept": {
      await page.goto("/mot-cua");
      await page.fill(`#appointment-${data.number}`, "2026-12-20");
      await page.click("text=Lưu quyết định");
      await lib.expectText(page, ".alert", "Đã tiếp nhận hồ sơ");
      await lib.checkA11y(page, `desk-accepted-${w}`);
      await lib.shot(page, `desk-accepted-${w}`);
      break;
    }
    case "desk_release": {
      await page.goto("/mot-cua");
      await lib.expectText(page, "main", "Chờ bưu tá nhận để giao");
      await page.selectOption("#desk-courier", data.courier);
      await page.click("text=Lập bảng kê và bàn giao cho bưu tá");
      await lib.expectText(page, ".alert", "Đã lập bảng kê BK");
      await lib.checkA11y(page, `desk-release-${w}`);
      await lib.shot(page, `desk-release-${w}`);
      break;
    }
    default:
      throw new Error(`unknown step ${data.step}`);
  }
  await lib.expectNoOverflow(page);
  errors.check();
  await ctx.close();
  return result;
}
