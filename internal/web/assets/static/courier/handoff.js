// handoff.js: hand-offs. The courier scans (or ticks) the parcels they hold
// into a release to their post office or to the desk, then sees the
// receiver's confirmation arrive (the route is polled; a confirmed parcel
// leaves the courier's route). Parcels released to the courier are checked
// (seal) and confirmed, or disputed.

import { html, useState } from "../vendor/htm/standalone.module.js";
import { held, toReceive, waiting } from "./model.js";
import * as s10 from "./s10.js";
import { record, state, toast } from "./store.js";
import { disputeProblems, partyText, time } from "./text.js";
import { Check, Choices, Scanner, TextArea, TextField, Title } from "./widgets.js";

function savedText() {
  return navigator.onLine ? "Đang gửi lên máy chủ." : "Đã lưu trên máy, sẽ tự gửi khi có mạng.";
}

/** Where a parcel may be released to: the courier's office, or its desk. */
function targets(parcels) {
  const c = state.session && state.session.courier;
  const out = [];
  if (c && c.office_code) out.push([`post_office:${c.office_code}`, `Bưu cục ${c.office_code}`, "Nhập về bưu cục của bạn"]);
  const desks = new Map();
  for (const p of parcels) if (p.desk_code && p.leg !== "return") desks.set(p.desk_code, p.desk);
  for (const [code, name] of desks) out.push([`desk:${code}`, name || `Bộ phận một cửa ${code}`, "Giao thẳng cho bộ phận một cửa"]);
  return out;
}

