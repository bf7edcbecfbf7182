// courier-disp: document dispositions and door scans in the courier app
// (/buu-ta/) on a 360 px phone (issue 18 item 4, the courier's side).
//
// Online, the courier collects a pickup whose first line is an original
// carried, the second shown and handed back, the third scanned and kept:
// the scan is refused without a photo, then taken with the camera (a file
// input with capture); the review and the summary count only the original.
// The scan is uploaded to /api/v1/courier/scans before the event names it.
// Then a second pickup: the network drops while the courier is at the
// door, the second line is not brought (not needed: in VNeID), the scan
// is taken offline, the page is reloaded at the review
// (the draft keeps the photo), the collection is recorded offline; the
// outbox holds the scan before the event, the event names the scan's
// SHA-256. Back online, the first upload of the scan fails (a flaky
// network): the event is not sent before the scan; on the retry the scan
// and then the event are taken. axe on every new screen.
//
// data: {username, password, numbers: [2 S10], pngs: [2 base64 images, the pages photographed]}
// result: {online: {id, sha}, offline: {id, sha}, log: [{what, number, ok}]}

const offlineNoise = [
  /ERR_INTERNET_DISCONNECTED/,
  /net::ERR_FAILED.*\/api\//,
  /Failed to fetch/,
  // The scan's first upload, dropped on purpose (a flaky network).
  /request failed: .*\/api\/v1\/courier\/scans \(net::ERR_FAILED\)/,
];

async function count(page) {
  return Number(await page.locator("#chua-dong-bo").getAttribute("data-count"));
}

async function waitCount(page, n, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const c = await count(page).catch(() => -1);
    if (c === n) return;
    if (Date.now() > deadline) throw new Error(`pending counter: want ${n}, got ${c}`);
    await page.waitForTimeout(200);
  }
}

async function choose(page, legend, label) {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  await page.locator("fieldset", { has: page.locator("legend", { hasText: legend }) })
    .locator("label.choice", { hasText: new RegExp("^\\s*" + esc) }).click();
}

async function sign(page) {
  const canvas = page.locator("canvas.sig__canvas[data-ready='1']");
  await canvas.waitFor();
  await canvas.evaluate((el) => el.scrollIntoView({ block: "center" }));
  const box = await canvas.boundingBox();
  const pt = (i) => [box.x + 20 + (i * (box.width - 40)) / 16, box.y + box.height * 0.6 - Math.sin(i / 2.2) * box.height * 0.3];
  await page.mouse.move(...pt(0));
  await page.mouse.down();
  for (let i = 1; i <= 16; i++) await page.mouse.move(...pt(i), { steps: 2 });
  await page.mouse.up();
}

const current = { page: null };

export default async function courierDisp(args) {
  try {
    return await run(args);
  } catch (e) {
    if (current.page) await args.lib.shot(current.page, "courier-disp-failure").catch(() => {});
    throw e;
  }
}

/**
 * The door's document lines: original (1 copy), shown, scanned with a
 * photo. With reloadAtReview, the page is reloaded once the review shows
 * (offline: the draft must keep the photo).
 */
