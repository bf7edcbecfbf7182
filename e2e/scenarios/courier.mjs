// courier: the courier app (/buu-ta/) on a 360 px phone, offline first.
//
// Sign in, load the day's route (the service worker precaches the app),
// have the server text two citizens their door codes, go offline, collect
// four pickups (documents one by one, one partial; the first label read by
// the fake camera, the others typed, one with a wrong check digit first;
// the seal; two citizens sign, one reads out the code the server texted,
// one reads out a wrong code), record a not-at-home attempt, reload while
// offline (the app and the pending counter are still there), go back
// online and watch the outbox empty: the signatures and the right code are
// accepted, the wrong code is refused and the app says why, on the sync
// screen and on the stop. Then replay the accepted events (all duplicate),
// hand three parcels to the post office, let the office confirm through
// its own API and see the confirmation arrive, and finally alter an event
// in IndexedDB after it was signed: the server refuses it and the app shows
// why.
//
// data: {username, password, office: {username, password, code}, staff: {username, password}, numbers: [7 S10], video}
// data.staff: an account that may read the demo SMS page (the citizen's phone)
// result: {offline: [{id, type, number}], replay: [status], scanned, seals, tampered, reason, released, tel, otp, doorCode, wrongCode, wrongReason, replacedKey}

export const launchOptions = (data) => ({ extraArgs: data.video ? lib_fakeCamera(data.video) : [] });

function lib_fakeCamera(file) {
  return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${file}`];
}

const offlineNoise = [
  /ERR_INTERNET_DISCONNECTED/,
  /HTTP 401: .*\/api\/v1\/auth\/token/,
  /status of 401/,
  /net::ERR_FAILED.*\/api\//,
  /Failed to fetch/,
  // The wrong password typed on purpose when replacing the key.
  /HTTP 403: .*\/api\/v1\/courier\/device-key/,
  /status of 403 \(Forbidden\) \(.*\/api\/v1\/courier\/device-key\)/,
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

// The citizen signs. Mouse events become pointer events, which is what
// signature_pad reads (a DevTools touch session would reset the offline
// emulation's navigator.onLine).
async function sign(page) {
  // The pad is attached by an effect after the step's first paint: strokes
  // drawn before it would be lost and the app would say nobody signed.
  const canvas = page.locator("canvas.sig__canvas[data-ready='1']");
  await canvas.waitFor();
  // Centre it: the sticky button bar covers the bottom of the screen.
  await canvas.evaluate((el) => el.scrollIntoView({ block: "center" }));
  const box = await canvas.boundingBox();
  const pt = (i) => [box.x + 20 + (i * (box.width - 40)) / 16, box.y + box.height * 0.6 - Math.sin(i / 2.2) * box.height * 0.3];
  await page.mouse.move(...pt(0));
  await page.mouse.down();
  for (let i = 1; i <= 16; i++) await page.mouse.move(...pt(i), { steps: 2 });
  await page.mouse.up();
}

async function openStop(page, number) {
  await page.goto(`/buu-ta/#/diem/${number}`);
  await page.locator("#main h1", { hasText: "Thu gom hồ sơ" }).waitFor();
}

async function choose(page, legend, label) {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  await page.locator("fieldset", { has: page.locator("legend", { hasText: legend }) })
    .locator("label.choice", { hasText: new RegExp("^\\s*" + esc) }).click();
}

/**
 * One pickup: arrive, documents one by one (counts[i] copies of line i, or
 * the expected count when undefined), partial reason when short, the
 * label's number (scanned or typed), the seal, the signature.
 */