function Release({ parcels }) {
  const opts = targets(parcels);
  const [to, setTo] = useState(opts.length ? opts[0][0] : "");
  const [picked, setPicked] = useState(() => new Set());
  const [scan, setScan] = useState(false);
  const [typed, setTyped] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const eligible = parcels.filter((p) => !to.startsWith("desk:") || p.desk_code === to.slice(5));
  const add = (raw) => {
    const n = s10.normalise(raw);
    const p = s10.problem(n);
    if (p) {
      setErr(p);
      return false;
    }
    if (!eligible.some((x) => x.tracking_number === n)) {
      setErr(`Bưu gửi ${n} không nằm trong số bạn đang giữ cho nơi nhận này.`);
      return false;
    }
    setErr("");
    const next = new Set(picked);
    next.add(n);
    setPicked(next);
    return true;
  };
  const toggle = (n, on) => {
    const next = new Set(picked);
    if (on) next.add(n);
    else next.delete(n);
    setPicked(next);
  };
  const chosen = eligible.filter((p) => picked.has(p.tracking_number));
  const submit = async () => {
    if (!chosen.length) {
      setErr("Quét hoặc chọn ít nhất một bưu gửi");
      return;
    }
    setBusy(true);
    try {
      for (const p of chosen) await record("handoff.released", p.tracking_number, { to });
      setPicked(new Set());
      toast(`Đã ghi bàn giao ${chosen.length} bưu gửi cho ${partyText(to)}. ${savedText()}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="stack" aria-labelledby="giao-h">
    <h2 id="giao-h">Bàn giao bưu gửi đang giữ</h2>
    ${opts.length > 1 ? html`<${Choices} legend="Giao cho" name="giao-cho" options=${opts} value=${to} onChange=${(v) => { setTo(v); setPicked(new Set()); }} />`
      : html`<p>Giao cho <strong>${opts.length ? opts[0][1] : "—"}</strong></p>`}
    ${scan
      ? html`<${Scanner} title="Quét nhãn để bàn giao" onClose=${() => setScan(false)} onCode=${(n) => { add(n); setScan(false); }} />`
      : html`<button type="button" class="btn btn--secondary btn--block" onClick=${() => setScan(true)}>Quét nhãn bưu gửi</button>`}
    <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); if (add(typed)) setTyped(""); }}>
      <${TextField} id="them-so-hieu" label="Hoặc nhập số hiệu" value=${typed} onInput=${setTyped} upper=${true} maxlength=${16} error=${err} />
      <button type="submit" class="btn btn--secondary">Thêm</button>
    </form>
    <fieldset class="choices">
      <legend class="choices__legend">Bưu gửi bàn giao (${chosen.length}/${eligible.length})</legend>
      ${eligible.map((p) => html`<${Check} key=${p.tracking_number} checked=${picked.has(p.tracking_number)} onChange=${(on) => toggle(p.tracking_number, on)}>
          <span class="mono">${p.tracking_number}</span>
          <span class="choice__sub">${p.procedure || p.status_label}${p.seal_id ? ` · niêm phong ${p.seal_id}` : ""}</span>
        </${Check}>`)}
    </fieldset>
    <button type="button" class="btn btn--primary btn--block" onClick=${submit} disabled=${busy || !chosen.length}>
      Bàn giao ${chosen.length} bưu gửi</button>
  </section>`;
}

/** A released parcel's state: waiting, confirmed (left the route) or problem. */
function releaseState(rel) {
  if (state.outbox.some((it) => it.kind === "event" && it.event.id === rel.eventId)) return ["unsent", "Chưa gửi lên máy chủ"];
  if (state.rejected.some((r) => r.id === rel.eventId)) return ["rejected", "Bị từ chối: xem mục Đồng bộ"];
  const sentAt = state.sentAt.get(rel.eventId) || 0;
  if (!state.routeRaw || state.routeRaw.fetchedAt < sentAt) return ["waiting", "Đã gửi, chờ bên nhận xác nhận"];
  const raw = state.routeRaw.data.stops.find((s) => s.tracking_number === rel.number);
  if (!raw || raw.kept) return ["confirmed", "Bên nhận đã xác nhận"];
  if (raw.pending_handoff && !raw.pending_handoff.to_me) return ["waiting", "Chờ bên nhận xác nhận"];
  return ["problem", "Bên nhận chưa nhận hoặc báo có vấn đề: liên hệ bưu cục"];
}

function Releases() {
  const rels = [...state.releases].reverse();
  const pending = waiting(state.route ? state.route.stops : []);
  if (!rels.length && !pending.length) return null;
  const known = new Set(rels.map((r) => r.number));
  return html`<section class="stack" aria-labelledby="cho-h">
    <h2 id="cho-h">Đã bàn giao hôm nay</h2>
    <ul class="list">
      ${rels.map((r) => {
        const [k, label] = releaseState(r);
        return html`<li class=${"list__row list__row--" + k} key=${r.eventId} data-number=${r.number} data-state=${k}>
          <span class="mono">${r.number}</span>
          <span>${partyText(r.to)} · lúc ${time(new Date(r.recordedAt))}</span>
          <strong class=${"state state--" + k}>${k === "confirmed" ? "✓ " : ""}${label}</strong>
        </li>`;
      })}
      ${pending.filter((p) => !known.has(p.tracking_number)).map((p) => html`<li class="list__row list__row--waiting" key=${p.tracking_number} data-number=${p.tracking_number} data-state="waiting">
          <span class="mono">${p.tracking_number}</span>
          <span>${partyText(p.pending_handoff.to)}</span>
          <strong class="state state--waiting">Chờ bên nhận xác nhận</strong>
        </li>`)}
    </ul>
    <p class="muted small">Danh sách tự cập nhật khi có mạng.</p>
  </section>`;
}

function ReceiveOne({ p }) {
  const [seal, setSeal] = useState("");
  const [mode, setMode] = useState("");
  const [problem, setProblem] = useState("");
  const [note, setNote] = useState("");
  const [err, setErr] = useState({});
  const [busy, setBusy] = useState(false);
  const n = p.tracking_number;
  const confirm = async () => {
    const v = seal.trim().toUpperCase();
    if (p.seal_id && v !== p.seal_id) {
      setErr({ seal: v ? "Mã niêm phong không khớp: báo vấn đề nếu đúng là khác" : "Nhập mã niêm phong đọc trên túi" });
      return;
    }
    setBusy(true);
    try {
      const data = { seal_intact: true };
      if (p.seal_id) data.seal_id = v;
      await record("handoff.confirmed", n, data);
      toast(`Đã nhận bàn giao ${n}. ${savedText()}`);
    } finally {
      setBusy(false);
    }
  };
  const dispute = async () => {
    if (!problem) {
      setErr({ problem: "Chọn vấn đề" });
      return;
    }
    setBusy(true);
    try {
      const data = { problem };
      if (problem === "seal_broken") data.seal_intact = false;
      if (seal.trim()) data.seal_id = seal.trim().toUpperCase();
      if (note.trim()) data.note = note.trim().normalize("NFC");
      await record("handoff.disputed", n, data);
      toast(`Đã báo vấn đề với bưu gửi ${n}. ${savedText()}`);
    } finally {
      setBusy(false);
    }
  };
  return html`<li class="card" data-number=${n}>
    <p class="card__value mono">${n}</p>
    <p>Từ ${partyText(p.pending_handoff.from, p.desk)} · ${p.leg === "return" ? "kết quả để giao" : p.status_label}</p>
    <${TextField} id=${"np-" + n} label="Mã niêm phong trên túi" value=${seal} onInput=${setSeal} upper=${true} error=${err.seal}
      hint=${p.seal_id ? "Đọc mã trên túi và so với mã đã ghi" : "Túi không có mã niêm phong đã ghi"} />
    ${mode === "problem" ? html`<div class="stack">
        <${Choices} legend="Vấn đề" name=${"vd-" + n} options=${disputeProblems} value=${problem} onChange=${setProblem} error=${err.problem} />
        <${TextArea} label="Ghi chú" value=${note} onInput=${setNote} />
        <div class="row">
          <button type="button" class="btn btn--secondary" onClick=${() => setMode("")}>Quay lại</button>
          <button type="button" class="btn btn--danger" onClick=${dispute} disabled=${busy}>Báo vấn đề</button>
        </div>
      </div>`
      : html`<div class="row">
          <button type="button" class="btn btn--secondary" onClick=${() => setMode("problem")}>Có vấn đề</button>
          <button type="button" class="btn btn--primary" onClick=${confirm} disabled=${busy}>Nguyên vẹn, nhận</button>
        </div>`}
  </li>`;
}

export function HandoffScreen() {
  const stops = state.route ? state.route.stops : [];
  const hold = held(stops);
  const recv = toReceive(stops);
  return html`<div class="stack">
    <${Title} sub="Bưu cục và bộ phận một cửa">Bàn giao</${Title}>
    ${recv.length ? html`<section class="stack" aria-labelledby="nhan-h">
        <h2 id="nhan-h">Chờ bạn nhận (${recv.length})</h2>
        <ul class="cards">${recv.map((p) => html`<${ReceiveOne} key=${p.tracking_number} p=${p} />`)}</ul>
      </section>` : null}
    ${hold.length ? html`<${Release} parcels=${hold} />` : html`<p class="notice">Bạn không giữ bưu gửi nào cần bàn giao.</p>`}
    <${Releases} />
  </div>`;
}
