// counter: a post office or desk clerk at their counter in Chromium, at
// 360 px unless data.wide. One step per run, named in data.step; the Go test
// does the courier's and the portal's part through the API between steps.
// Every receipt states the seal (scanned or typed, intact or broken: never
// pre-chosen); the desk counts blind; a difference is shown on a second
// screen before it is recorded, and Back keeps what was typed.
// data: {step, username, password, number, seal?, number2?, seal2?,
//        courier?, manifest?, numbers?, seals?, wide?}

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

// scan types a number and a seal as a keyboard-wedge scanner does (each
// followed by Enter), then states the seal with the keyboard and sends.
// It returns the data-scan of the answer, or "navigated" when the answer
// is another page (the count form, the confirmation screen).
async function scan(page, number, seal, state = "intact") {
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "so") throw new Error(`scan field not focused (focus on ${focused})`);
  await page.evaluate(() => document.querySelectorAll("[data-scan]").forEach((e) => e.removeAttribute("data-scan")));
  const before = page.url();
  await page.keyboard.type(number);
  await page.keyboard.press("Enter");
  // The page does not send half a receipt: the focus moves to the seal.
  const next = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (next !== "seal_id") throw new Error(`after the number the focus went to ${next}, not the seal`);
  await page.keyboard.type(seal);
  await page.keyboard.press("Enter");
  const radio = await page.evaluate(() => document.activeElement && document.activeElement.getAttribute("name"));
  if (radio !== "seal") throw new Error(`after the seal the focus went to ${radio}, not its state`);
  await page.check(`input[name=seal][value=${state}]`);
  await page.keyboard.press("Enter");
  await Promise.race([
    page.waitForSelector("[data-scan]", { timeout: 15_000 }),
    page.waitForURL((u) => u.toString() !== before && !u.pathname.endsWith("/buu-cuc") && !u.pathname.endsWith("/mot-cua"), { timeout: 15_000 }),
  ]);
  const kind = await page.getAttribute("[data-scan]", "data-scan").catch(() => null);
  return kind || "navigated";
}

