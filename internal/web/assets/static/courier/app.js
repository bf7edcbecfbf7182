// app.js: the courier app's entry point (an ES module, no build step):
// the service worker, the screens by URL hash, the header with the
// always-visible count of what is not yet sent, and the bottom tabs.
//
//   #/            today's route
//   #/diem/<S10>  one stop (pickup or delivery)
//   #/ban-giao    hand-offs
//   #/dong-bo     outbox, rejected events, device

import { html, render, useEffect, useState } from "../vendor/htm/standalone.module.js";
import { HandoffScreen } from "./handoff.js";
import { Login } from "./login.js";
import { RouteScreen } from "./route.js";
import { StopScreen } from "./stop.js";
import { clearToast, init, setUpdateReady, state, subscribe } from "./store.js";
import { SyncScreen } from "./syncview.js";
import { prepareScanner } from "./widgets.js";

function useStore() {
  const [, setTick] = useState(0);
  useEffect(() => subscribe(() => setTick((t) => t + 1)), []);
  return state;
}

function useHash() {
  const [h, setH] = useState(location.hash || "#/");
  useEffect(() => {
    const on = () => {
      setH(location.hash || "#/");
      clearToast();
    };
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return h;
}

function SyncBadge() {
  const n = state.outbox.filter((it) => it.kind === "event").length;
  const bad = state.rejected.length;
  const cls = "sync" + (n ? " sync--pending" : bad ? " sync--bad" : " sync--ok") + (state.syncing ? " sync--busy" : "");
  const text = n ? `Chưa đồng bộ ${n}` : bad ? `${bad} bị từ chối` : "Đã đồng bộ";
  return html`<a class=${cls} href="#/dong-bo" id="chua-dong-bo" data-count=${n} data-rejected=${bad} aria-live="polite">${text}</a>`;
}

function Header() {
  const c = state.session && state.session.courier;
  return html`<header class="bar">
    <div class="bar__who">
      <span class="bar__title">Bưu tá${c ? html`<span class="bar__name"> · ${c.staff_code}</span>` : null}</span>
      ${state.online ? null : html`<span class="net" id="mat-mang">Mất mạng</span>`}
    </div>
    ${state.session ? html`<${SyncBadge} />` : null}
  </header>`;
}

function Tabs({ hash }) {
  const tab = (href, label, on) => html`<a class=${"tabs__tab" + (on ? " tabs__tab--on" : "")} href=${href} aria-current=${on ? "page" : undefined}>${label}</a>`;
  const hold = state.route ? state.route.stops.filter((s) => !s.gone && !s.kept && (s.kind === "handoff" || (s.pending_handoff && s.pending_handoff.to_me))).length : 0;
  return html`<nav class="tabs" aria-label="Chuyển màn hình">
    ${tab("#/", "Tuyến", hash === "#/" || hash.startsWith("#/diem/"))}
    ${tab("#/ban-giao", hold ? `Bàn giao (${hold})` : "Bàn giao", hash === "#/ban-giao")}
    ${tab("#/dong-bo", "Đồng bộ", hash === "#/dong-bo")}
  </nav>`;
}

function Toast() {
  const t = state.toast;
  return html`<div class="toast-region" role="status" aria-live="polite">
    ${t ? html`<p class=${"toast toast--" + t.kind}>${t.text}</p>` : null}
  </div>`;
}

function App() {
  useStore();
  const hash = useHash();
  useEffect(() => {
    const h = document.querySelector("#main h1");
    if (h) h.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [hash]);
  if (!state.ready) {
    return html`<${Header} /><main class="screen" id="main"><h1 tabindex="-1">Đang mở ứng dụng…</h1></main>`;
  }
  let screen;
  const needsLogin = !state.session || state.session.needsLogin;
  if (needsLogin) {
    screen = html`<${Login} expired=${!!state.session} />`;
  } else if (hash.startsWith("#/diem/")) {
    screen = html`<${StopScreen} number=${decodeURIComponent(hash.slice(7))} />`;
  } else if (hash === "#/ban-giao") {
    screen = html`<${HandoffScreen} />`;
  } else if (hash === "#/dong-bo") {
    screen = html`<${SyncScreen} />`;
  } else {
    screen = html`<${RouteScreen} />`;
  }
  return html`
    <${Header} />
    ${state.updateReady ? html`<p class="banner">Đã có phiên bản mới. <button type="button" class="btn btn--ghost btn--small" onClick=${() => location.reload()}>Tải lại</button></p>` : null}
    <main class="screen" id="main">${screen}</main>
    ${needsLogin ? null : html`<${Tabs} hash=${hash} />`}
    <${Toast} />`;
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const body = document.body.dataset;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController) setUpdateReady();
  });
  try {
    await navigator.serviceWorker.register(body.sw, { scope: body.scope });
  } catch (e) {
    console.warn("service worker", e);
  }
}

async function main() {
  const root = document.getElementById("app");
  root.textContent = "";
  render(html`<${App} />`, root);
  prepareScanner();
  await init();
  registerWorker();
}

main();
