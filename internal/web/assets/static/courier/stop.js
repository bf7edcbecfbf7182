// stop.js: one stop of the route. At a pickup: arrive, check the dossier's
// documents one by one, partial pickup with a reason or a failed attempt,
// the label's S10 number and the seal, the citizen's signature or one-time
// code, the CCCD card's QR code or its last digits, then pickup.collected.
// Each document line has its disposition (Circular 03/2025): the original
// carried (counted), shown and handed back, scanned and kept (a photo,
// uploaded before the event that names its SHA-256), or not needed.
// At a delivery: out for delivery, the return envelope's seal, verify the
// recipient (one-time code, CCCD QR, CCCD number or its last 3 digits, a
// proxy with an authorisation, or only a signature), signature or photo,
// fee, then delivery.completed; or a failed attempt with cause and action
// codes. The device carries each proof (a secret only as a signed
// commitment, the value beside); the server checks it.

import { html, useEffect, useRef, useState } from "../vendor/htm/standalone.module.js";
import { etas, isVisit, visitState } from "./model.js";
import { geoHref } from "./route.js";
import * as s10 from "./s10.js";
import * as cccd from "./cccd.js";
import { dropDraft, evidence, lastRejection, loadDraft, record, requestCode, reveal, saveDraft, setActive, state, toast } from "./store.js";
import {
  conditions, deliveryActions, deliveryCauses, dispositions, docKinds, money, pickupFailReasons, time, windowText,
} from "./text.js";
import {
  Check, Choices, dataURLBytes, PhotoField, Scanner, SignatureField, Stepper, TextArea, TextField, Title,
} from "./widgets.js";

function goRoute() {
  location.hash = "#/";
}

function savedText() {
  return navigator.onLine ? "Đang gửi lên máy chủ." : "Đã lưu trên máy, sẽ tự gửi khi có mạng.";
}

function phoneText(p) {
  const d = String(p || "").replace(/\D/g, "");
  return d.length === 10 ? `${d.slice(0, 4)} ${d.slice(4, 7)} ${d.slice(7)}` : p;
}

/** The contact of the stop: masked, or in clear on the active stop after "Xem số và gọi". */
function Contact({ s }) {
  const active = state.active === s.tracking_number;
  const rev = state.revealed[s.tracking_number];
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const show = async () => {
    setBusy(true);
    setErr("");
    try {
      await reveal(s.tracking_number);
    } catch (e) {
      setErr(e.message);
    } finally {
      setBusy(false);
    }
  };
  if (rev) {
    return html`<div class="card">
      <p class="card__label">Người liên hệ</p>
      <p class="card__value">${rev.full_name}</p>
      <a class="btn btn--primary btn--block" href=${"tel:" + rev.phone}>Gọi ${phoneText(rev.phone)}</a>
    </div>`;
  }
  return html`<div class="card">
    <p class="card__label">Người liên hệ</p>
    <p class="card__value">${s.contact.initials} · ${s.contact.phone}</p>
    ${active
      ? html`<button type="button" class="btn btn--secondary btn--block" onClick=${show} disabled=${busy || !state.online}>
          ${busy ? "Đang lấy số…" : "Xem số và gọi"}</button>
          ${!state.online ? html`<p class="field__hint">Cần có mạng để xem số điện thoại.</p>` : null}
          ${err ? html`<p class="field__error">${err}</p>` : null}`
      : html`<p class="field__hint">Số điện thoại chỉ hiện ở điểm bạn đang đến.</p>`}
  </div>`;
}

/** Address, window, way there. */
function Where({ s }) {
  const geo = geoHref(s.address);
  const e = isVisit(s) && visitState(s) !== "done" ? etas([s], new Date(), state.position).get(s.tracking_number) : null;
  return html`<div class="card">
    <p class="card__label">Địa chỉ</p>
    <p class="card__value">${s.address.line}</p>
    <p>${s.address.commune}${s.address.approx ? " (vị trí gần đúng)" : ""}</p>
    <p>Hẹn ${windowText(s.window || (s.windows || [])[0]) || "trong ngày"}${e ? ` · dự kiến ${time(e.eta)}` : ""}</p>
    ${geo ? html`<a class="btn btn--secondary btn--block" href=${geo}>Chỉ đường</a>` : null}
  </div>`;
}

function Dossier({ s }) {
  return html`<div class="card">
    <p class="card__label">Hồ sơ</p>
    <p class="card__value">${s.procedure || "Hồ sơ hành chính"}</p>
    <p>Mã hồ sơ ${s.dossier_code} · gửi ${s.desk}</p>
    <p>Số hiệu bưu gửi <strong class="mono">${s.tracking_number}</strong></p>
    ${s.documents && s.documents.length ? html`<ul class="docs">${s.documents.map((d) => html`<li key=${d.line}>
        <span class="docs__name">${d.name}</span>
        <span class="docs__meta">${docKinds[d.kind] || d.kind} · ${d.count} bản${d.disposition && d.disposition !== "original"
          ? ` · ${dispositionLabel(d.disposition).toLowerCase()}` : d.collected_count != null ? ` · đã nhận ${d.collected_count}` : ""}</span>
      </li>`)}</ul>` : null}
    ${s.fee ? html`<p>Phí thu khi giao: <strong>${money(s.fee)}</strong></p>` : null}
  </div>`;
}

function Steps({ n, of, label }) {
  return html`<p class="steps">
    <span class="visually-hidden">Bước ${n} trên ${of}: ${label}</span>
    <span class="steps__n" aria-hidden="true">Bước ${n}/${of}</span>
    <span class="steps__bar" aria-hidden="true">${Array.from({ length: of }, (_, i) => html`<span class=${"steps__dot" + (i < n ? " steps__dot--on" : "")}></span>`)}</span>
  </p>`;
}