export default async function counter({ browser, baseURL, data, lib }) {
  const { ctx, page } = await login(lib, browser, baseURL, data);
  const errors = lib.watchErrors(page, { ignore: [/HTTP 4(03|22)/, /status of 4(03|22)/] });
  const w = data.wide ? "1280" : "360";
  let result = {};
  switch (data.step) {
    case "office_scan": {
      await page.goto("/buu-cuc");
      await lib.expectText(page, "h1", "Bưu cục");
      await lib.checkA11y(page, `office-${w}`);
      await lib.shot(page, `office-before-${w}`);
      // An unknown number: the answer a parcel of another office gets.
      const unknown = await scan(page, "EA999999995VN", data.seal);
      if (unknown !== "outside") throw new Error(`unknown parcel scanned as ${unknown}`);
      await lib.checkA11y(page, `office-outside-${w}`);
      await lib.shot(page, `office-outside-${w}`);
      // The refused scan is kept on the form to be corrected; the next
      // parcel starts on a fresh form.
      if ((await page.inputValue("#so")) !== "EA999999995VN") throw new Error("the refused scan was not kept to correct");
      await page.goto("/buu-cuc");
      // A code that is not a tracking number: refused through Post/Redirect/
      // Get (the page's script follows the redirect), the answer and the
      // code typed kept on the form; a reload shows the form clean.
      const notNumber = await scan(page, "KHONG-PHAI-SO", data.seal);
      if (notNumber !== "unexpected") throw new Error(`a code that is not a number scanned as ${notNumber}`);
      await lib.expectText(page, "[data-scan]", "không phải số hiệu bưu gửi hợp lệ");
      if ((await page.inputValue("#so")) !== "KHONG-PHAI-SO") throw new Error("the refused code was not kept to correct");
      await lib.checkA11y(page, `office-unexpected-${w}`);
      await page.reload();
      if ((await page.locator("[data-scan]").count()) !== 0 || (await page.inputValue("#so")) !== "") throw new Error("a reload showed the refused scan again");
      await page.goto("/buu-cuc");
      const kind = await scan(page, data.number, data.seal);
      if (kind !== "ok") throw new Error(`scan gave ${kind}`);
      const again = await scan(page, data.number, data.seal);
      if (again !== "duplicate") throw new Error(`second scan gave ${again}`);
      await lib.expectText(page, "main", "Đang ở bưu cục");
      await lib.checkA11y(page, `office-scanned-${w}`);
      await lib.shot(page, `office-scanned-${w}`);
      // Another parcel whose seal reads differently: the second screen,
      // which does not show the recorded id; Back keeps what was typed;
      // the right reading is recorded.
      const other = await scan(page, data.number2, "NP-KHAC-99");
      if (other !== "navigated") throw new Error(`another seal gave ${other}`);
      await lib.expectText(page, "h1", "Xác nhận sai lệch khi nhận");
      await lib.expectText(page, "main", "Mã niêm phong bạn đọc khác mã đã ghi");
      if ((await page.locator("main").innerText()).includes(data.seal2)) throw new Error("the confirmation screen shows the recorded seal");
      await lib.checkA11y(page, `office-confirm-${w}`);
      await lib.shot(page, `office-confirm-${w}`);
      await page.click("text=Quay lại sửa");
      await page.waitForURL(/\/buu-cuc\?nhap=/);
      if ((await page.inputValue("#seal_id")) !== "NP-KHAC-99" || (await page.inputValue("#so")) !== data.number2) throw new Error("Back lost what was typed");
      if (!(await page.isChecked("input[name=seal][value=intact]"))) throw new Error("Back lost the seal state");
      await lib.shot(page, `office-back-${w}`);
      await page.fill("#seal_id", data.seal2);
      await page.click("text=Nhận bưu gửi");
      await page.waitForSelector("[data-scan=ok]");
      await lib.expectNoOverflow(page);
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
    case "office_manifest": {
      // A manifest of results from the desk: a result per line, blind; one
      // line missing goes to the second screen first.
      await page.goto("/buu-cuc");
      await page.click(`text=Xác nhận cả bảng kê ${data.manifest}`);
      await lib.expectText(page, "h1", `Bảng kê ${data.manifest}`);
      if (await page.locator("input:checked").count()) throw new Error("manifest form pre-filled");
      await lib.checkA11y(page, `office-manifest-${w}`);
      await lib.shot(page, `office-manifest-${w}`);
      await page.click("text=Xác nhận bảng kê");
      // The browser itself refuses an empty result (required).
      if (!page.url().endsWith(`/buu-cuc/bang-ke/${data.manifest}`)) throw new Error(`an empty manifest form was sent: ${page.url()}`);
      // The lines are listed by tracking number (not the order they were
      // made in): the first listed is received, the second missing.
      const [a, b] = [...data.numbers].sort();
      await page.check(`input[name=result_0][value=received]`);
      await page.fill(`#lines-0-seal_id`, data.seals[data.numbers.indexOf(a)]);
      await page.check(`input[name=result_1][value=missing]`);
      await page.click("text=Xác nhận bảng kê");
      await lib.expectText(page, "h1", `Xác nhận sai lệch của bảng kê ${data.manifest}`);
      await lib.expectText(page, `[data-diff="${b}"]`, "Không có trong chuyến");
      await lib.expectText(page, "main", a);
      await lib.checkA11y(page, `office-manifest-confirm-${w}`);
      await lib.shot(page, `office-manifest-confirm-${w}`);
      await page.click("text=Xác nhận và ghi sai lệch");
      await lib.expectText(page, ".alert", `Bảng kê ${data.manifest}: đã nhận 1 bưu gửi, ghi sai lệch 1`);
      await lib.checkA11y(page, `office-manifest-closed-${w}`);
      await lib.shot(page, `office-manifest-closed-${w}`);
      break;
    }
    case "desk_scan_count": {
      await page.goto("/mot-cua");
      await lib.checkA11y(page, `desk-${w}`);
      const kind = await scan(page, data.number, data.seal);
      if (kind !== "navigated") throw new Error(`desk scan gave ${kind}`);
      await lib.expectText(page, "h1", "Kiểm đếm hồ sơ");
      // Blind: nothing pre-filled.
      for (const f of await page.locator("input[type=number]").all()) {
        if (await f.inputValue()) throw new Error("count form pre-filled");
      }
      await lib.checkA11y(page, `desk-count-${w}`);
      await lib.shot(page, `desk-count-${w}`);
      // One copy short: the second screen lists it, without the expected
      // number; Back keeps the counts typed.
      await page.fill("#count_1", "1");
      await page.fill("#count_2", "1");
      await page.fill("#count_3", "1");
      await page.click("text=Xác nhận đã nhận");
      await lib.expectText(page, "main", "bạn đếm được 1 bản, ít hơn số đã ghi");
      await lib.checkA11y(page, `desk-count-confirm-${w}`);
      await lib.shot(page, `desk-count-confirm-${w}`);
      await page.click("text=Quay lại sửa");
      await lib.expectText(page, "h1", "Kiểm đếm hồ sơ");
      if ((await page.inputValue("#count_3")) !== "1" || (await page.inputValue("#count_1")) !== "1") throw new Error("Back lost the counts");
      await page.fill("#count_3", "2");
      await page.click("text=Xác nhận đã nhận");
      await page.waitForSelector("[data-scan=ok]");
      await lib.expectText(page, "main", "Hồ sơ chờ tiếp nhận (1)");
      await lib.shot(page, `desk-received-${w}`);
      break;
    }
    case "desk_accept": {
      await page.goto("/mot-cua");
      // No appointment date: the page again by a redirect (Post/Redirect/
      // Get), the message beside the date and in the summary, nothing
      // typed in the URL.
      await page.fill(`#note-${data.number}`, "Hẹn trả trong tuần");
      await page.click("text=Lưu quyết định");
      await lib.expectText(page, ".error-summary", "Chọn ngày hẹn trả kết quả");
      await lib.expectURL(page, /\/mot-cua$/);
      await lib.expectVisible(page, `#appointment-${data.number}[aria-invalid=true]`);
      if (!(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains("error-summary")))) {
        throw new Error("the error summary does not have the focus");
      }
      if ((await page.inputValue(`#note-${data.number}`)) !== "Hẹn trả trong tuần") throw new Error("the refused decision lost its note");
      await lib.expectNoOverflow(page);
      await lib.checkA11y(page, `desk-decide-error-${w}`);
      await lib.shot(page, `desk-decide-error-${w}`);
      await page.fill(`#appointment-${data.number}`, "2026-12-20");
      await page.click("text=Lưu quyết định");
      await lib.expectText(page, ".alert", "Đã tiếp nhận hồ sơ");
      await lib.checkA11y(page, `desk-accepted-${w}`);
      await lib.shot(page, `desk-accepted-${w}`);
      break;
    }
    case "desk_release": {
      await page.goto("/mot-cua");
      await lib.expectText(page, "main", "Kết quả");
      await page.fill(`#seal-${data.number}`, data.seal);
      await page.selectOption("select[name=to]", `courier:${data.courier}`);
      await lib.checkA11y(page, `desk-release-form-${w}`);
      await lib.shot(page, `desk-release-form-${w}`);
      await page.click("text=Lập bảng kê, niêm phong và bàn giao");
      await lib.expectText(page, ".alert", "Đã lập bảng kê BK");
      await lib.checkA11y(page, `desk-release-${w}`);
      await lib.shot(page, `desk-release-${w}`);
      break;
    }
    case "dispatcher_recall": {
      await page.goto("/nhan-vien/ban-giao");
      await lib.expectText(page, "h1", "Bàn giao đang chờ xác nhận");
      await lib.expectText(page, "main", data.number);
      await lib.checkA11y(page, `handoffs-${w}`);
      await lib.shot(page, `handoffs-${w}`);
      const card = page.locator("section.card", { hasText: data.number });
      await card.locator("input[name=reason]").fill("Bên nhận không đến quầy, bưu tá bàn giao lại");
      await card.getByRole("button", { name: "Thu hồi bàn giao" }).click();
      await lib.expectText(page, ".alert", `Đã thu hồi bàn giao ${data.number}`);
      await lib.checkA11y(page, `handoffs-recalled-${w}`);
      await lib.shot(page, `handoffs-recalled-${w}`);
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
