// login.js: the courier signs in with their staff account; the device key
// is made (once) and registered.

import { html, useState } from "../vendor/htm/standalone.module.js";
import { login, state } from "./store.js";
import { TextField, Title } from "./widgets.js";

export function Login({ expired }) {
  const s = state.session;
  const [username, setUsername] = useState(expired && s ? s.username : "");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState("");

  const submit = async (e) => {
    e.preventDefault();
    const f = {};
    if (!username.trim()) f.username = "Nhập tên đăng nhập";
    if (!password) f.password = "Nhập mật khẩu";
    setErrors(f);
    setMessage("");
    if (Object.keys(f).length) return;
    if (!navigator.onLine) {
      setMessage("Cần có mạng để đăng nhập lần đầu. Các việc đã ghi vẫn được giữ trên máy.");
      return;
    }
    setBusy(true);
    try {
      await login(username, password);
      location.hash = "#/";
    } catch (x) {
      setMessage(x.status === 401 || x.status === 403 ? "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản không phải bưu tá." : x.message);
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="stack" onSubmit=${submit} novalidate>
    <${Title} sub=${expired ? "Phiên làm việc đã hết hạn. Đăng nhập lại để gửi các việc đã ghi." : "Tài khoản bưu tá do bưu cục cấp."}>Đăng nhập</${Title}>
    ${state.othersPending ? html`<p class="notice notice--warn">Máy này còn ${state.othersPending} việc chưa gửi của một bưu tá khác. Chúng chỉ được gửi khi bưu tá đó đăng nhập lại.</p>` : null}
    ${message ? html`<p class="notice notice--error" role="alert">${message}</p>` : null}
    <${TextField} label="Tên đăng nhập" value=${username} onInput=${setUsername} error=${errors.username} autocomplete="username" id="ten-dang-nhap" name="username" />
    <${TextField} label="Mật khẩu" type="password" value=${password} onInput=${setPassword} error=${errors.password} autocomplete="current-password" id="mat-khau" name="password" />
    <button class="btn btn--primary btn--block" type="submit" disabled=${busy}>${busy ? "Đang đăng nhập…" : "Đăng nhập"}</button>
    <p class="muted small">Ứng dụng lưu việc đã ghi trên máy và tự gửi khi có mạng. Mỗi việc được ký bằng khóa riêng của máy.</p>
  </form>`;
}