async function lines(page, lib, png, { shots = false, reloadAtReview = false, number, absent = false }) {
  await page.locator("#main h1", { hasText: "Kiểm từng giấy tờ" }).waitFor();
  // 1: the original, carried (the default).
  await lib.expectText(page, ".card--doc .card__label", "Giấy tờ 1/3");
  await choose(page, "Công dân có giấy tờ này không?", "Có");
  const checked = await page.locator("fieldset", { has: page.locator("legend", { hasText: "Xử lý giấy tờ này" }) })
    .locator("input[type=radio]:checked").getAttribute("value");
  if (checked !== "original") throw new Error(`default disposition ${checked}, want original`);
  if (shots) {
    await lib.expectNoOverflow(page);
    await lib.checkA11y(page, "courier-disposition-360");
    await lib.shot(page, "courier-disposition-360");
  }
  await page.getByRole("button", { name: "Giấy tờ tiếp theo" }).click();
  // 2: shown and handed back (no count asked), or (absent) not brought
  // and not needed: its data is in VNeID.
  await lib.expectText(page, ".card--doc .card__label", "Giấy tờ 2/3");
  if (absent) {
    await choose(page, "Công dân có giấy tờ này không?", "Không có");
    await page.locator("label.choice--check", { hasText: "Không cần: đã có trên VNeID/CSDL" }).click();
    await lib.checkA11y(page, "courier-not-needed-360");
    await lib.shot(page, "courier-not-needed-360");
  } else {
    await choose(page, "Công dân có giấy tờ này không?", "Có");
    await choose(page, "Xử lý giấy tờ này", "Xem rồi trả lại");
    if (await page.locator(".stepper").count()) throw new Error("a count is asked for a line shown and handed back");
    await lib.expectText(page, ".notice--ok", "trả giấy tờ cho công dân");
  }
  await page.getByRole("button", { name: "Giấy tờ tiếp theo" }).click();
  // 3: scanned and kept: a photo is needed.
  await lib.expectText(page, ".card--doc .card__label", "Giấy tờ 3/3");
  await choose(page, "Công dân có giấy tờ này không?", "Có");
  await choose(page, "Xử lý giấy tờ này", "Quét/chụp và lưu bản điện tử");
  await page.getByRole("button", { name: "Xem lại" }).click();
  await lib.expectText(page, ".field--error .field__error", "Chưa có ảnh");
  if (shots) {
    await lib.checkA11y(page, "courier-scan-missing-360");
    await lib.shot(page, "courier-scan-missing-360");
  }
  await page.setInputFiles("#anh-quet-3", { name: "giay-to.png", mimeType: "image/png", buffer: Buffer.from(png, "base64") });
  await page.locator("img.photo__preview").waitFor();
  if (await page.locator(".field--error .field__error").count()) throw new Error("the scan's error stays after the photo");
  if (shots) {
    await lib.expectNoOverflow(page);
    await lib.checkA11y(page, "courier-scan-360");
    await lib.shot(page, "courier-scan-360");
  }
  await page.getByRole("button", { name: "Xem lại" }).click();
  await page.locator("#main h1", { hasText: "Xem lại giấy tờ" }).waitFor();
  if (reloadAtReview) {
    // The draft is saved after each change: wait until it holds the photo.
    await page.waitForFunction(async (n) => {
      const d = await (await HosoSync.db()).get("drafts", n);
      return !!(d && d.step === "review" && d.docs[2].scan && d.docs[2].scan.byteLength > 0);
    }, number, { timeout: 10_000 });
    await page.reload();
    await page.locator("#main h1", { hasText: "Xem lại giấy tờ" }).waitFor({ timeout: 15_000 });
  }
  const dispositions = await page.locator("li.review__row").evaluateAll((els) => els.map((e) => e.dataset.disposition));
  const want = ["original", absent ? "not_needed" : "shown", "scanned"];
  if (JSON.stringify(dispositions) !== JSON.stringify(want)) throw new Error(`review: ${JSON.stringify(dispositions)}`);
  await lib.expectText(page, "li.review__row[data-disposition=scanned]", "đã chụp ảnh");
  await lib.expectText(page, ".notice--ok", "Đủ giấy tờ theo danh sách");
  if (shots) {
    await lib.expectNoOverflow(page);
    await lib.checkA11y(page, "courier-disposition-review-360");
    await lib.shot(page, "courier-disposition-review-360");
  }
  await page.getByRole("button", { name: "Tiếp: nhãn, niêm phong" }).click();
}

async function finish(page, lib, number, seal, shots) {
  await page.locator("#main h1", { hasText: "Nhãn và niêm phong" }).waitFor();
  await page.locator("#so-hieu").fill(number);
  await page.locator("#niem-phong").fill(seal);
  await page.getByRole("button", { name: "Tiếp: xác nhận" }).click();
  await page.locator("#main h1", { hasText: "Công dân xác nhận" }).waitFor();
  await lib.expectText(page, ".card", "1 bản gốc gửi đi");
  await lib.expectText(page, ".card", "2 giấy tờ không gửi bản gốc (1 ảnh quét sẽ gửi lên máy chủ trước)");
  await sign(page);
  if (shots) {
    await lib.checkA11y(page, "courier-disposition-confirm-360");
    await lib.shot(page, "courier-disposition-confirm-360");
  }
  await page.getByRole("button", { name: "Xác nhận đã nhận" }).click();
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor();
  await lib.expectText(page, ".toast", `Đã nhận hồ sơ ${number}`);
}

