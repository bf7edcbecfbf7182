// widgets.js: the app's building blocks: choice lists, a number stepper,
// the signature pad, the photo taker and the label scanner.

import { html, useEffect, useRef, useState } from "../vendor/htm/standalone.module.js";
import { find as findS10 } from "./s10.js";

let uid = 0;
/** A stable id for label/input pairs. */
export function useId(prefix) {
  const r = useRef(null);
  if (r.current === null) r.current = `${prefix}-${++uid}`;
  return r.current;
}

/** A field error line, tied to its input by id. */
export function FieldError({ id, text }) {
  if (!text) return null;
  return html`<p class="field__error" id=${id}>${text}</p>`;
}

/**
 * A list of radio choices, each a full-width row (≥ 48 px).
 * options: [[value, label, hint?]].
 */
export function Choices({ legend, name, options, value, onChange, error, hint }) {
  const errId = useId("loi");
  return html`<fieldset class=${"choices" + (error ? " choices--error" : "")} aria-describedby=${error ? errId : undefined}>
    <legend class="choices__legend">${legend}</legend>
    ${hint ? html`<p class="field__hint">${hint}</p>` : null}
    <${FieldError} id=${errId} text=${error} />
    ${options.map(([v, label, sub]) => html`<label class=${"choice" + (value === v ? " choice--on" : "")} key=${v}>
      <input type="radio" name=${name} value=${v} checked=${value === v} onChange=${() => onChange(v)} />
      <span class="choice__text">${label}${sub ? html`<span class="choice__sub">${sub}</span>` : null}</span>
    </label>`)}
  </fieldset>`;
}

/** A checkbox row (≥ 48 px). */
export function Check({ checked, onChange, children, name }) {
  return html`<label class=${"choice choice--check" + (checked ? " choice--on" : "")}>
    <input type="checkbox" name=${name} checked=${checked} onChange=${(e) => onChange(e.currentTarget.checked)} />
    <span class="choice__text">${children}</span>
  </label>`;
}

/** A text input with its label, hint and error. */
export function TextField({ label, value, onInput, error, hint, type = "text", inputmode, autocomplete, maxlength, name, upper, big, id: given, required }) {
  const auto = useId("o");
  const id = given || auto;
  const errId = id + "-loi";
  const hintId = id + "-goi-y";
  const described = [hint ? hintId : "", error ? errId : ""].filter(Boolean).join(" ") || undefined;
  return html`<div class=${"field" + (error ? " field--error" : "")}>
    <label class="field__label" for=${id}>${label}${required ? html` <span class="field__req">(bắt buộc)</span>` : null}</label>
    ${hint ? html`<p class="field__hint" id=${hintId}>${hint}</p>` : null}
    <${FieldError} id=${errId} text=${error} />
    <input id=${id} name=${name || id} class=${"input" + (big ? " input--big" : "") + (upper ? " input--upper" : "")} type=${type}
      value=${value} inputmode=${inputmode} autocomplete=${autocomplete || "off"} maxlength=${maxlength}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described}
      onInput=${(e) => onInput(upper ? e.currentTarget.value.toUpperCase() : e.currentTarget.value)} />
  </div>`;
}

/** A multi-line text input. */
export function TextArea({ label, value, onInput, error, hint, required, id: given }) {
  const auto = useId("vb");
  const id = given || auto;
  const errId = id + "-loi";
  return html`<div class=${"field" + (error ? " field--error" : "")}>
    <label class="field__label" for=${id}>${label}${required ? html` <span class="field__req">(bắt buộc)</span>` : null}</label>
    ${hint ? html`<p class="field__hint">${hint}</p>` : null}
    <${FieldError} id=${errId} text=${error} />
    <textarea id=${id} class="input input--area" rows="3" maxlength="500" value=${value}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${error ? errId : undefined}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>
  </div>`;
}

