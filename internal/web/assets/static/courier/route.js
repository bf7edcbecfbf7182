// route.js: today's stops in order, with their windows, estimated arrival,
// the way there and, on the stop the courier is at, the call button.

import { html } from "../vendor/htm/standalone.module.js";
import { etas, held, isVisit, toReceive, visitState, waiting } from "./model.js";
import { loadRoute, state } from "./store.js";
import { docCount, kindLabels, longDate, time, windowText } from "./text.js";
import { Title } from "./widgets.js";

/** geo: link that opens the phone's map app at the stop. */
export function geoHref(a) {
  if (!a || (!a.lat && !a.lng)) return "";
  return `geo:${a.lat},${a.lng}?q=${a.lat},${a.lng}`;
}

function StopCard({ s, eta, active }) {
  const st = visitState(s);
  const kind = s.leg === "return" ? kindLabels.delivery : kindLabels.pickup;
  const geo = geoHref(s.address);
  const cls = `stop stop--${st}` + (active ? " stop--active" : "");
  return html`<li class=${cls} data-number=${s.tracking_number}>
    <div class="stop__head">
      <span class="stop__no" aria-hidden="true">${st === "done" ? "✓" : s.stop}</span>
      <div class="stop__body">
        <p class="stop__kind">
          <span class="visually-hidden">Điểm ${s.stop}: </span>${kind}
          <span class=${"badge badge--" + st}>${s.status_label}</span>
          ${active ? html`<span class="badge badge--active">Đang ở đây</span>` : null}
        </p>
        <h2 class="stop__title"><a href=${"#/diem/" + s.tracking_number} class="stop__link">${s.address.line || s.address.commune}</a></h2>
        <p class="stop__line">${s.address.commune}${s.address.approx ? " (vị trí gần đúng)" : ""}</p>
        ${st === "done" ? null : html`<p class="stop__time">
          <span>Hẹn ${windowText(s.window || (s.windows || [])[0]) || "trong ngày"}</span>
          ${eta ? html` · <span class=${eta.late ? "late" : ""}>Dự kiến ${time(eta.eta)}${eta.late ? " (có thể trễ)" : ""}</span>` : null}
        </p>`}
        <p class="stop__line">${s.contact.initials} · ${s.contact.phone} · ${s.leg === "return" ? "Kết quả hồ sơ" : docCount(s.documents)}</p>
        <p class="stop__line stop__num">${s.tracking_number}${s.procedure ? " · " + s.procedure : ""}</p>
      </div>
    </div>
    ${st === "done" ? null : html`<div class="stop__actions">
      ${geo ? html`<a class="btn btn--secondary" href=${geo}>Chỉ đường<span class="visually-hidden"> đến điểm ${s.stop}</span></a>` : null}
      <a class="btn btn--primary" href=${"#/diem/" + s.tracking_number}>${active ? "Tiếp tục" : "Mở"}<span class="visually-hidden"> điểm ${s.stop}</span></a>
    </div>`}
  </li>`;
}

export function RouteScreen() {
  const r = state.route;
  if (!r) {
    return html`<div class="stack">
      <${Title}>Tuyến hôm nay</${Title}>
      ${state.online
        ? html`<p>${state.routeError ? state.routeError : "Đang tải tuyến…"}</p>
            <button class="btn btn--secondary btn--block" onClick=${() => loadRoute()}>Tải lại tuyến</button>`
        : html`<p class="notice notice--warn">Máy đang mất mạng và chưa có tuyến nào được lưu. Hãy mở ứng dụng khi có mạng để tải tuyến.</p>`}
    </div>`;
  }
  const stops = r.stops.filter((s) => !s.gone);
  const visits = stops.filter(isVisit);
  const done = visits.filter((s) => visitState(s) === "done").length;
  const eta = etas(visits, new Date(), state.position);
  const hold = held(stops);
  const wait = waiting(stops);
  const recv = toReceive(stops);
  const fetched = state.routeRaw ? state.routeRaw.fetchedAt : 0;
  return html`<div class="stack">
    <${Title} sub=${`${longDate(new Date())} · ${visits.length} điểm dừng, đã xong ${done}`}>Tuyến hôm nay</${Title}>
    ${!state.online && fetched ? html`<p class="notice notice--warn">Đang mất mạng: tuyến đã lưu lúc ${time(new Date(fetched))}. Mọi việc vẫn ghi được và sẽ tự gửi khi có mạng.</p>` : null}
    ${state.routeError ? html`<p class="notice notice--error">${state.routeError}</p>` : null}
    ${recv.length ? html`<a class="callout callout--receive" href="#/ban-giao">
        <strong>${recv.length} bưu gửi đang chờ bạn nhận</strong><span>Kiểm tra niêm phong và xác nhận</span></a>` : null}
    ${hold.length || wait.length ? html`<a class="callout" href="#/ban-giao">
        <strong>Đang giữ ${hold.length} bưu gửi cần bàn giao</strong>
        <span>${wait.length ? `${wait.length} bưu gửi chờ bên nhận xác nhận` : "Bàn giao tại bưu cục hoặc bộ phận một cửa"}</span></a>` : null}
    ${visits.length
      ? html`<ol class="stops">${visits.map((s) => html`<${StopCard} key=${s.tracking_number} s=${s} eta=${eta.get(s.tracking_number)} active=${state.active === s.tracking_number} />`)}</ol>`
      : html`<p class="notice">Hôm nay chưa có điểm dừng nào trong tuyến của bạn.</p>`}
  </div>`;
}