async function run({ browser, baseURL, data, lib }) {
  const [n1, n2] = data.numbers;
  const ctx = await lib.newPhoneContext(browser, {
    baseURL,
    permissions: ["geolocation"],
    geolocation: { latitude: 21.5942, longitude: 105.8482, accuracy: 20 },
  });
  const page = await ctx.newPage();
  current.page = page;
  page.on("console", (m) => lib.log("console", m.type(), m.text()));
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: offlineNoise });
  const out = { online: {}, offline: {}, log: [] };

  // Every upload and event batch, from the page or the service worker, in
  // the order they went out; the first upload of the offline pickup's scan
  // fails as on a flaky network.
  let flaky = false;
  const what = (req) => {
    const p = new URL(req.url()).pathname;
    return p === "/api/v1/courier/scans" ? "scan" : p === "/api/v1/courier/evidence" ? "evidence" : p === "/api/v1/courier/events" ? "events" : "";
  };
  const numbersOf = (req) => {
    try {
      const b = JSON.parse(req.postData() || "{}");
      return b.events ? b.events.map((e) => e.tracking_number) : [b.tracking_number];
    } catch (e) {
      return [];
    }
  };
  await ctx.route("**/api/v1/courier/scans", async (route) => {
    if (flaky && numbersOf(route.request()).includes(n2)) {
      flaky = false;
      await route.abort("failed");
      return;
    }
    await route.continue();
  });
  const entries = new Map();
  ctx.on("request", (req) => {
    if (req.method() !== "POST" || !what(req)) return;
    const e = { what: what(req), numbers: numbersOf(req), ok: null };
    entries.set(req, e);
    out.log.push(e);
  });
  ctx.on("requestfinished", async (req) => {
    const e = entries.get(req);
    if (!e) return;
    const res = await req.response();
    e.ok = !!res && res.ok();
  });
  ctx.on("requestfailed", (req) => {
    const e = entries.get(req);
    if (e) e.ok = false;
  });

  // --- sign in; the route ---
  await page.goto("/buu-ta/");
  await lib.expectText(page, "#main h1", "Đăng nhập");
  await page.locator("#ten-dang-nhap").fill(data.username);
  await page.locator("#mat-khau").fill(data.password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor({ timeout: 15_000 });
  await lib.expectCount(page, "li.stop", data.numbers.length, { timeout: 10_000 });
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await waitCount(page, 0);

  // --- online: original, shown, scanned ---
  await page.goto(`/buu-ta/#/diem/${n1}`);
  await page.locator("#main h1", { hasText: "Thu gom hồ sơ" }).waitFor();
  await page.getByRole("button", { name: "Đã đến, kiểm giấy tờ" }).click();
  await lines(page, lib, data.pngs[0], { shots: true, number: n1 });
  await finish(page, lib, n1, "NP-QUET-001", true);
  await waitCount(page, 0, 30_000);
  if ((await page.locator("#chua-dong-bo").getAttribute("data-rejected")) !== "0") throw new Error("the online collection was refused");
  const sent1 = await page.evaluate(async (n) => (await HosoSync.listSent()).find((s) => s.event.tracking_number === n && s.event.type === "pickup.collected"), n1);
  if (!sent1) throw new Error("the online collection is not in the sent journal");
  out.online = { id: sent1.event.id, sha: sent1.event.data.documents[2].scan_sha256, documents: sent1.event.data.documents };
  // The stop says what became of each line.
  await page.goto(`/buu-ta/#/diem/${n1}`);
  await lib.expectText(page, ".docs", "xem rồi trả lại");

  // --- the network drops at the door ---
  await page.goto(`/buu-ta/#/diem/${n2}`);
  await page.locator("#main h1", { hasText: "Thu gom hồ sơ" }).waitFor();
  await page.getByRole("button", { name: "Đã đến, kiểm giấy tờ" }).click();
  await ctx.setOffline(true);
  await lib.expectText(page, "#mat-mang", "Mất mạng");
  await lines(page, lib, data.pngs[1], { reloadAtReview: true, number: n2, absent: true });
  await finish(page, lib, n2, "NP-QUET-002", false);
  await waitCount(page, 1);
  const queued = await page.evaluate(async () => (await HosoSync.listOutbox()).map((it) => ({
    kind: it.kind, upload: it.upload || "", sha256: it.sha256 || "", line: it.evidence ? it.evidence.line : 0, event: it.event || null,
  })));
  // The scan, the citizen's signature, then the event naming both.
  if (queued.length !== 3 || queued[0].upload !== "scan" || queued[0].line !== 3 || queued[1].kind !== "evidence" || queued[1].upload
    || queued[2].kind !== "event") {
    throw new Error(`outbox offline: ${JSON.stringify(queued.map((q) => [q.kind, q.upload, q.line]))}`);
  }
  const ev2 = queued[2].event;
  if (ev2.data.documents[2].scan_sha256 !== queued[0].sha256) throw new Error("the event does not name the queued scan's SHA-256");
  out.offline = { id: ev2.id, sha: queued[0].sha256, documents: ev2.data.documents };
  await page.goto("/buu-ta/#/dong-bo");
  await lib.expectText(page, "main", "Ảnh quét giấy tờ 3");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "courier-scan-outbox-360");
  await lib.shot(page, "courier-scan-outbox-360");

  // --- online again, the first upload of the scan is lost ---
  flaky = true;
  await ctx.setOffline(false);
  await waitCount(page, 0, 60_000);
  if ((await page.locator("#chua-dong-bo").getAttribute("data-rejected")) !== "0") throw new Error("the offline collection was refused");
  if (flaky) throw new Error("the scan was never tried while the network was flaky");
  errors.check();
  return out;
}