/** − n + with large buttons; the number can be typed too. */
export function Stepper({ label, value, onChange, min = 0, max = 99 }) {
  const id = useId("sl");
  const set = (v) => onChange(Math.max(min, Math.min(max, Number.isFinite(v) ? v : min)));
  return html`<div class="stepper">
    <label class="stepper__label" for=${id}>${label}</label>
    <div class="stepper__row">
      <button type="button" class="btn btn--square" aria-label=${"Bớt một — " + label} onClick=${() => set(value - 1)} disabled=${value <= min}>−</button>
      <input id=${id} class="input stepper__input" type="number" inputmode="numeric" min=${min} max=${max} value=${value}
        onInput=${(e) => set(parseInt(e.currentTarget.value, 10))} />
      <button type="button" class="btn btn--square" aria-label=${"Thêm một — " + label} onClick=${() => set(value + 1)} disabled=${value >= max}>+</button>
    </div>
  </div>`;
}

/** Turns a data: URL into bytes. */
export function dataURLBytes(url) {
  const b64 = url.slice(url.indexOf(",") + 1);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * The citizen signs on the screen (signature_pad). padRef.current gets the
 * pad; onChange(signed) after each stroke or clear. The image has a white
 * background, exported as PNG; no stroke timing is kept.
 */
export function SignatureField({ padRef, onChange, label }) {
  const canvas = useRef(null);
  useEffect(() => {
    const c = canvas.current;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    c.width = Math.round(c.offsetWidth * ratio);
    c.height = Math.round(c.offsetHeight * ratio);
    c.getContext("2d").scale(ratio, ratio);
    const pad = new globalThis.SignaturePad(c, { backgroundColor: "rgb(255,255,255)", penColor: "rgb(0,0,0)", minWidth: 1.2, maxWidth: 3.2 });
    pad.addEventListener("endStroke", () => onChange(!pad.isEmpty()));
    padRef.current = pad;
    // The pad listens from here on (an effect runs after the first paint):
    // tests wait for this before drawing.
    c.dataset.ready = "1";
    return () => {
      pad.off();
      delete c.dataset.ready;
      padRef.current = null;
    };
  }, []);
  const clear = () => {
    if (padRef.current) padRef.current.clear();
    onChange(false);
  };
  return html`<div class="sig">
    <p class="field__label" id="nhan-ky">${label || "Công dân ký vào khung dưới đây"}</p>
    <canvas ref=${canvas} class="sig__canvas" role="img" aria-labelledby="nhan-ky"></canvas>
    <p class="sig__line" aria-hidden="true">Ký tên</p>
    <button type="button" class="btn btn--ghost" onClick=${clear}>Xóa, ký lại</button>
  </div>`;
}

/** Shrinks a photo to at most max px on its longer side and returns JPEG bytes. */
async function shrink(file, max = 1280) {
  const bmp = await createImageBitmap(file);
  const scale = Math.min(1, max / Math.max(bmp.width, bmp.height));
  const c = document.createElement("canvas");
  c.width = Math.round(bmp.width * scale);
  c.height = Math.round(bmp.height * scale);
  c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
  const blob = await new Promise((res) => c.toBlob(res, "image/jpeg", 0.8));
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * Takes a photo with the phone's camera (a file input with capture: it
 * works offline); onPhoto(jpegBytes | null). Options: label (the button),
 * max (longer side in px), initial (bytes taken before, e.g. from a
 * draft), alt (the preview's text), error (shown under the button), id.
 */
export function PhotoField({ onPhoto, label, max = 1280, initial = null, alt = "Ảnh vừa chụp", error = "", id: given, hint }) {
  const auto = useId("anh");
  const id = given || auto;
  const [preview, setPreview] = useState(() => (initial ? URL.createObjectURL(new Blob([initial], { type: "image/jpeg" })) : ""));
  const [err, setErr] = useState("");
  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);
  const pick = async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    if (!f) return;
    try {
      const bytes = await shrink(f, max);
      setPreview(URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" })));
      setErr("");
      onPhoto(bytes);
    } catch (x) {
      setErr("Không đọc được ảnh, hãy chụp lại");
      onPhoto(null);
    }
  };
  const shown = err || error;
  return html`<div class=${"field photo" + (shown ? " field--error" : "")}>
    ${hint ? html`<p class="field__hint" id=${id + "-goi-y"}>${hint}</p>` : null}
    <label class="btn btn--secondary btn--block photo__btn" for=${id}>${preview ? "Chụp lại ảnh" : label || "Chụp ảnh người nhận"}</label>
    <input id=${id} class="visually-hidden" type="file" accept="image/*" capture="environment" onChange=${pick}
      aria-describedby=${[hint ? id + "-goi-y" : "", shown ? id + "-loi" : ""].filter(Boolean).join(" ") || undefined} />
    <${FieldError} id=${id + "-loi"} text=${shown} />
    ${preview ? html`<img class="photo__preview" src=${preview} alt=${alt} />` : null}
  </div>`;
}

let zxingReady = false;

/** Points the barcode reader at our own copy of its WebAssembly. */
export function prepareScanner() {
  if (zxingReady) return;
  zxingReady = true;
  const api = globalThis.BarcodeDetectionAPI;
  const wasm = document.body.dataset.wasm;
  if (api && api.prepareZXingModule && wasm) {
    api.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
    });
  }
}

