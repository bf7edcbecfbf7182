// store.js: the page's state and every action of the courier. Actions are
// written to the outbox (sync.js) first and shown at once; the outbox is
// sent when the network allows: at start, on "online", every few seconds
// while something waits, and by Background Sync where the browser has it.

import { keepDone, overlay } from "./model.js";

const S = globalThis.HosoSync;

/** The state the screens read. Change it only through the functions here. */
export const state = {
  ready: false,
  session: null, // {token, username, courier, needsLogin}
  device: null, // {id, alg, publicKey}
  routeRaw: null, // {date, fetchedAt, data} as the server last sent it
  route: null, // routeRaw with the courier's own unsent events applied
  outbox: [],
  rejected: [],
  sync: {},
  syncing: false,
  lastResult: null,
  online: typeof navigator === "undefined" ? true : navigator.onLine,
  active: "", // tracking number of the stop the courier is at
  releases: [],
  position: null,
  revealed: {}, // number → {full_name, phone}; memory only, never stored
  toast: null,
  updateReady: false,
  persisted: null,
  routeError: "",
  othersPending: 0,
  sentAt: new Map(), // event id → when the server took it
};

const subscribers = new Set();

/** Calls fn after every change of state. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

function emit() {
  subscribers.forEach((f) => f(state));
}

// ---- helpers ----

/** Local date "YYYY-MM-DD" of the device. */
export function today(d = new Date()) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** RFC 3339 with the device's offset: "2026-11-24T08:41:10+07:00". */
export function rfc3339(d = new Date()) {
  const p = (n) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${off >= 0 ? "+" : "-"}${p(Math.floor(a / 60))}:${p(a % 60)}`;
}

export function base64(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
}

function hex(buf) {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An API error as {status, code, message, fields}. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `Máy chủ trả lời ${status}`);
    this.status = status;
    this.code = e.code || "";
    this.fields = e.fields || {};
  }
}

async function api(method, path, body, { auth = true } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (auth) {
    if (!state.session) throw new ApiError(401, { error: { message: "Cần đăng nhập" } });
    headers.Authorization = "Bearer " + state.session.token;
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 15000);
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store", credentials: "omit", signal: ctl.signal });
  } catch (e) {
    throw new ApiError(0, { error: { code: "offline", message: "Không có mạng hoặc máy chủ không trả lời" } });
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 204) return null;
  let json = null;
  try {
    json = await res.json();
  } catch (e) {
    json = null;
  }
  if (!res.ok) {
    if (res.status === 401 && auth && state.session) {
      state.session.needsLogin = true;
      await S.kvPut("session", state.session);
      emit();
    }
    throw new ApiError(res.status, json);
  }
  return json;
}

// ---- device key ----

/**
 * The device's identity: an id and an ECDSA P-256 key pair made once with
 * WebCrypto. The private key is not extractable; IndexedDB keeps the
 * CryptoKey object itself, so its bytes never reach JavaScript.
 */
async function ensureDevice() {
  let d = await S.kvGet("device");
  if (d && d.privateKey && d.publicKey) return d;
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
  d = { id: "buu-ta-" + crypto.randomUUID(), alg: "ES256", privateKey: pair.privateKey, publicKey: base64(spki), created: rfc3339() };
  await S.kvPut("device", d);
  return d;
}

/**
 * What the device signs (tracking.SignedText, docs/ledger-format.md): the
 * fields as the exact JSON texts sent, strings as their value, a missing
 * lat/lng as "". The event's "secret" (a door code, a CCCD QR text, typed
 * digits) is not part of it: the data carries only its commitment.
 */
export function signedText(ev) {
  const num = (v) => (v === undefined || v === null ? "" : JSON.stringify(v));
  return ["hoso-event-v1", ev.id, ev.type, ev.tracking_number, ev.at, num(ev.lat), num(ev.lng), JSON.stringify(ev.data)].join("\n");
}

async function sign(privateKey, ev) {
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, new TextEncoder().encode(signedText(ev)));
  return base64(sig); // raw r‖s, 64 bytes
}

/** Hex SHA-256 of a text. */
async function sha256hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * The commitment the device signs instead of a secret: hex SHA-256 of the
 * event id, a colon and the value (tracking.ProofCommit).
 */
export async function proofCommit(id, value) {
  return sha256hex(String(id).toLowerCase() + ":" + value);
}

/** A short fingerprint of the device's public key, to show. */
export async function keyFingerprint() {
  if (!state.device) return "";
  const raw = Uint8Array.from(atob(state.device.publicKey), (c) => c.charCodeAt(0));
  return hex(await crypto.subtle.digest("SHA-256", raw)).slice(0, 16).replace(/(.{4})(?!$)/g, "$1 ");
}

// ---- session ----

/** Signs the courier in, registers the device key and loads the route. */
export async function login(username, password) {
  const device = await ensureDevice();
  const tok = await api("POST", "/api/v1/auth/token", { username: username.trim(), password, device_id: device.id }, { auth: false });
  const session = { token: tok.token, expires_at: tok.expires_at, courier: tok.courier, username: tok.courier.username, needsLogin: false };
  state.session = session;
  // The key is registered with the password typed at sign-in (a bearer
  // token alone cannot register or replace it). The same key again changes
  // nothing, so events signed before a token expired still verify.
  await api("POST", "/api/v1/courier/device-key", { alg: device.alg, public_key: device.publicKey, password });
  await S.kvPut("session", session);
  state.device = { id: device.id, alg: device.alg, publicKey: device.publicKey };
  if (navigator.storage && navigator.storage.persist) {
    try {
      state.persisted = await navigator.storage.persist();
    } catch (e) {
      state.persisted = false;
    }
  }
  await refresh();
  startPosition();
  loadRoute();
  requestSync({ force: true });
  return session;
}

/**
 * Makes a new key pair for this device and registers it, replacing the old
 * one (the server revokes it): the courier types the password again. Only
 * with nothing waiting to be sent: events signed with the old key would be
 * refused.
 */
export async function replaceKey(password) {
  if (!state.session) throw new Error("Cần đăng nhập");
  if ((await S.listOutbox()).some((it) => it.username === state.session.username)) {
    throw new Error("Còn việc chưa gửi, đã ký bằng khóa hiện tại: gửi hết trước khi thay khóa.");
  }
  const old = await S.kvGet("device");
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const spki = base64(await crypto.subtle.exportKey("spki", pair.publicKey));
  await api("POST", "/api/v1/courier/device-key", { alg: "ES256", public_key: spki, password });
  const d = { id: old.id, alg: "ES256", privateKey: pair.privateKey, publicKey: spki, created: rfc3339() };
  await S.kvPut("device", d);
  state.device = { id: d.id, alg: d.alg, publicKey: d.publicKey };
  emit();
}

/** Signs out (the outbox, device key and rejected list stay). */
export async function logout() {
  // The route and drafts hold addresses and names: they go; the outbox,
  // the device key and the rejected list stay.
  const db = await S.db();
  await db.clear("routes");
  await db.clear("drafts");
  state.routeRaw = null;
  state.route = null;
  await S.kvDelete("session");
  state.session = null;
  state.revealed = {};
  state.active = "";
  await S.kvDelete("active");
  emit();
}

// ---- reading the local database ----

/** Re-reads everything from IndexedDB and recomputes the view. */
export async function refresh() {
  const [session, device, outbox, rejected, sync, active, releases] = await Promise.all([
    S.kvGet("session"), S.kvGet("device"), S.listOutbox(), S.listRejected(), S.kvGet("sync"), S.kvGet("active"), S.kvGet("releases"),
  ]);
  state.session = session || null;
  state.device = device ? { id: device.id, alg: device.alg, publicKey: device.publicKey } : null;
  const me = session ? session.username : "";
  state.outbox = outbox.filter((it) => it.username === me);
  state.othersPending = outbox.filter((it) => it.username !== me).length;
  state.rejected = rejected.filter((it) => it.username === me).sort((a, b) => b.at - a.at);
  state.sync = sync || {};
  state.active = active || "";
  state.releases = (releases || []).filter((r) => Date.now() - r.recordedAt < 36 * 3600 * 1000);
  state.sentAt = new Map((await S.listSent()).map((x) => [x.id, x.sentAt]));
  if (session) {
    const db = await S.db();
    const cached = await db.get("routes", today());
    state.routeRaw = cached || state.routeRaw;
    await recompute();
  }
  state.ready = true;
  emit();
}

async function recompute() {
  if (!state.routeRaw) {
    state.route = null;
    return;
  }
  const sent = (await S.listSent()).filter((s) => s.sentAt > state.routeRaw.fetchedAt);
  sent.sort((a, b) => a.seq - b.seq);
  const events = [...sent.map((s) => s.event), ...state.outbox.filter((it) => it.kind === "event").map((it) => it.event)];
  state.route = overlay(state.routeRaw.data, events, state.session && state.session.courier);
}

/** Fetches today's route; keeps the stored one when offline. */
export async function loadRoute() {
  if (!state.session || state.session.needsLogin) return;
  if (!navigator.onLine) {
    state.routeError = "";
    return;
  }
  try {
    const date = today();
    // The route is the server's state when it was asked for: the courier's
    // events sent after that are laid over it (a fetch that started before
    // an upload and ended after it must not hide what the upload did).
    const asked = Date.now();
    const data = await api("GET", "/api/v1/courier/route?date=" + date);
    if (state.routeRaw && state.routeRaw.date === date && state.routeRaw.fetchedAt > asked) return; // a newer answer came first
    if (state.routeRaw && state.routeRaw.date === date) {
      const since = new Date(date + "T00:00:00").getTime();
      const mine = (await S.listSent()).filter((x) => x.sentAt >= since && x.username === state.session.username).sort((a, b) => a.seq - b.seq);
      // Events still in the outbox count too: another sender (the worker's
      // Background Sync) may have had them accepted just before this fetch.
      const waitingEvents = (await S.listOutbox()).filter((x) => x.kind === "event" && x.username === state.session.username).map((x) => x.event);
      data.stops = keepDone(state.routeRaw.data.stops, data.stops || [], [...mine.map((x) => x.event), ...waitingEvents]);
    }
    const rec = { date, fetchedAt: asked, data };
    await (await S.db()).put("routes", rec);
    state.routeRaw = rec;
    state.routeError = "";
    await recompute();
  } catch (e) {
    state.routeError = e.status === 0 ? "" : e.message;
  }
  emit();
}

// ---- recording ----

let lastFix = null;

/** Watches the position while the app is open (for events and ETAs). */
export function startPosition() {
  if (!navigator.geolocation || startPosition.started) return;
  startPosition.started = true;
  try {
    navigator.geolocation.watchPosition(
      (p) => {
        lastFix = { lat: Math.round(p.coords.latitude * 1e6) / 1e6, lng: Math.round(p.coords.longitude * 1e6) / 1e6, at: Date.now() };
        state.position = lastFix;
      },
      () => {},
      { enableHighAccuracy: true, maximumAge: 60000, timeout: 20000 },
    );
  } catch (e) {
    /* no position: events go without lat/lng */
  }
}

/**
 * A signature, photo or document scan ready for the outbox: {kind,
 * contentType, sha256, base64}; the SHA-256 is over the exact bytes sent.
 * A scan (kind "scan") also needs its document line (im.line).
 */
export async function evidence(kind, contentType, bytes) {
  const sum = await crypto.subtle.digest("SHA-256", bytes);
  return { kind, contentType, sha256: hex(sum), base64: base64(bytes) };
}

/**
 * Records one event: signs it, stores it (with the images it names, before
 * it) in the outbox in one transaction, updates the screen and asks for a
 * sync. With a secret (the door code the citizen read out, the CCCD QR
 * text, typed digits), data.proof gets its commitment and the value goes
 * beside the signed fields, for the server to check. Returns the event.
 */
export async function record(type, number, data, images = [], secret = "") {
  const session = state.session;
  const device = await S.kvGet("device");
  if (!session || !device) throw new Error("Cần đăng nhập");
  const ev = { id: crypto.randomUUID(), type, tracking_number: number, at: rfc3339() };
  if (lastFix && Date.now() - lastFix.at < 10 * 60000) {
    ev.lat = lastFix.lat;
    ev.lng = lastFix.lng;
  }
  if (secret) data.proof = Object.assign({}, data.proof, { commit: await proofCommit(ev.id, secret) });
  ev.data = data;
  ev.signature = await sign(device.privateKey, ev);
  if (secret) ev.secret = secret;
  // A document scan goes to /api/v1/courier/scans (upload "scan"), the
  // signature and photo to /api/v1/courier/evidence; both before the event.
  const items = images.map((im) => (im.kind === "scan"
    ? {
      kind: "evidence", upload: "scan", username: session.username, number, sha256: im.sha256,
      evidence: { tracking_number: number, line: im.line, data: im.base64 },
    }
    : {
      kind: "evidence", username: session.username, number, sha256: im.sha256,
      evidence: { tracking_number: number, kind: im.kind, content_type: im.contentType, data: im.base64 },
    }));
  items.push({ kind: "event", username: session.username, number, id: ev.id, event: ev });
  await S.enqueue(items);
  if (type === "handoff.released") {
    const rel = (await S.kvGet("releases")) || [];
    rel.push({ number, to: data.to, eventId: ev.id, recordedAt: Date.now() });
    await S.kvPut("releases", rel);
  }
  await refresh();
  S.notify();
  requestSync({ force: true });
  return ev;
}

/** Remembers the stop the courier is at (the one whose phone may be shown). */
export async function setActive(number) {
  state.active = number || "";
  if (number) await S.kvPut("active", number);
  else await S.kvDelete("active");
  if (!number) state.revealed = {};
  emit();
}

/** Shows the full name and phone of the active stop (audited on the server). */
export async function reveal(number) {
  if (number !== state.active) throw new Error("Chỉ xem số điện thoại của điểm đang đến");
  const r = await api("POST", `/api/v1/courier/stops/${encodeURIComponent(number)}/reveal`);
  state.revealed = { [number]: { full_name: r.full_name, phone: r.phone } };
  emit();
  return state.revealed[number];
}

/** Asks the server to text the citizen a one-time code (online only). */
export async function requestCode(number) {
  await api("POST", `/api/v1/courier/stops/${encodeURIComponent(number)}/code`);
}

// ---- drafts (a pickup in progress survives a reload) ----

export async function loadDraft(number) {
  return (await S.db()).get("drafts", number);
}
export async function saveDraft(number, draft) {
  await (await S.db()).put("drafts", Object.assign({}, draft, { number, savedAt: Date.now() }));
}
export async function dropDraft(number) {
  await (await S.db()).delete("drafts", number);
}

// ---- sync ----

/** Sends the outbox now (if online) and refreshes the view. */
export async function requestSync({ force = false } = {}) {
  if (!state.session || state.session.needsLogin) return null;
  if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
    navigator.serviceWorker.ready
      .then((reg) => (reg.sync ? reg.sync.register("hoso-outbox") : null))
      .catch(() => {});
  }
  if (!navigator.onLine) return null;
  if (!state.outbox.length) return null;
  state.syncing = true;
  emit();
  let r;
  try {
    r = await S.flush({ force });
  } finally {
    state.syncing = false;
  }
  state.lastResult = r;
  await refresh();
  if (r && (r.accepted || r.duplicate)) await loadRoute();
  if (r && r.rejected) toast(`${r.rejected} việc bị máy chủ từ chối: xem mục Đồng bộ`, "error");
  return r;
}

/** The latest refusal of an event of this parcel still shown, if any. */
export function lastRejection(number) {
  return state.rejected.find((r) => r.kind === "event" && r.event && r.event.tracking_number === number) || null;
}

/** Hides a rejected item on this device. */
export async function dismissRejected(id) {
  await S.dismissRejected(id);
  await refresh();
}

let toastTimer = null;

/** Shows a short message at the bottom of the screen. */
export function toast(text, kind = "ok") {
  state.toast = { text, kind, at: Date.now() };
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    state.toast = null;
    emit();
  }, 5000);
  emit();
}

/** Hides the message when the courier moves on to another screen. */
export function clearToast() {
  if (state.toast && Date.now() - state.toast.at > 1500) {
    state.toast = null;
    emit();
  }
}

/** Starts the app: reads the database, service worker, timers. */
export async function init() {
  await refresh();
  S.onChange(() => refresh());
  window.addEventListener("online", async () => {
    state.online = true;
    emit();
    await S.resetBackoff();
    await requestSync({ force: true });
    await loadRoute();
  });
  window.addEventListener("offline", () => {
    state.online = false;
    emit();
  });
  if (state.session) {
    startPosition();
    requestSync({ force: true });
    loadRoute();
  }
  // While something waits, try every 10 s (the backoff decides whether a
  // try really goes out); refresh the route every minute, every 15 s while
  // a release waits for the receiver.
  let tick = 0;
  setInterval(() => {
    tick++;
    if (!state.session || !navigator.onLine) return;
    if (state.outbox.length) requestSync();
    const waitingRelease = state.route && state.route.stops.some((s) => s.pending_handoff && !s.pending_handoff.to_me);
    if (tick % 6 === 0 || (waitingRelease && tick % 2 === 0)) loadRoute();
  }, 10000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state.session && navigator.onLine) {
      requestSync();
      loadRoute();
    }
  });
  if (navigator.storage && navigator.storage.persisted) {
    navigator.storage.persisted().then((p) => {
      state.persisted = p;
      emit();
    }, () => {});
  }
}

/** Marks that a new version of the app is ready (after a reload). */
export function setUpdateReady() {
  state.updateReady = true;
  emit();
}