async function collect(page, lib, number, { counts = [], partialReason = "", scan = false, typo = false, seal, shots = false, code = "" }) {
  await openStop(page, number);
  if (shots === true) {
    await lib.checkA11y(page, "courier-stop-360");
    await lib.shot(page, "courier-stop-360");
  }
  await page.getByRole("button", { name: /Đã đến, kiểm giấy tờ|Tiếp tục kiểm giấy tờ/ }).click();
  await page.locator("#main h1", { hasText: "Kiểm từng giấy tờ" }).waitFor();
  for (let i = 0; ; i++) {
    await lib.expectText(page, ".card--doc .card__label", `Giấy tờ ${i + 1}/`);
    await choose(page, "Công dân có giấy tờ này không?", "Có");
    if (counts[i] !== undefined) await page.locator(".stepper__input").fill(String(counts[i]));
    if (shots === true && i === 0) {
      await lib.checkA11y(page, "courier-document-360");
      await lib.shot(page, "courier-document-360");
    }
    const next = page.getByRole("button", { name: /Giấy tờ tiếp theo|Xem lại/ });
    const label = await next.textContent();
    await next.click();
    if (label.includes("Xem lại")) break;
  }
  await page.locator("#main h1", { hasText: "Xem lại giấy tờ" }).waitFor();
  if (partialReason) {
    await page.getByLabel(/Lý do thu gom một phần/).fill(partialReason);
    if (shots) {
      await lib.checkA11y(page, "courier-partial-360");
      await lib.shot(page, "courier-partial-360");
    }
  }
  await page.getByRole("button", { name: "Tiếp: nhãn, niêm phong" }).click();
  await page.locator("#main h1", { hasText: "Nhãn và niêm phong" }).waitFor();
  let scanned = "";
  if (scan) {
    await page.getByRole("button", { name: "Quét mã vạch trên nhãn" }).click();
    await page.locator("video.scanner__video").waitFor();
    await page.waitForFunction((n) => document.getElementById("so-hieu")?.value === n, number, { timeout: 30_000 });
    scanned = await page.locator("#so-hieu").inputValue();
    if (shots) await lib.shot(page, "courier-label-360");
  } else if (typo) {
    // A wrong check digit is refused on the device.
    const wrong = number.slice(0, 10) + String((Number(number[10]) + 1) % 10) + number.slice(11);
    await page.locator("#so-hieu").fill(wrong);
    await page.locator("#niem-phong").fill(seal);
    await page.getByRole("button", { name: "Tiếp: xác nhận" }).click();
    await lib.expectText(page, ".field--error .field__error", "Sai số kiểm tra");
    if (shots) {
      await lib.checkA11y(page, "courier-label-error-360");
      await lib.shot(page, "courier-label-error-360");
    }
    await page.locator("#so-hieu").fill(number.toLowerCase());
  } else {
    await page.locator("#so-hieu").fill(number);
  }
  await page.locator("#niem-phong").fill(seal.toLowerCase());
  await page.getByRole("button", { name: "Tiếp: xác nhận" }).click();
  await page.locator("#main h1", { hasText: "Công dân xác nhận" }).waitFor();
  if (code) {
    // The citizen reads out the code the server texted; the phone is
    // offline, the server checks it at sync.
    await choose(page, "Cách xác nhận", "Đọc mã gửi tới điện thoại");
    await lib.expectText(page, ".field__hint", "vẫn nhập được");
    await page.locator("#ma-otp").fill(code);
    if (shots === "code") {
      await lib.checkA11y(page, "courier-door-code-offline-360");
      await lib.shot(page, "courier-door-code-offline-360");
    }
  } else {
    await sign(page);
  }
  if (shots === true) {
    await lib.checkA11y(page, "courier-signature-360");
    await lib.shot(page, "courier-signature-360");
  }
  await page.getByRole("button", { name: "Xác nhận đã nhận" }).click();
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor();
  await lib.expectText(page, ".toast", `Đã nhận hồ sơ ${number}`);
  return scanned;
}

const current = { page: null };

// Reads the one-time code the citizen got, from the staff SMS page (demo
// gateway), as a person at the citizen's side would read their phone.
async function readCode(lib, browser, baseURL, staff, number) {
  const ctx = await lib.newDesktopContext(browser, { baseURL });
  const page = await ctx.newPage();
  lib.guardOrigin(page, baseURL);
  await page.goto("/dang-nhap");
  await page.fill("#username", staff.username);
  await page.fill("#password", staff.password);
  await page.click("button[type=submit]");
  await page.waitForURL((u) => !u.pathname.startsWith("/dang-nhap"));
  await page.goto("/nhan-vien/tin-nhan");
  const text = await page.locator("tbody tr", { hasText: number }).filter({ hasText: "Ma xac nhan" }).first().innerText();
  await ctx.close();
  const m = text.match(/Ma xac nhan (\d{6})/);
  if (!m) throw new Error(`no code in SMS row: ${text}`);
  return m[1];
}