async function formats(want = ["code_128", "qr_code"]) {
  try {
    const have = await globalThis.BarcodeDetector.getSupportedFormats();
    const both = want.filter((f) => have.includes(f));
    return both.length ? both : want;
  } catch (e) {
    return want;
  }
}

/**
 * Reads a code with the camera. By default a label: the Code 128 (the
 * number) or the QR code (the tracking URL); onCode(number) with the first
 * valid S10 number seen. With pick (rawValue → value or null) and kinds
 * (BarcodeDetector formats), anything else, e.g. a CCCD card's QR code.
 */
export function Scanner({ onCode, onClose, title, pick = findS10, kinds, aim = "Đưa mã vạch trên nhãn vào khung hình", fallback = "Hãy nhập số hiệu bằng tay." }) {
  const video = useRef(null);
  const [msg, setMsg] = useState("Đang mở máy ảnh…");
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let stopped = false;
    let stream = null;
    let timer = null;
    (async () => {
      try {
        prepareScanner();
        if (!globalThis.BarcodeDetector) throw new Error("no BarcodeDetector");
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
        });
        if (stopped) return;
        const v = video.current;
        v.srcObject = stream;
        await v.play();
        const det = new globalThis.BarcodeDetector({ formats: await formats(kinds) });
        setMsg(aim);
        const loop = async () => {
          if (stopped) return;
          try {
            if (v.readyState >= 2) {
              for (const b of await det.detect(v)) {
                const n = pick(b.rawValue);
                if (n && !stopped) {
                  stopped = true;
                  if (navigator.vibrate) navigator.vibrate(80);
                  onCode(n);
                  return;
                }
              }
            }
          } catch (e) {
            /* a frame that could not be read */
          }
          timer = setTimeout(loop, 150);
        };
        loop();
      } catch (e) {
        setFailed(true);
        setMsg("Không mở được máy ảnh. " + fallback);
      }
    })();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (stream) stream.getTracks().forEach((t) => t.stop());
    };
  }, []);
  return html`<section class="scanner" aria-label=${title || "Quét mã vạch"}>
    <div class="scanner__frame">
      <video ref=${video} class="scanner__video" playsInline muted autoplay aria-hidden="true"></video>
      ${failed ? null : html`<span class="scanner__aim" aria-hidden="true"></span>`}
    </div>
    <p class=${"scanner__msg" + (failed ? " scanner__msg--error" : "")} role="status">${msg}</p>
    <button type="button" class="btn btn--secondary btn--block" onClick=${onClose}>Đóng máy ảnh</button>
  </section>`;
}

/** A visible heading that takes focus when the screen changes. */
export function Title({ children, sub }) {
  const r = useRef(null);
  useEffect(() => {
    if (r.current && document.activeElement === document.body) r.current.focus({ preventScroll: true });
  }, []);
  return html`<div class="title">
    <h1 ref=${r} tabindex="-1" class="title__h">${children}</h1>
    ${sub ? html`<p class="title__sub">${sub}</p>` : null}
  </div>`;
}