/** A fixed bottom bar with the screen's main button(s). */
function Actions({ children }) {
  return html`<div class="actions">${children}</div>`;
}

// ---------------------------------------------------------------- pickup

function dispositionLabel(k) {
  return (dispositions.find((x) => x[0] === k) || [k, k])[1];
}

// A line's state on the device: present, kindOk, disposition (default the
// original carried), count and condition (for a carried original), scan
// (the JPEG bytes of a line scanned and kept; kept in the draft), and
// notNeeded for a line the citizen does not bring because its data is in
// VNeID or a national database.
function freshDocs(s) {
  return (s.documents || []).map((d) => ({ present: null, kindOk: true, disposition: "original", count: d.count, condition: "good", scan: null, notNeeded: false }));
}

/** The line is in the citizen's hands and of the right kind. */
function handed(v) {
  return !!(v.present && v.kindOk);
}

/** The line's original goes in the bag (the only lines counted). */
function carried(v) {
  return handed(v) && (v.disposition || "original") === "original";
}

/** The line's disposition as recorded. */
function dispositionOf(v) {
  if (v.present === false) return v.notNeeded ? "not_needed" : "original";
  return v.disposition || "original";
}

/** Accounted for at the door, not carried: shown, scanned or not needed. */
function kept(v) {
  return (handed(v) && !carried(v)) || (v.present === false && !!v.notNeeded);
}

/** Copies of originals going in the bag. */
function carriedTotal(s, docs) {
  return (s.documents || []).reduce((a, d, i) => a + (carried(docs[i]) ? docs[i].count : 0), 0);
}

/** Lines whose original is short: missing, of another kind, or fewer copies. */
function shortLines(s, docs) {
  return (s.documents || []).filter((d, i) => !kept(docs[i]) && (!carried(docs[i]) || docs[i].count < d.count));
}

