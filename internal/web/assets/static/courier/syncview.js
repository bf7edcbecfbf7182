// syncview.js: what waits in the outbox, what the server refused and why,
// the device's key and storage, sign-out.

import { html, useEffect, useState } from "../vendor/htm/standalone.module.js";
import { dismissRejected, keyFingerprint, logout, replaceKey, requestSync, state, toast } from "./store.js";
import { ago, eventLabels, time } from "./text.js";
import { TextField, Title } from "./widgets.js";

/** Replacing the device's signing key: the password typed again. */
function ReplaceKey({ pending }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  if (!open) {
    return html`<button type="button" class="btn btn--ghost btn--block" onClick=${() => setOpen(true)} disabled=${pending > 0 || !state.online}>Thay khóa ký của máy</button>
      ${pending > 0 ? html`<p class="field__hint">Gửi hết các việc đang chờ trước khi thay khóa.</p>` : null}`;
  }
  const submit = async (e) => {
    e.preventDefault();
    if (!password) {
      setError("Nhập mật khẩu");
      return;
    }
    setBusy(true);
    setError("");
    try {
      await replaceKey(password);
      setOpen(false);
      setPassword("");
      toast("Đã thay khóa ký. Bưu cục được thông báo.");
    } catch (x) {
      setError(x.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="stack card" onSubmit=${submit} novalidate>
    <p>Khóa mới thay khóa cũ (bị thu hồi, không xóa). Bưu cục thấy lần thay khóa này.</p>
    <${TextField} id="mat-khau-khoa" label="Nhập lại mật khẩu" type="password" value=${password} onInput=${setPassword} error=${error} autocomplete="current-password" />
    <div class="row">
      <button type="button" class="btn btn--secondary" onClick=${() => setOpen(false)}>Hủy</button>
      <button type="submit" class="btn btn--primary" disabled=${busy}>${busy ? "Đang đăng ký…" : "Thay khóa"}</button>
    </div>
  </form>`;
}

// Names of the fields the server explains, for the courier.
const fieldNames = { secret: "Giá trị đã nhập", at: "Thời điểm", lat: "Vị trí", lng: "Vị trí", "data.proof.sha256": "Ảnh chữ ký",
  "data.signature_sha256": "Ảnh chữ ký", "data.photo_sha256": "Ảnh chụp", "data.seal_id": "Mã niêm phong", tracking_number: "Số hiệu" };

/** A field the server names, in words ("Giấy tờ 3, ảnh quét"). */
function fieldName(k) {
  if (fieldNames[k]) return fieldNames[k];
  const m = /^data\.documents\[(\d+)\]\.(scan_sha256|disposition|count)$/.exec(k);
  if (m) return `Giấy tờ ${Number(m[1]) + 1}, ${{ scan_sha256: "ảnh quét", disposition: "cách xử lý", count: "số bản" }[m[2]]}`;
  return k;
}

/** The server's per-field reasons that add to its message. */
function fieldText(err) {
  return Object.entries(err.fields || {})
    .filter(([, v]) => v && v !== err.message)
    .map(([k, v]) => `${fieldName(k)}: ${v}`)
    .join("; ");
}

function itemText(it) {
  if (it.kind === "evidence") {
    if (it.upload === "scan") return `Ảnh quét giấy tờ ${it.evidence.line}`;
    return it.evidence.kind === "photo" ? "Ảnh người nhận" : "Ảnh chữ ký";
  }
  return eventLabels[it.event.type] || it.event.type;
}

function rejectedText(r) {
  if (r.kind !== "evidence") return eventLabels[r.event.type] || r.event.type;
  return r.evidenceKind === "scan" ? `Ảnh quét giấy tờ ${r.line || ""}`.trim() : "Ảnh";
}

export function SyncScreen() {
  const [fp, setFp] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    keyFingerprint().then(setFp);
  }, [state.device && state.device.publicKey]);
  const events = state.outbox.filter((it) => it.kind === "event");
  const images = state.outbox.length - events.length;
  const sync = state.sync || {};
  const now = async () => {
    setBusy(true);
    try {
      await requestSync({ force: true });
    } finally {
      setBusy(false);
    }
  };
  const out = async () => {
    if (state.outbox.length && !confirm(`Còn ${events.length} việc chưa gửi. Chúng vẫn được giữ trên máy và chỉ gửi khi bạn đăng nhập lại. Đăng xuất?`)) return;
    await logout();
    location.hash = "#/";
  };
  return html`<div class="stack">
    <${Title} sub=${`Gửi lần cuối: ${ago(sync.lastOkAt)}`}>Đồng bộ</${Title}>
    <div class=${"card card--sync" + (events.length ? " card--pending" : "")}>
      <p class="big-number" id="so-chua-dong-bo">${events.length}</p>
      <p>${events.length ? `việc chưa gửi lên máy chủ${images ? `, kèm ${images} ảnh` : ""}` : "Mọi việc đã được gửi lên máy chủ."}</p>
      ${!state.online ? html`<p class="notice notice--warn">Đang mất mạng. Ứng dụng tự gửi khi có mạng trở lại.</p>` : null}
      ${sync.lastError && events.length ? html`<p class="field__hint">Lần thử cuối: ${sync.lastError}${sync.nextAt > Date.now() ? ` · thử lại lúc ${time(new Date(sync.nextAt))}` : ""}</p>` : null}
      <button type="button" class="btn btn--primary btn--block" onClick=${now} disabled=${busy || !state.online || !state.outbox.length}>
        ${busy || state.syncing ? "Đang gửi…" : "Gửi ngay"}</button>
    </div>

    ${state.rejected.length ? html`<section class="stack" aria-labelledby="tu-choi-h">
      <h2 id="tu-choi-h">Máy chủ từ chối (${state.rejected.length})</h2>
      <p class="muted">Những việc này đã được lưu lại để điều phối viên xem xét. Báo điều phối viên nếu cần ghi lại.</p>
      <ul class="list">${state.rejected.map((r) => html`<li class="list__row list__row--rejected" key=${r.id} data-id=${r.id}>
          <span><strong>${rejectedText(r)}</strong> · <span class="mono">${r.kind === "evidence" ? r.number : r.event.tracking_number}</span></span>
          <span class="reason">${r.error.message}</span>
          ${fieldText(r.error) ? html`<span class="muted small">${fieldText(r.error)}</span>` : null}
          <button type="button" class="btn btn--ghost" onClick=${() => dismissRejected(r.id)}>Đã biết, ẩn<span class="visually-hidden"> ${r.id}</span></button>
        </li>`)}</ul>
    </section>` : null}

    ${state.outbox.length ? html`<section class="stack" aria-labelledby="cho-gui-h">
      <h2 id="cho-gui-h">Chờ gửi</h2>
      <ol class="list">${state.outbox.map((it) => html`<li class="list__row" key=${it.seq}>
          <span><strong>${itemText(it)}</strong> · <span class="mono">${it.number}</span></span>
          <span class="muted small">Ghi lúc ${time(new Date(it.created))}${it.lastError ? ` · ${it.lastError}` : ""}</span>
        </li>`)}</ol>
    </section>` : null}

    <section class="stack" aria-labelledby="may-h">
      <h2 id="may-h">Máy này</h2>
      <dl class="facts">
        <dt>Bưu tá</dt><dd>${state.session ? `${state.session.courier.full_name} (${state.session.courier.staff_code})` : "—"}</dd>
        <dt>Bưu cục</dt><dd>${state.session ? state.session.courier.office_code : "—"}</dd>
        <dt>Mã thiết bị</dt><dd class="mono small">${state.device ? state.device.id : "—"}</dd>
        <dt>Khóa ký (ES256)</dt><dd class="mono small">${fp || "—"}</dd>
        <dt>Lưu trữ</dt><dd>${state.persisted ? "Được giữ lâu dài" : "Trình duyệt có thể xóa khi máy đầy: hãy cài ứng dụng ra màn hình chính"}</dd>
        <dt>Phiên bản</dt><dd class="mono small">${document.body.dataset.version}</dd>
      </dl>
      <${ReplaceKey} pending=${events.length} />
      <button type="button" class="btn btn--secondary btn--block" onClick=${out}>Đăng xuất</button>
    </section>
  </div>`;
}