export default async function courier(args) {
  try {
    return await day(args);
  } catch (e) {
    if (current.page) await args.lib.shot(current.page, "courier-failure").catch(() => {});
    throw e;
  }
}

async function day({ browser, baseURL, data, lib }) {
  const [n1, n2, n3, n4, n5, n6, n7] = data.numbers;
  const ctx = await lib.newPhoneContext(browser, {
    baseURL,
    permissions: ["camera", "geolocation"],
    geolocation: { latitude: 21.5942, longitude: 105.8482, accuracy: 20 },
  });
  const page = await ctx.newPage();
  current.page = page;
  page.on("console", (m) => lib.log("console", m.type(), m.text()));
  lib.guardOrigin(page, baseURL);
  const errors = lib.watchErrors(page, { ignore: offlineNoise });
  const out = { offline: [], replay: [], scanned: "", seals: {}, tampered: "", reason: "", released: [] };

  // --- sign in; the route; the service worker takes control ---
  await page.goto("/buu-ta");
  await lib.expectURL(page, "/buu-ta/");
  await lib.expectText(page, "#main h1", "Đăng nhập");
  // The S10 check on the device, with the domain's test vectors.
  const s10 = await page.evaluate(async () => {
    const m = await import("/static/courier/s10.js");
    return [m.checkDigit("47312482"), m.checkDigit("12345678"), m.valid("EA123456785VN"), m.valid("EA123456784VN"), m.find("https://x/tra-cuu/EA123456785VN")];
  });
  if (JSON.stringify(s10) !== JSON.stringify([9, 5, true, false, "EA123456785VN"])) throw new Error(`s10 in the app: ${JSON.stringify(s10)}`);
  await lib.expectFontLoaded(page, "Be Vietnam Pro", "Đăng nhập");
  await lib.checkA11y(page, "courier-login-360");
  await lib.shot(page, "courier-login-360");
  await page.locator("#ten-dang-nhap").fill(data.username);
  await page.locator("#mat-khau").fill("sai-mat-khau");
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await lib.expectText(page, ".notice--error", "không đúng");
  await page.locator("#mat-khau").fill(data.password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor({ timeout: 15_000 });
  await lib.expectCount(page, "li.stop", data.numbers.length, { timeout: 10_000 });
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await waitCount(page, 0);
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "courier-route-360");
  await lib.shot(page, "courier-route-360");

  // --- online still: the server texts two citizens their door codes ---
  for (const n of [n3, n7]) {
    const st = await page.evaluate(async (n) => {
      const s = await HosoSync.kvGet("session");
      return (await fetch(`/api/v1/courier/stops/${n}/code`, { method: "POST", headers: { Authorization: "Bearer " + s.token } })).status;
    }, n);
    if (st !== 204) throw new Error(`door code for ${n}: ${st}`);
  }
  out.doorCode = await readCode(lib, browser, baseURL, data.staff, n3);
  const code7 = await readCode(lib, browser, baseURL, data.staff, n7);
  out.wrongCode = code7 === "000000" ? "000001" : "000000";

  // --- offline: four collections and a failed attempt ---
  await ctx.setOffline(true);
  await lib.expectText(page, "#mat-mang", "Mất mạng");
  out.seals[n1] = "NP-000101";
  out.seals[n2] = "NP-000102";
  out.seals[n3] = "NP-000103";
  out.seals[n7] = "NP-000107";
  out.scanned = await collect(page, lib, n1, { scan: true, seal: out.seals[n1], shots: true });
  await waitCount(page, 1);
  await collect(page, lib, n2, { counts: [1, 1, 1], partialReason: "Công dân sẽ bổ sung bản sao chứng thực CCCD sau", seal: out.seals[n2], shots: "partial" });
  await collect(page, lib, n3, { typo: true, seal: out.seals[n3], shots: "code", code: out.doorCode });
  await collect(page, lib, n7, { seal: out.seals[n7], code: out.wrongCode });
  await openStop(page, n4);
  await page.getByRole("button", { name: "Không thu gom được" }).click();
  await choose(page, "Lý do", "Công dân không có nhà");
  await page.getByLabel("Ghi chú").fill("Hàng xóm cho biết đi vắng đến chiều");
  await lib.checkA11y(page, "courier-failed-360");
  await lib.shot(page, "courier-failed-360");
  await page.getByRole("button", { name: "Ghi không thành công" }).click();
  await lib.expectText(page, ".toast", "không thành công");
  await waitCount(page, 5);
  await lib.expectText(page, "#chua-dong-bo", "Chưa đồng bộ 5");

  // --- reload while offline: the app, the route and the counter are still there ---
  await page.reload();
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor({ timeout: 15_000 });
  await waitCount(page, 5);
  await lib.expectCount(page, "li.stop--done", 4);
  await lib.expectCount(page, "li.stop--failed", 1);
  await lib.expectText(page, ".notice--warn", "Đang mất mạng");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "courier-offline-360");
  await lib.shot(page, "courier-offline-360");
  await page.goto("/buu-ta/#/dong-bo");
  await lib.expectText(page, "#so-chua-dong-bo", "5");
  await lib.checkA11y(page, "courier-outbox-360");
  await lib.shot(page, "courier-outbox-360");
  const snapshot = await page.evaluate(async () =>
    (await HosoSync.listOutbox()).map((it) => ({ kind: it.kind, event: it.event || null })),
  );
  if (snapshot.filter((s) => s.kind === "evidence").length !== 2) throw new Error(`outbox ${JSON.stringify(snapshot.map((s) => s.kind))}`);
  const all = snapshot.filter((s) => s.kind === "event").map((s) => s.event);
  // The door code travels beside the signed fields, its commitment inside.
  const withCode = all.find((e) => e.tracking_number === n3);
  if (withCode.secret !== out.doorCode || !/^[0-9a-f]{64}$/.test(withCode.data.proof.commit) || JSON.stringify(withCode.data).includes(out.doorCode)) {
    throw new Error(`the door code event as queued: ${JSON.stringify(withCode)}`);
  }
  const wrongEvent = all.find((e) => e.tracking_number === n7);
  const events = all.filter((e) => e !== wrongEvent);
  out.offline = all.map((e) => ({ id: e.id, type: e.type, number: e.tracking_number }));

  // --- online: the outbox empties; the wrong code is refused, and why ---
  await ctx.setOffline(false);
  await waitCount(page, 0, 40_000);
  await lib.expectText(page, "#chua-dong-bo", "1 bị từ chối");
  await page.goto("/buu-ta/#/dong-bo");
  const wrongRow = page.locator(`li.list__row--rejected[data-id="${wrongEvent.id}"]`);
  await wrongRow.waitFor({ timeout: 10_000 });
  out.wrongReason = await wrongRow.locator(".reason").textContent();
  if (!out.wrongReason.includes("mã xác nhận không đúng")) throw new Error(`wrong code shown as: ${out.wrongReason}`);
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "courier-wrong-code-360");
  await lib.shot(page, "courier-wrong-code-360");
  // The stop is not done: it says why and can be done again.
  await page.goto(`/buu-ta/#/diem/${n7}`);
  await lib.expectText(page, "#bi-tu-choi", "mã xác nhận không đúng");
  await lib.checkA11y(page, "courier-wrong-code-stop-360");
  await lib.shot(page, "courier-wrong-code-stop-360");
  await page.goto("/buu-ta/#/dong-bo");
  await wrongRow.getByRole("button", { name: /Đã biết, ẩn/ }).click();
  await lib.expectText(page, "#chua-dong-bo", "Đã đồng bộ");
  await page.goto("/buu-ta/#/");
  await page.locator("#main h1", { hasText: "Tuyến hôm nay" }).waitFor();

  // --- replaying the accepted events changes nothing ---
  out.replay = await page.evaluate(async (evs) => {
    const s = await HosoSync.kvGet("session");
    const res = await fetch("/api/v1/courier/events", {
      method: "POST", headers: { Authorization: "Bearer " + s.token, "Content-Type": "application/json" }, body: JSON.stringify({ events: evs }),
    });
    return (await res.json()).results.map((r) => r.status);
  }, events);

  // --- hand the three parcels to the post office ---
  await page.goto("/buu-ta/#/ban-giao");
  await page.locator("#main h1", { hasText: "Bàn giao" }).waitFor();
  await lib.expectCount(page, "fieldset .choice--check", 3, { timeout: 15_000 });
  await page.locator("#them-so-hieu").fill(n1);
  await page.getByRole("button", { name: "Thêm", exact: true }).click();
  await page.locator("#them-so-hieu").fill("EA000000000VN");
  await page.getByRole("button", { name: "Thêm", exact: true }).click();
  await lib.expectText(page, ".field__error", "Sai số kiểm tra");
  await page.locator("#them-so-hieu").fill("");
  await page.locator(".choice--check", { hasText: n2 }).click();
  await page.locator(".choice--check", { hasText: n3 }).click();
  await lib.checkA11y(page, "courier-handoff-360");
  await lib.shot(page, "courier-handoff-360");
  await page.getByRole("button", { name: "Bàn giao 3 bưu gửi" }).click();
  await lib.expectText(page, ".toast", "Đã ghi bàn giao 3 bưu gửi");
  await waitCount(page, 0, 20_000);
  out.released = [n1, n2, n3];
  await lib.expectCount(page, 'li[data-state="waiting"]', 3, { timeout: 20_000 });

  // The office confirms through its own API (a staff session and CSRF).
  const office = await lib.newDesktopContext(browser, { baseURL });
  const op = await office.newPage();
  lib.guardOrigin(op, baseURL);
  await op.goto("/dang-nhap");
  await op.fill("#username", data.office.username);
  await op.fill("#password", data.office.password);
  await op.click("button[type=submit]");
  await op.waitForURL((u) => !u.pathname.startsWith("/dang-nhap"));
  await op.goto("/nhan-vien");
  const csrf = await op.locator('input[name="_csrf"]').first().getAttribute("value");
  const confirmed = await op.evaluate(async ({ csrf, list }) => {
    const evs = list.map(([n, seal]) => ({
      id: crypto.randomUUID(), type: "handoff.confirmed", tracking_number: n, at: new Date().toISOString(),
      data: { seal_intact: true, seal_id: seal },
    }));
    const res = await fetch("/api/v1/staff/events", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ events: evs }) });
    return (await res.json()).results.map((r) => r.status + (r.error ? ": " + r.error.message : ""));
  }, { csrf, list: [n1, n2, n3].map((n) => [n, out.seals[n]]) });
  if (!confirmed.every((s) => s === "accepted")) throw new Error(`office confirmation: ${confirmed.join(", ")}`);
  await office.close();
  // The app polls the route and sees them confirmed.
  await lib.expectCount(page, 'li[data-state="confirmed"]', 3, { timeout: 45_000 });
  await lib.expectNoOverflow(page);
  await lib.shot(page, "courier-handoff-confirmed-360");

  // --- online pickup at the active stop: call the citizen, one-time code ---
  await openStop(page, n6);
  await lib.expectText(page, "main", "chỉ hiện ở điểm bạn đang đến");
  if (await page.locator('a[href^="tel:"]').count()) throw new Error("a call link on a stop the courier is not at");
  await page.getByRole("button", { name: "Đã đến, kiểm giấy tờ" }).click();
  await page.getByRole("button", { name: "Quay lại" }).click();
  await page.getByRole("button", { name: "Xem số và gọi" }).click();
  await page.locator('a[href^="tel:"]').waitFor();
  out.tel = await page.locator('a[href^="tel:"]').getAttribute("href");
  await lib.shot(page, "courier-call-360");
  await page.getByRole("button", { name: "Tiếp tục kiểm giấy tờ" }).click();
  for (;;) {
    await choose(page, "Công dân có giấy tờ này không?", "Có");
    const next = page.getByRole("button", { name: /Giấy tờ tiếp theo|Xem lại/ });
    const label = await next.textContent();
    await next.click();
    if (label.includes("Xem lại")) break;
  }
  await page.getByRole("button", { name: "Tiếp: nhãn, niêm phong" }).click();
  await page.locator("#so-hieu").fill(n6);
  await page.locator("#niem-phong").fill("NP-000106");
  await page.getByRole("button", { name: "Tiếp: xác nhận" }).click();
  await choose(page, "Cách xác nhận", "Đọc mã gửi tới điện thoại");
  await page.getByRole("button", { name: "Gửi mã tới điện thoại công dân" }).click();
  await lib.expectText(page, ".notice--ok", "Đã gửi mã");
  const code = await readCode(lib, browser, baseURL, data.staff, n6);
  await page.locator("#ma-otp").fill(code);
  await lib.checkA11y(page, "courier-otp-360");
  await lib.shot(page, "courier-otp-360");
  await page.getByRole("button", { name: "Xác nhận đã nhận" }).click();
  await lib.expectText(page, ".toast", `Đã nhận hồ sơ ${n6}`);
  await waitCount(page, 0, 20_000);
  if ((await page.locator("#chua-dong-bo").getAttribute("data-rejected")) !== "0") throw new Error("the one-time code was refused");
  out.otp = n6;

  // --- an event altered after it was signed is refused and shown ---
  await ctx.setOffline(true);
  await openStop(page, n5);
  await page.getByRole("button", { name: "Không thu gom được" }).click();
  await choose(page, "Lý do", "Không tìm thấy địa chỉ");
  await page.getByRole("button", { name: "Ghi không thành công" }).click();
  await waitCount(page, 1);
  out.tampered = await page.evaluate(async () => {
    const db = await HosoSync.db();
    const items = await db.getAll("outbox");
    const it = items.find((x) => x.kind === "event" && x.event.type === "pickup.attempt_failed");
    it.event.data.reason = "refused"; // still a valid reason; the signature no longer matches
    await db.put("outbox", it);
    return it.event.id;
  });
  await ctx.setOffline(false);
  await waitCount(page, 0, 40_000);
  await page.goto("/buu-ta/#/dong-bo");
  const row = page.locator(`li.list__row--rejected[data-id="${out.tampered}"]`);
  await row.waitFor({ timeout: 10_000 });
  out.reason = await row.locator(".reason").textContent();
  await lib.expectText(page, "#chua-dong-bo", "1 bị từ chối");
  if ((await page.locator("#chua-dong-bo").getAttribute("data-rejected")) !== "1") throw new Error("rejected count not in the header");
  await lib.expectNoOverflow(page);
  await lib.checkA11y(page, "courier-rejected-360");
  await lib.shot(page, "courier-rejected-360");

  // --- replacing the device's key needs the password again ---
  await page.getByRole("button", { name: "Thay khóa ký của máy" }).click();
  await page.locator("#mat-khau-khoa").fill("sai-mat-khau-nhe");
  await page.getByRole("button", { name: "Thay khóa", exact: true }).click();
  await lib.expectText(page, ".field--error .field__error", "Mật khẩu không đúng");
  await lib.checkA11y(page, "courier-replace-key-360");
  await lib.shot(page, "courier-replace-key-360");
  await page.locator("#mat-khau-khoa").fill(data.password);
  await page.getByRole("button", { name: "Thay khóa", exact: true }).click();
  await lib.expectText(page, ".toast", "Đã thay khóa ký");
  // Events signed with the new key go in.
  await openStop(page, n5);
  await page.getByRole("button", { name: "Không thu gom được" }).click();
  await choose(page, "Lý do", "Công dân không có nhà");
  await page.getByRole("button", { name: "Ghi không thành công" }).click();
  await waitCount(page, 0, 20_000);
  if ((await page.locator("#chua-dong-bo").getAttribute("data-rejected")) !== "1") throw new Error("an event signed with the new key was refused");
  out.replacedKey = true;

  errors.check();
  return out;
}