function PickupFailForm({ s, back }) {
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const f = {};
    if (!reason) f.reason = "Chọn lý do";
    if (reason === "other" && !note.trim()) f.note = "Ghi rõ lý do";
    setErrors(f);
    if (Object.keys(f).length) return;
    setBusy(true);
    try {
      const data = { reason };
      if (note.trim()) data.note = note.trim().normalize("NFC");
      await record("pickup.attempt_failed", s.tracking_number, data);
      await dropDraft(s.tracking_number);
      await setActive("");
      toast(`Đã ghi lần thu gom không thành công (${s.tracking_number}). ${savedText()}`);
      goRoute();
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="stack">
    <${Title} sub=${`Điểm ${s.stop} · ${s.tracking_number}`}>Không thu gom được</${Title}>
    <${Choices} legend="Lý do" name="ly-do" options=${pickupFailReasons} value=${reason} onChange=${setReason} error=${errors.reason} />
    <${TextArea} label="Ghi chú" hint="Ví dụ: hẹn lại buổi chiều, hàng xóm cho biết đi vắng" value=${note} onInput=${setNote} error=${errors.note} required=${reason === "other"} />
    <${Actions}>
      <button type="button" class="btn btn--secondary" onClick=${back}>Quay lại</button>
      <button type="button" class="btn btn--danger" onClick=${submit} disabled=${busy}>Ghi không thành công</button>
    </${Actions}>
  </div>`;
}

function DocStep({ s, i, docs, setDoc, errors }) {
  const d = s.documents[i];
  const v = docs[i];
  const kindName = docKinds[d.kind] || d.kind;
  return html`<div class="stack">
    <div class="card card--doc">
      <p class="card__label">Giấy tờ ${i + 1}/${s.documents.length}</p>
      <p class="card__value">${d.name}</p>
      <p>Danh sách ghi: <strong>${kindName}, ${d.count} bản</strong></p>
    </div>
    <${Choices} legend="Công dân có giấy tờ này không?" name=${"co-" + i} value=${v.present === null ? "" : v.present ? "yes" : "no"}
      options=${[["yes", "Có"], ["no", "Không có"]]} error=${errors.present}
      onChange=${(x) => setDoc(i, { present: x === "yes" })} />
    ${v.present === false ? html`<${Check} name=${"khong-can-" + i} checked=${!!v.notNeeded} onChange=${(x) => setDoc(i, { notNeeded: x })}>
      Không cần: đã có trên VNeID/CSDL<span class="choice__sub">Bỏ chọn nếu công dân phải bổ sung giấy tờ này (thu gom một phần)</span></${Check}>` : null}
    ${v.present ? html`
      <${Choices} legend=${`Có đúng là ${kindName.toLowerCase()}?`} name=${"loai-" + i} value=${v.kindOk ? "ok" : "khac"}
        options=${[["ok", `Đúng, ${kindName.toLowerCase()}`], ["khac", "Không, khác loại", "Không nhận giấy tờ này: ghi thu gom một phần"]]}
        onChange=${(x) => setDoc(i, { kindOk: x === "ok" })} />
      ${v.kindOk ? html`
        <${Choices} legend="Xử lý giấy tờ này" name=${"xl-" + i} value=${v.disposition || "original"}
          hint="Chỉ bản gốc gửi đi được cho vào túi (Thông tư 03/2025/TT-VPCP)"
          options=${dispositions.map(([k, label]) => [k, label, dispositionHints[k]])}
          onChange=${(x) => setDoc(i, { disposition: x })} />
        ${(v.disposition || "original") === "original" ? html`
          <${Stepper} label="Số bản gốc cho vào túi" value=${v.count} min=${0} max=${Math.max(20, d.count)} onChange=${(n) => setDoc(i, { count: n })} />
          <${Choices} legend="Tình trạng" name=${"tt-" + i} value=${v.condition}
            options=${[["good", conditions.good], ["damaged", conditions.damaged, "Vẫn nhận, ghi rõ trên biên nhận"]]}
            onChange=${(x) => setDoc(i, { condition: x })} />` : null}
        ${v.disposition === "scanned" ? html`
          <${PhotoField} key=${"quet-" + i} id=${"anh-quet-" + d.line} label="Chụp ảnh giấy tờ" max=${2000} initial=${v.scan}
            alt=${`Ảnh chụp giấy tờ: ${d.name}`} error=${v.scan ? "" : errors.scan}
            hint="Đặt giấy tờ trên mặt phẳng, đủ sáng, chụp thẳng cả trang. Ảnh được lưu trên máy và gửi lên máy chủ trước khi ghi nhận hồ sơ; không hiện công khai."
            onPhoto=${(b) => setDoc(i, { scan: b })} />
          <p class="muted">Chụp xong, trả giấy tờ cho công dân: không cho vào túi.</p>` : null}
        ${v.disposition === "shown" ? html`<p class="notice notice--ok">Đối chiếu xong, trả giấy tờ cho công dân: không cho vào túi.</p>` : null}
        ${v.disposition === "not_needed" ? html`<p class="notice notice--ok">Không nhận giấy tờ này: dữ liệu đã có trên VNeID hoặc cơ sở dữ liệu quốc gia.</p>` : null}` : null}` : null}
  </div>`;
}

const dispositionHints = {
  original: "Đếm số bản và cho vào túi niêm phong",
  shown: "Xem để đối chiếu rồi trả lại công dân",
  scanned: "Chụp ảnh giấy tờ, lưu bản điện tử, trả lại bản giấy",
  not_needed: "Dữ liệu đã có trên VNeID hoặc cơ sở dữ liệu quốc gia",
};

function Review({ s, docs, partialReason, setPartialReason, errors }) {
  const short = shortLines(s, docs);
  const total = carriedTotal(s, docs);
  const notCarried = docs.filter(kept).length;
  return html`<div class="stack">
    <ul class="review">${s.documents.map((d, i) => {
      const v = docs[i];
      if (kept(v)) {
        const disp = dispositionOf(v);
        return html`<li class="review__row" key=${d.line} data-disposition=${disp}>
          <span class="review__mark" aria-hidden="true">✓</span>
          <span><span class="review__name">${d.name}</span>
          <span class="review__meta">${dispositionLabel(disp)} · không cho vào túi${disp === "scanned" ? " · đã chụp ảnh" : ""}</span></span>
        </li>`;
      }
      const got = carried(v) ? v.count : 0;
      const ok = got >= d.count;
      return html`<li class=${"review__row" + (ok ? "" : " review__row--short")} key=${d.line} data-disposition="original">
        <span class="review__mark" aria-hidden="true">${ok ? "✓" : "!"}</span>
        <span><span class="review__name">${d.name}</span>
        <span class="review__meta">${got}/${d.count} bản gốc gửi đi${!v.present ? " · không có" : !v.kindOk ? " · khác loại, không nhận" : v.condition === "damaged" ? " · hư hỏng" : ""}</span></span>
      </li>`;
    })}</ul>
    ${total === 0 && notCarried > 0
      ? html`<p class="notice notice--error" role="alert">Không có bản gốc nào gửi đi: hồ sơ không cần thu gom. Sửa cách xử lý nếu có bản gốc phải gửi, hoặc ghi lần thu gom không thành công.</p>`
      : total === 0
      ? html`<p class="notice notice--error" role="alert">Không nhận được giấy tờ nào: hãy ghi lần thu gom không thành công (lý do thiếu giấy tờ).</p>`
      : short.length
        ? html`<p class="notice notice--warn">Thiếu ${short.length} giấy tờ so với danh sách: đây là thu gom một phần.</p>
          <${TextArea} label="Lý do thu gom một phần" required=${true} value=${partialReason} onInput=${setPartialReason} error=${errors.partial}
            hint="Ví dụ: công dân sẽ bổ sung bản sao chứng thực sau" />`
        : html`<p class="notice notice--ok">Đủ giấy tờ theo danh sách.</p>`}
  </div>`;
}

function LabelStep({ s, number, setNumber, seal, setSeal, errors }) {
  const [scan, setScan] = useState(false);
  return html`<div class="stack">
    <p>Dán nhãn bưu gửi lên túi hồ sơ, niêm phong túi trước mặt công dân, rồi quét hoặc nhập số hiệu trên nhãn.</p>
    ${scan
      ? html`<${Scanner} title="Quét nhãn bưu gửi" onClose=${() => setScan(false)} onCode=${(n) => {
          setNumber(n);
          setScan(false);
        }} />`
      : html`<button type="button" class="btn btn--secondary btn--block" onClick=${() => setScan(true)}>Quét mã vạch trên nhãn</button>`}
    <${TextField} id="so-hieu" label="Số hiệu trên nhãn" hint="13 ký tự, ví dụ EA123456785VN" value=${number} onInput=${setNumber}
      error=${errors.number} upper=${true} big=${true} maxlength=${16} required=${true} />
    <${TextField} id="niem-phong" label="Mã niêm phong" hint="In trên dây hoặc túi niêm phong" value=${seal} onInput=${setSeal}
      error=${errors.seal} upper=${true} big=${true} maxlength=${40} required=${true} />
  </div>`;
}

/** The door code: asked for online, typed when the citizen reads it out (online or not). */
function DoorCode({ s, code, setCode, error, who }) {
  const [sent, setSent] = useState(false);
  const [sendErr, setSendErr] = useState("");
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setSendErr("");
    try {
      await requestCode(s.tracking_number);
      setSent(true);
    } catch (e) {
      setSendErr(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="stack">
    <button type="button" class="btn btn--secondary btn--block" onClick=${send} disabled=${busy || !state.online}>
      ${sent ? "Gửi lại mã" : `Gửi mã tới điện thoại ${who}`}</button>
    ${!state.online ? html`<p class="field__hint">Đang mất mạng: không gửi được mã mới. Nếu ${who} đã nhận mã, vẫn nhập được; máy chủ kiểm tra khi có mạng.</p>` : null}
    ${sent ? html`<p class="notice notice--ok" role="status">Đã gửi mã tới số ${s.contact.phone}. Mã được máy chủ kiểm tra khi đồng bộ.</p>` : null}
    ${sendErr ? html`<p class="field__error" role="alert">${sendErr}</p>` : null}
    <${TextField} id="ma-otp" label=${`Mã 6 số ${who} đọc`} value=${code} onInput=${(v) => setCode(v.replace(/\D/g, "").slice(0, 6))}
      inputmode="numeric" autocomplete="one-time-code" maxlength=${6} big=${true} error=${error} />
  </div>`;
}

/** The CCCD card's QR code: scanned with the camera, or its text pasted. */
function CCCDQR({ qr, setQr, error }) {
  const [scan, setScan] = useState(false);
  const card = cccd.parse(qr);
  return html`<div class="stack">
    ${scan
      ? html`<${Scanner} title="Quét mã QR trên CCCD" kinds=${["qr_code"]} pick=${cccd.pick} aim="Đưa mã QR ở mặt trước thẻ CCCD vào khung hình"
          fallback="Hãy dán nội dung mã QR." onClose=${() => setScan(false)} onCode=${(t) => { setQr(t); setScan(false); }} />`
      : html`<button type="button" class="btn btn--secondary btn--block" onClick=${() => setScan(true)}>Quét mã QR trên CCCD</button>`}
    ${card ? html`<p class="notice notice--ok" role="status" id="cccd-doc-duoc">Đã đọc CCCD số ${cccd.masked(card.number)} · ${card.name}. Máy chủ đối chiếu với hồ sơ khi đồng bộ.</p>` : null}
    <${TextArea} id="qr-cccd" label="Hoặc dán nội dung mã QR" hint="12 số CCCD|số CMND cũ|họ tên|ngày sinh|giới tính|địa chỉ|ngày cấp" value=${qr}
      onInput=${(v) => setQr(v.trim())} error=${error} />
  </div>`;
}

/**
 * How the citizen (or the recipient) confirms: the proofs the server checks
 * itself. The signature pad, the door code, the CCCD QR or typed digits.
 */
function ConfirmStep({ s, method, setMethod, otp, setOtp, qr, setQr, digits, setDigits, padRef, setSigned, errors, partial }) {
  return html`<div class="stack">
    <p>Công dân xác nhận đã giao ${partial ? "các giấy tờ đã kiểm (thu gom một phần)" : "đủ giấy tờ"} cho bưu tá.</p>
    <${Choices} legend="Cách xác nhận" name="cach" value=${method} onChange=${setMethod} error=${errors.method}
      options=${[["signature", "Ký trên màn hình"], ["door_code", "Đọc mã gửi tới điện thoại", "Gửi mã khi có mạng; nhập mã được cả khi mất mạng"],
        ["cccd_qr", "Quét mã QR trên CCCD gắn chip"], ["id_digits", "3 số cuối CCCD", "Cách yếu nhất: chỉ khi không dùng được cách khác"]]} />
    ${method === "signature" ? html`<${SignatureField} padRef=${padRef} onChange=${setSigned} label="Công dân ký vào khung dưới đây" />
      ${errors.signature ? html`<p class="field__error" role="alert">${errors.signature}</p>` : null}` : null}
    ${method === "door_code" ? html`<${DoorCode} s=${s} code=${otp} setCode=${setOtp} error=${errors.otp} who="công dân" />` : null}
    ${method === "cccd_qr" ? html`<${CCCDQR} qr=${qr} setQr=${setQr} error=${errors.qr} />` : null}
    ${method === "id_digits" ? html`<${TextField} id="so-cccd" label="3 số cuối CCCD công dân đọc" value=${digits} onInput=${(v) => setDigits(v.replace(/\D/g, "").slice(0, 3))}
        inputmode="numeric" maxlength=${3} big=${true} error=${errors.digits} />` : null}
  </div>`;
}

/** The server's reason when an earlier record of this stop was refused. */
function Refused({ number }) {
  const r = lastRejection(number);
  if (!r) return null;
  return html`<p class="notice notice--error" role="alert" id="bi-tu-choi">Lần ghi trước bị máy chủ từ chối: ${r.error.message}. Hãy làm lại.</p>`;
}

/** The secret and proof of a method, or an error for the field. */
function proofOf(method, { otp, qr, digits }) {
  switch (method) {
    case "door_code":
      return /^\d{6}$/.test(otp) ? { proof: { method }, secret: otp } : { field: "otp", error: "Nhập đủ 6 chữ số" };
    case "cccd_qr":
      return cccd.parse(qr) ? { proof: { method }, secret: cccd.parse(qr).text } : { field: "qr", error: "Quét mã QR trên CCCD hoặc dán đúng nội dung mã" };
    case "id_digits":
      return /^(\d{3}|\d{12})$/.test(digits) ? { proof: { method }, secret: digits } : { field: "digits", error: "Nhập đúng 3 số cuối (hoặc đủ 12 số) CCCD" };
  }
  return { proof: null };
}

function PickupFlow({ s }) {
  const [step, setStep] = useState("info");
  const [docIndex, setDocIndex] = useState(0);
  const [docs, setDocs] = useState(() => freshDocs(s));
  const [partialReason, setPartialReason] = useState("");
  const [number, setNumber] = useState("");
  const [seal, setSeal] = useState("");
  const [method, setMethod] = useState("signature");
  const [otp, setOtp] = useState("");
  const [qr, setQr] = useState("");
  const [digits, setDigits] = useState("");
  const [signed, setSigned] = useState(false);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const padRef = useRef(null);
  const n = s.tracking_number;

  // A pickup in progress survives a reload (not the signature).
  useEffect(() => {
    loadDraft(n).then((d) => {
      if (d && d.docs && d.docs.length === docs.length) {
        setStep(d.step === "confirm" ? "label" : d.step || "info");
        setDocIndex(d.docIndex || 0);
        setDocs(d.docs);
        setPartialReason(d.partialReason || "");
        setNumber(d.number || "");
        setSeal(d.seal || "");
      }
      setLoaded(true);
    });
  }, [n]);
  useEffect(() => {
    if (loaded && step !== "info" && step !== "fail") saveDraft(n, { step, docIndex, docs, partialReason, number, seal });
  }, [loaded, step, docIndex, docs, partialReason, number, seal]);
  useEffect(() => {
    window.scrollTo(0, 0);
    const h = document.querySelector("#main h1");
    if (h) h.focus({ preventScroll: true });
  }, [step, docIndex]);

  const setDoc = (i, patch) => setDocs(docs.map((d, j) => (j === i ? Object.assign({}, d, patch) : d)));
  const st = visitState(s);

  if (st === "done") {
    return html`<div class="stack">
      <${Title} sub=${`Điểm ${s.stop} · ${s.tracking_number}`}>Đã nhận hồ sơ</${Title}>
      <p class="notice notice--ok">${s.status_label}${s.seal_id ? ` · niêm phong ${s.seal_id}` : ""}.</p>
      <${Dossier} s=${s} />
      <a class="btn btn--secondary btn--block" href="#/ban-giao">Bàn giao bưu gửi</a>
      <a class="btn btn--ghost btn--block" href="#/">Về tuyến</a>
    </div>`;
  }
  if (step === "fail") return html`<${PickupFailForm} s=${s} back=${() => setStep(state.active === n ? "docs" : "info")} />`;

  const head = (k, label) => html`<${Title} sub=${`Điểm ${s.stop} · ${s.address.line}`}>${label}</${Title}><${Steps} n=${k} of=${4} label=${label} />`;

  if (step === "info") {
    const arrive = async () => {
      await setActive(n);
      setStep("docs");
    };
    return html`<div class="stack">
      <${Title} sub=${`Điểm ${s.stop} · ${s.tracking_number}`}>Thu gom hồ sơ</${Title}>
      <${Refused} number=${n} />
      ${s.status === "pickup_failed" ? html`<p class="notice notice--warn">Lần trước chưa thu gom được${s.failed_reason ? `: ${(pickupFailReasons.find((r) => r[0] === s.failed_reason) || [])[1]}` : ""}.</p>` : null}
      <${Where} s=${s} />
      <${Contact} s=${s} />
      <${Dossier} s=${s} />
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${() => setStep("fail")}>Không thu gom được</button>
        <button type="button" class="btn btn--primary" onClick=${arrive}>${state.active === n ? "Tiếp tục kiểm giấy tờ" : "Đã đến, kiểm giấy tờ"}</button>
      </${Actions}>
    </div>`;
  }

  if (step === "docs") {
    const next = () => {
      if (docs[docIndex].present === null) {
        setErrors({ present: "Chọn Có hoặc Không có" });
        return;
      }
      if (handed(docs[docIndex]) && docs[docIndex].disposition === "scanned" && !docs[docIndex].scan) {
        setErrors({ scan: "Chưa có ảnh: bấm “Chụp ảnh giấy tờ”, hoặc chọn cách xử lý khác" });
        return;
      }
      setErrors({});
      if (docIndex + 1 < s.documents.length) setDocIndex(docIndex + 1);
      else setStep("review");
    };
    const prev = () => {
      setErrors({});
      if (docIndex > 0) setDocIndex(docIndex - 1);
      else setStep("info");
    };
    return html`<div class="stack">
      ${head(1, "Kiểm từng giấy tờ")}
      <${DocStep} s=${s} i=${docIndex} docs=${docs} setDoc=${setDoc} errors=${errors} />
      <button type="button" class="btn btn--ghost btn--block" onClick=${() => setStep("fail")}>Không thu gom được</button>
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${prev}>Quay lại</button>
        <button type="button" class="btn btn--primary" onClick=${next}>${docIndex + 1 < s.documents.length ? "Giấy tờ tiếp theo" : "Xem lại"}</button>
      </${Actions}>
    </div>`;
  }

  const short = shortLines(s, docs);
  const total = carriedTotal(s, docs);
  const notCarried = docs.filter(kept).length;

  if (step === "review") {
    const next = () => {
      if (total === 0) return;
      if (short.length && !partialReason.trim()) {
        setErrors({ partial: "Ghi lý do thu gom một phần" });
        return;
      }
      setErrors({});
      setStep("label");
    };
    return html`<div class="stack">
      ${head(2, "Xem lại giấy tờ")}
      <${Review} s=${s} docs=${docs} partialReason=${partialReason} setPartialReason=${setPartialReason} errors=${errors} />
      ${total === 0 ? html`<button type="button" class="btn btn--danger btn--block" onClick=${() => setStep("fail")}>Ghi không thành công</button>` : null}
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${() => { setDocIndex(s.documents.length - 1); setStep("docs"); }}>Sửa</button>
        <button type="button" class="btn btn--primary" onClick=${next} disabled=${total === 0}>Tiếp: nhãn, niêm phong</button>
      </${Actions}>
    </div>`;
  }

  if (step === "label") {
    const next = () => {
      const f = {};
      const num = s10.normalise(number);
      const p = s10.problem(num);
      if (p) f.number = p;
      else if (num !== n) f.number = `Nhãn này là của bưu gửi khác (${num}). Hãy dán nhãn ${n}.`;
      const sp = s10.sealProblem(seal);
      if (sp) f.seal = sp;
      setErrors(f);
      if (Object.keys(f).length) return;
      setNumber(num);
      setSeal(seal.trim().toUpperCase());
      setStep("confirm");
    };
    return html`<div class="stack">
      ${head(3, "Nhãn và niêm phong")}
      <${LabelStep} s=${s} number=${number} setNumber=${setNumber} seal=${seal} setSeal=${setSeal} errors=${errors} />
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${() => setStep("review")}>Quay lại</button>
        <button type="button" class="btn btn--primary" onClick=${next}>Tiếp: xác nhận</button>
      </${Actions}>
    </div>`;
  }

  // confirm
  const submit = async () => {
    const f = {};
    if (method === "signature" && (!padRef.current || padRef.current.isEmpty())) f.signature = "Công dân chưa ký";
    const pr = proofOf(method, { otp, qr, digits });
    if (pr.error) f[pr.field] = pr.error;
    setErrors(f);
    if (Object.keys(f).length) return;
    setBusy(true);
    try {
      // Each scan is queued before the event, which names its SHA-256 over
      // the exact bytes uploaded.
      const images = [];
      const documents = [];
      for (let i = 0; i < s.documents.length; i++) {
        const d = s.documents[i];
        const v = docs[i];
        if (kept(v)) {
          const line = { line: d.line, count: 0, condition: "good", kind: d.kind, disposition: dispositionOf(v) };
          if (line.disposition === "scanned") {
            const im = await evidence("scan", "image/jpeg", v.scan);
            im.line = d.line;
            images.push(im);
            line.scan_sha256 = im.sha256;
          }
          documents.push(line);
        } else if (!carried(v) || v.count === 0) {
          documents.push({ line: d.line, count: 0, condition: "missing", disposition: "original" });
        } else {
          documents.push({ line: d.line, count: v.count, condition: v.condition, kind: d.kind, disposition: "original" });
        }
      }
      const data = { documents, seal_id: seal.trim().toUpperCase() };
      if (method === "signature") {
        const im = await evidence("signature", "image/png", dataURLBytes(padRef.current.toDataURL("image/png")));
        data.proof = { method: "signature", sha256: im.sha256 };
        images.push(im);
      } else {
        data.proof = pr.proof;
      }
      if (short.length) {
        data.partial = true;
        data.partial_reason = partialReason.trim().normalize("NFC");
      }
      await record("pickup.collected", n, data, images, pr.secret || "");
      await dropDraft(n);
      await setActive("");
      toast(`Đã nhận hồ sơ ${n}. ${savedText()}`);
      goRoute();
    } catch (e) {
      setErrors({ method: "Không ghi được: " + e.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="stack">
    ${head(4, "Công dân xác nhận")}
    <div class="card">
      <p class="card__label">Tóm tắt</p>
      <p>${total} bản gốc gửi đi${short.length ? ` · thu gom một phần (thiếu ${short.length})` : " · đủ theo danh sách"}</p>
      ${notCarried ? html`<p>${notCarried} giấy tờ không gửi bản gốc${docs.some((v) => kept(v) && dispositionOf(v) === "scanned") ? ` (${docs.filter((v) => kept(v) && dispositionOf(v) === "scanned").length} ảnh quét sẽ gửi lên máy chủ trước)` : ""}</p>` : null}
      <p>Nhãn <strong class="mono">${number}</strong> · niêm phong <strong class="mono">${seal}</strong></p>
    </div>
    <${ConfirmStep} s=${s} method=${method} setMethod=${setMethod} otp=${otp} setOtp=${setOtp} qr=${qr} setQr=${setQr}
      digits=${digits} setDigits=${setDigits} padRef=${padRef} setSigned=${setSigned} errors=${errors} partial=${short.length > 0} />
    <${Actions}>
      <button type="button" class="btn btn--secondary" onClick=${() => setStep("label")}>Quay lại</button>
      <button type="button" class="btn btn--primary" onClick=${submit} disabled=${busy}>Xác nhận đã nhận</button>
    </${Actions}>
  </div>`;
}

// -------------------------------------------------------------- delivery

function DeliveryFailForm({ s, back }) {
  const [cause, setCause] = useState("");
  const [action, setAction] = useState("");
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const f = {};
    if (!cause) f.cause = "Chọn nguyên nhân";
    if (!action) f.action = "Chọn hướng xử lý";
    setErrors(f);
    if (Object.keys(f).length) return;
    setBusy(true);
    try {
      const data = { cause, action };
      if (note.trim()) data.note = note.trim().normalize("NFC");
      await record("delivery.attempt_failed", s.tracking_number, data);
      await setActive("");
      toast(`Đã ghi lần giao không thành công (${s.tracking_number}). ${savedText()}`);
      goRoute();
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="stack">
    <${Title} sub=${`Điểm ${s.stop} · ${s.tracking_number} · lần giao thứ ${(s.attempts || 0) + 1}`}>Giao không thành công</${Title}>
    <${Choices} legend="Nguyên nhân" name="nguyen-nhan" options=${deliveryCauses} value=${cause} onChange=${setCause} error=${errors.cause} />
    <${Choices} legend="Hướng xử lý" name="xu-ly" options=${deliveryActions} value=${action} onChange=${setAction} error=${errors.action} />
    <${TextArea} label="Ghi chú" value=${note} onInput=${setNote} />
    <${Actions}>
      <button type="button" class="btn btn--secondary" onClick=${back}>Quay lại</button>
      <button type="button" class="btn btn--danger" onClick=${submit} disabled=${busy}>Ghi không thành công</button>
    </${Actions}>
  </div>`;
}

function DeliveryFlow({ s }) {
  const [step, setStep] = useState("info");
  const [verify, setVerify] = useState("");
  const [otp, setOtp] = useState("");
  const [qr, setQr] = useState("");
  const [idText, setIdText] = useState("");
  const [proxyName, setProxyName] = useState("");
  const [auth, setAuth] = useState("");
  const [sealRead, setSealRead] = useState("");
  const [proof, setProof] = useState("signature");
  const [photo, setPhoto] = useState(null);
  const [signed, setSigned] = useState(false);
  const [feeOk, setFeeOk] = useState(false);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const padRef = useRef(null);
  const n = s.tracking_number;
  useEffect(() => {
    window.scrollTo(0, 0);
    const h = document.querySelector("#main h1");
    if (h) h.focus({ preventScroll: true });
  }, [step]);

  if (s.status === "delivered") {
    return html`<div class="stack">
      <${Title} sub=${`Điểm ${s.stop} · ${n}`}>Đã giao kết quả</${Title}>
      <p class="notice notice--ok">${s.status_label}.</p>
      <a class="btn btn--secondary btn--block" href="#/">Về tuyến</a>
    </div>`;
  }
  if (step === "fail") return html`<${DeliveryFailForm} s=${s} back=${() => setStep("info")} />`;

  if (step === "info") {
    const out = async () => {
      setBusy(true);
      try {
        await record("delivery.out", n, {});
        toast(`Đã ghi bắt đầu đi giao ${n}. ${savedText()}`);
      } finally {
        setBusy(false);
      }
    };
    const arrive = async () => {
      await setActive(n);
      setStep("verify");
    };
    const canOut = s.status === "with_courier" || s.status === "delivery_failed";
    return html`<div class="stack">
      <${Title} sub=${`Điểm ${s.stop} · ${n}`}>Giao kết quả</${Title}>
      <${Refused} number=${n} />
      ${s.status === "delivery_failed" ? html`<p class="notice notice--warn">Đã giao không thành công ${s.attempts || 1} lần.</p>` : null}
      <${Where} s=${s} />
      <${Contact} s=${s} />
      <${Dossier} s=${s} />
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${() => setStep("fail")} disabled=${canOut}>Không giao được</button>
        ${canOut
          ? html`<button type="button" class="btn btn--primary" onClick=${out} disabled=${busy}>Bắt đầu đi giao</button>`
          : html`<button type="button" class="btn btn--primary" onClick=${arrive}>Đã đến, xác minh</button>`}
      </${Actions}>
    </div>`;
  }

  if (step === "verify") {
    const next = () => {
      const f = {};
      if (!verify) f.verify = "Chọn cách xác minh";
      const pr = proofOf(verify, { otp, qr, digits: idText });
      if (pr.error) f[pr.field === "digits" ? "id" : pr.field] = pr.error;
      if (verify === "proxy") {
        if (!proxyName.trim()) f.proxyName = "Nhập họ tên người nhận thay";
        if (!auth.trim()) f.auth = "Nhập số giấy ủy quyền";
      }
      // The desk sealed the result: the seal is read at the door.
      if (s.seal_id && sealRead.trim().toUpperCase() !== s.seal_id) {
        f.seal = sealRead.trim() ? "Mã niêm phong không khớp: không giao, ghi giao không thành công" : "Nhập mã niêm phong đọc trên bì kết quả";
      }
      setErrors(f);
      if (verify === "signature") setProof("signature");
      if (!Object.keys(f).length) setStep("proof");
    };
    return html`<div class="stack">
      <${Title} sub=${`Điểm ${s.stop} · ${s.address.line}`}>Xác minh người nhận</${Title}>
      <${Steps} n=${1} of=${2} label="Xác minh người nhận" />
      <${Contact} s=${s} />
      <${Choices} legend="Cách xác minh" name="xac-minh" value=${verify} onChange=${setVerify} error=${errors.verify}
        options=${[["door_code", "Mã gửi tới điện thoại người nhận"], ["cccd_qr", "Quét mã QR trên CCCD gắn chip"],
          ["id_digits", "Số CCCD", "Đủ 12 số, hoặc 3 số cuối (cách yếu)"], ["proxy", "Người nhận thay", "Có giấy ủy quyền"],
          ["signature", "Chỉ ký nhận", "Cách yếu nhất: khi người nhận không có điện thoại và CCCD"]]} />
      ${verify === "door_code" ? html`<${DoorCode} s=${s} code=${otp} setCode=${setOtp} error=${errors.otp} who="người nhận" />` : null}
      ${verify === "cccd_qr" ? html`<${CCCDQR} qr=${qr} setQr=${setQr} error=${errors.qr} />` : null}
      ${verify === "id_digits" ? html`<${TextField} id="cccd" label="Số CCCD của người nhận" hint="12 số trên thẻ, hoặc 3 số cuối" value=${idText}
          onInput=${(v) => setIdText(v.replace(/\D/g, "").slice(0, 12))} inputmode="numeric" maxlength=${12} big=${true} error=${errors.id} />` : null}
      ${verify === "proxy" ? html`<div class="stack">
        <${TextField} id="nguoi-nhan-thay" label="Họ tên người nhận thay" value=${proxyName} onInput=${setProxyName} error=${errors.proxyName} />
        <${TextField} id="giay-uy-quyen" label="Số giấy ủy quyền" value=${auth} onInput=${setAuth} error=${errors.auth} />
      </div>` : null}
      ${s.seal_id ? html`<${TextField} id="niem-phong-kq" label="Mã niêm phong trên bì kết quả" hint="Đọc mã trên bì; bì rách hoặc khác mã thì không giao"
          value=${sealRead} onInput=${setSealRead} upper=${true} maxlength=${40} error=${errors.seal} />` : null}
      <${Actions}>
        <button type="button" class="btn btn--secondary" onClick=${() => setStep("fail")}>Không giao được</button>
        <button type="button" class="btn btn--primary" onClick=${next}>Tiếp: ký nhận</button>
      </${Actions}>
    </div>`;
  }

  // proof
  const submit = async () => {
    const f = {};
    if (proof === "signature" && (!padRef.current || padRef.current.isEmpty())) f.proof = "Người nhận chưa ký";
    if (proof === "photo" && !photo) f.proof = "Chưa chụp ảnh";
    if (s.fee > 0 && !feeOk) f.fee = `Thu ${money(s.fee)} trước khi giao, hoặc ghi giao không thành công`;
    setErrors(f);
    if (Object.keys(f).length) return;
    setBusy(true);
    try {
      const data = {};
      const pr = proofOf(verify, { otp, qr, digits: idText });
      if (verify === "proxy") data.proof = { method: "proxy", proxy_name: proxyName.trim().normalize("NFC"), authorisation: auth.trim().normalize("NFC") };
      else if (pr.proof) data.proof = pr.proof;
      const images = [];
      if (proof === "signature") {
        const im = await evidence("signature", "image/png", dataURLBytes(padRef.current.toDataURL("image/png")));
        if (verify === "signature") data.proof = { method: "signature", sha256: im.sha256 };
        else data.signature_sha256 = im.sha256;
        images.push(im);
      } else {
        const im = await evidence("photo", "image/jpeg", photo);
        data.photo_sha256 = im.sha256;
        images.push(im);
      }
      data.fee_collected = s.fee > 0 ? s.fee : 0;
      if (s.seal_id) data.seal_id = sealRead.trim().toUpperCase();
      await record("delivery.completed", n, data, images, pr.secret || "");
      await setActive("");
      toast(`Đã giao kết quả ${n}. ${savedText()}`);
      goRoute();
    } catch (e) {
      setErrors({ proof: "Không ghi được: " + e.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<div class="stack">
    <${Title} sub=${`Điểm ${s.stop} · ${s.address.line}`}>Ký nhận kết quả</${Title}>
    <${Steps} n=${2} of=${2} label="Ký nhận kết quả" />
    ${verify === "signature" ? html`<p>Người nhận ký trên màn hình: chữ ký là bằng chứng xác nhận.</p>` : html`<${Choices} legend="Bằng chứng đã giao" name="bang-chung" value=${proof} onChange=${setProof} error=${errors.proof}
      options=${[["signature", "Người nhận ký trên màn hình"], ["photo", "Chụp ảnh người nhận với kết quả"]]} />`}
    ${verify === "signature" && errors.proof ? html`<p class="field__error" role="alert">${errors.proof}</p>` : null}
    ${proof === "signature" ? html`<${SignatureField} padRef=${padRef} onChange=${setSigned} label="Người nhận ký vào khung dưới đây" />` : null}
    ${proof === "photo" ? html`<${PhotoField} onPhoto=${setPhoto} />` : null}
    ${s.fee > 0 ? html`<${Check} checked=${feeOk} onChange=${(v) => { setFeeOk(v); if (v) setErrors(Object.assign({}, errors, { fee: "" })); }} name="da-thu">Đã thu đủ ${money(s.fee)}</${Check}>
      ${errors.fee ? html`<p class="field__error" role="alert">${errors.fee}</p>` : null}` : html`<p class="muted">Không có phí thu khi giao.</p>`}
    <${Actions}>
      <button type="button" class="btn btn--secondary" onClick=${() => setStep("verify")}>Quay lại</button>
      <button type="button" class="btn btn--primary" onClick=${submit} disabled=${busy}>Xác nhận đã giao</button>
    </${Actions}>
  </div>`;
}

/** The stop screen for a tracking number of today's route. */
export function StopScreen({ number }) {
  const r = state.route;
  const s = r && r.stops.find((x) => x.tracking_number === number);
  if (!s) {
    return html`<div class="stack">
      <${Title}>Không có điểm này</${Title}>
      <p>Bưu gửi ${number} không có trong tuyến hôm nay của bạn (có thể đã được bàn giao hoặc điều phối lại).</p>
      <a class="btn btn--secondary btn--block" href="#/">Về tuyến</a>
    </div>`;
  }
  if (s.leg === "return" && isVisit(s)) return html`<${DeliveryFlow} key=${number} s=${s} />`;
  if (isVisit(s)) return html`<${PickupFlow} key=${number} s=${s} />`;
  return html`<div class="stack">
    <${Title} sub=${number}>${s.status_label}</${Title}>
    <${Dossier} s=${s} />
    <a class="btn btn--primary btn--block" href="#/ban-giao">Mở bàn giao</a>
  </div>`;
}
