/*
 * sync.js: the courier app's local database and outbox, shared by the page
 * and the service worker. It is a classic script (the worker loads it with
 * importScripts, the page with <script defer>) and needs idb
 * (vendor/idb/umd.js) loaded before it. It defines globalThis.HosoSync.
 *
 * Every action of the courier becomes an outbox item, stored before the
 * screen moves on: the signed event, preceded by the images (signature,
 * photo, document scan) it names. flush() sends the items of the signed-in
 * courier in the order they were recorded: images one by one to
 * /api/v1/courier/evidence (document scans, upload "scan", to
 * /api/v1/courier/scans), events in batches of up to 500 to
 * /api/v1/courier/events; an image not yet sent stops the run before the
 * event that names it. The server
 * answers per event: accepted and duplicate leave the outbox for the
 * journal ("sent"), rejected ones move to "rejected" with the server's
 * reason (they are kept on the server too). A network failure, a 5xx or a
 * 429 stops the run and sets the next try with exponential backoff and
 * jitter; a 401 asks the courier to sign in again. Only one flush runs at a
 * time across the page and the worker (Web Locks).
 */
(function (root) {
  "use strict";

  const DB_NAME = "hoso-buu-ta";
  const DB_VERSION = 1;
  const CHANNEL = "hoso-buu-ta";
  const MAX_BATCH = 500;
  const TIMEOUT_MS = 20000;
  const BACKOFF_BASE_MS = 2000;
  const BACKOFF_MAX_MS = 5 * 60 * 1000;
  const SENT_KEEP = 1000;

  let dbPromise = null;

  /** Opens (and on first use creates) the app's IndexedDB database. */
  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, DB_VERSION, {
        upgrade(d) {
          d.createObjectStore("kv"); // session, device (with the private CryptoKey), sync state, active stop, releases
          d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          d.createObjectStore("rejected", { keyPath: "id" });
          d.createObjectStore("sent", { keyPath: "id" });
          d.createObjectStore("routes", { keyPath: "date" });
          d.createObjectStore("drafts", { keyPath: "number" });
        },
        blocking() {
          // A newer version of the app wants to upgrade the database.
          const p = dbPromise;
          dbPromise = null;
          if (p) p.then((d) => d.close());
        },
        terminated() {
          dbPromise = null;
        },
      });
    }
    return dbPromise;
  }

  // ---- change notifications (this context and the others) ----
  const listeners = new Set();
  let channel = null;
  try {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (e) => listeners.forEach((f) => f(e.data || {}));
  } catch (e) {
    channel = null;
  }

  /** Calls fn on every change made here or in another tab or the worker. */
  function onChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  /** Tells every context that the stored data changed. */
  function notify(msg) {
    const m = Object.assign({ type: "changed" }, msg || {});
    listeners.forEach((f) => f(m));
    if (channel) channel.postMessage(m);
  }

  // ---- key-value ----
  async function kvGet(key) {
    return (await db()).get("kv", key);
  }
  async function kvPut(key, value) {
    return (await db()).put("kv", value, key);
  }
  async function kvDelete(key) {
    return (await db()).delete("kv", key);
  }

  /**
   * Stores items in the outbox in one transaction, in the order given
   * (images before the event that names them). Returns their seq numbers.
   */
  async function enqueue(items) {
    const d = await db();
    const tx = d.transaction("outbox", "readwrite");
    const seqs = [];
    for (const it of items) seqs.push(await tx.store.add(Object.assign({ created: Date.now(), tries: 0 }, it)));
    await tx.done;
    return seqs;
  }

  async function listOutbox() {
    return (await db()).getAll("outbox");
  }
  async function listRejected() {
    return (await db()).getAll("rejected");
  }
  async function listSent() {
    return (await db()).getAll("sent");
  }

  /** Counts outbox items: events and images, of one courier or all. */
  async function counts(username) {
    const all = await listOutbox();
    const out = { events: 0, evidence: 0, others: 0 };
    for (const it of all) {
      if (username && it.username !== username) {
        out.others++;
        continue;
      }
      if (it.kind === "evidence") out.evidence++;
      else out.events++;
    }
    return out;
  }

  /** Hides a rejected item on this device (the server keeps it). */
  async function dismissRejected(id) {
    await (await db()).delete("rejected", id);
    notify();
  }

  // ---- backoff ----
  function backoffDelay(failures) {
    const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, Math.max(0, failures - 1)));
    return Math.round(exp * (0.5 + Math.random() / 2));
  }

  /** Clears the wait so the next flush tries at once (the network is back). */
  async function resetBackoff() {
    const st = (await kvGet("sync")) || {};
    st.nextAt = 0;
    await kvPut("sync", st);
  }

  // ---- HTTP ----
  async function request(session, method, path, body) {
    const ctl = typeof AbortController === "function" ? new AbortController() : null;
    const timer = ctl ? setTimeout(() => ctl.abort(), TIMEOUT_MS) : null;
    try {
      return await fetch(path, {
        method,
        headers: { Authorization: "Bearer " + session.token, "Content-Type": "application/json" },
        body,
        cache: "no-store",
        credentials: "omit",
        signal: ctl ? ctl.signal : undefined,
      });
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async function errorOf(res) {
    try {
      const j = await res.json();
      if (j && j.error) return j.error;
    } catch (e) {
      /* not JSON */
    }
    return { code: "http_" + res.status, message: "Máy chủ trả lời " + res.status };
  }

  const retryCodes = new Set(["unavailable", "internal", "rate_limited"]);

  /** The event as kept after it was answered: without its secret. */
  function kept(ev) {
    const out = Object.assign({}, ev);
    delete out.secret;
    return out;
  }

  /** Sends one batch of events; returns false when the run must stop. */
  async function postEvents(session, batch, out) {
    const body = JSON.stringify({ events: batch.map((it) => it.event) });
    let res;
    try {
      res = await request(session, "POST", "/api/v1/courier/events", body);
    } catch (e) {
      out.status = "offline";
      out.error = "Không kết nối được máy chủ";
      return false;
    }
    if (res.status === 401) {
      out.status = "nologin";
      out.error = (await errorOf(res)).message;
      return false;
    }
    if (!res.ok) {
      out.status = "error";
      out.error = (await errorOf(res)).message;
      return false;
    }
    const json = await res.json();
    const byId = new Map((json.results || []).map((r) => [String(r.id).toLowerCase(), r]));
    const d = await db();
    const tx = d.transaction(["outbox", "sent", "rejected"], "readwrite");
    const now = Date.now();
    let keepGoing = true;
    for (const it of batch) {
      const r = byId.get(String(it.event.id).toLowerCase());
      if (!r) {
        keepGoing = false;
        continue;
      }
      if (r.status === "accepted" || r.status === "duplicate") {
        tx.objectStore("outbox").delete(it.seq);
        tx.objectStore("sent").put({ id: it.event.id, seq: it.seq, username: it.username, event: kept(it.event), status: r.status, recordedAs: r.recorded_as || "", sentAt: now });
        out[r.status]++;
      } else if (r.error && retryCodes.has(r.error.code)) {
        // The server could not keep it: try again later.
        it.tries = (it.tries || 0) + 1;
        it.lastError = r.error.message;
        tx.objectStore("outbox").put(it);
        keepGoing = false;
      } else {
        tx.objectStore("outbox").delete(it.seq);
        tx.objectStore("rejected").put({
          id: it.event.id, kind: "event", username: it.username, event: kept(it.event),
          error: r.error || { code: "rejected", message: "Bị từ chối" }, at: now,
        });
        out.rejected++;
      }
    }
    await tx.done;
    if (!keepGoing) {
      out.status = "error";
      out.error = out.error || "Máy chủ chưa lưu được một số sự kiện, sẽ gửi lại";
    }
    return keepGoing;
  }

  /** Uploads one image; returns false when the run must stop. */
  async function postEvidence(session, it, out) {
    let res;
    try {
      res = await request(session, "POST", it.upload === "scan" ? "/api/v1/courier/scans" : "/api/v1/courier/evidence", JSON.stringify(it.evidence));
    } catch (e) {
      out.status = "offline";
      out.error = "Không kết nối được máy chủ";
      return false;
    }
    const d = await db();
    if (res.ok) {
      // Read the short answer to its end: the connection is free again, and
      // a page closed later leaves no upload looking cut off.
      await res.text().catch(() => "");
      await d.delete("outbox", it.seq);
      out.evidence++;
      return true;
    }
    if (res.status === 401) {
      out.status = "nologin";
      out.error = (await errorOf(res)).message;
      return false;
    }
    if (res.status === 429 || res.status >= 500) {
      out.status = "error";
      out.error = (await errorOf(res)).message;
      return false;
    }
    // The server refuses this image for good: keep it in view, go on.
    const err = await errorOf(res);
    const tx = d.transaction(["outbox", "rejected"], "readwrite");
    tx.objectStore("outbox").delete(it.seq);
    tx.objectStore("rejected").put({
      id: "anh-" + it.seq + "-" + (it.sha256 || "").slice(0, 12), kind: "evidence", username: it.username,
      number: it.evidence.tracking_number, evidenceKind: it.upload === "scan" ? "scan" : it.evidence.kind, line: it.evidence.line, error: err, at: Date.now(),
    });
    await tx.done;
    out.rejected++;
    return true;
  }

  async function pruneSent() {
    const d = await db();
    const n = await d.count("sent");
    if (n <= SENT_KEEP) return;
    const all = await d.getAll("sent");
    all.sort((a, b) => a.sentAt - b.sentAt);
    const tx = d.transaction("sent", "readwrite");
    for (const s of all.slice(0, n - SENT_KEEP)) tx.store.delete(s.id);
    await tx.done;
  }

  /**
   * Sends the outbox of the signed-in courier. Options: force (ignore the
   * backoff wait). Resolves to {status, accepted, duplicate, rejected,
   * evidence, error}; status is ok, offline, error, nologin, waiting, busy
   * or idle (nothing to send).
   */
  async function flush(opts) {
    const o = opts || {};
    const locks = root.navigator && root.navigator.locks;
    if (locks && locks.request) {
      return locks.request("hoso-outbox", { ifAvailable: true }, (lock) => (lock ? flushLocked(o) : { status: "busy" }));
    }
    return flushLocked(o);
  }

  async function flushLocked(o) {
    const session = await kvGet("session");
    if (!session || !session.token || session.needsLogin) return { status: "nologin" };
    const st = (await kvGet("sync")) || { failures: 0, nextAt: 0 };
    if (!o.force && st.nextAt && Date.now() < st.nextAt) return { status: "waiting", nextAt: st.nextAt };
    const mine = (await listOutbox()).filter((it) => it.username === session.username);
    const out = { status: "ok", accepted: 0, duplicate: 0, rejected: 0, evidence: 0, error: "" };
    if (!mine.length) {
      out.status = "idle";
      return out;
    }
    st.lastAttemptAt = Date.now();
    let batch = [];
    let going = true;
    for (const it of mine) {
      if (it.kind === "evidence") {
        if (batch.length) {
          going = await postEvents(session, batch, out);
          batch = [];
          if (!going) break;
        }
        going = await postEvidence(session, it, out);
        if (!going) break;
      } else {
        batch.push(it);
        if (batch.length >= MAX_BATCH) {
          going = await postEvents(session, batch, out);
          batch = [];
          if (!going) break;
        }
      }
    }
    if (going && batch.length) await postEvents(session, batch, out);

    if (out.status === "ok") {
      st.failures = 0;
      st.nextAt = 0;
      st.lastOkAt = Date.now();
      st.lastError = "";
    } else {
      st.failures = (st.failures || 0) + 1;
      st.nextAt = Date.now() + backoffDelay(st.failures);
      st.lastError = out.error;
    }
    if (out.status === "nologin") {
      session.needsLogin = true;
      await kvPut("session", session);
    }
    await kvPut("sync", st);
    await pruneSent();
    notify({ type: "synced", result: out });
    return out;
  }

  root.HosoSync = Object.freeze({
    DB_NAME, CHANNEL, MAX_BATCH,
    db, kvGet, kvPut, kvDelete, enqueue, listOutbox, listRejected, listSent, counts,
    dismissRejected, flush, resetBackoff, backoffDelay, onChange, notify,
  });
})(typeof self !== "undefined" ? self : globalThis);
