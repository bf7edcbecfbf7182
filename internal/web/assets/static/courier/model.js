// model.js: pure functions over the route: applying the courier's own
// events on top of the server's route (the optimistic view while they wait
// in the outbox), grouping stops, and estimated arrival times.

import { statusLabels } from "./text.js";

const clone = (v) => (typeof structuredClone === "function" ? structuredClone(v) : JSON.parse(JSON.stringify(v)));

/**
 * Returns the route as it will be once events (in the order recorded) are
 * applied. me is the signed-in courier ({staff_code, office_code}).
 */
export function overlay(route, events, me) {
  if (!route) return null;
  const r = clone(route);
  r.stops = r.stops || [];
  const byNumber = new Map(r.stops.map((s) => [s.tracking_number, s]));
  for (const ev of events) {
    const s = byNumber.get(ev.tracking_number);
    if (!s || s.kept) continue;
    const set = (st) => {
      s.status = st;
      s.status_label = statusLabels[st] || st;
    };
    const d = ev.data || {};
    s.local = true;
    switch (ev.type) {
      case "pickup.collected":
        set("collected");
        s.kind = "handoff";
        s.seal_id = d.seal_id;
        for (const c of d.documents || []) {
          const doc = (s.documents || []).find((x) => x.line === c.line);
          if (doc) {
            doc.collected_count = c.count;
            if (c.disposition) doc.disposition = c.disposition;
          }
        }
        break;
      case "pickup.attempt_failed":
        set("pickup_failed");
        s.failed_reason = d.reason;
        break;
      case "handoff.released":
        s.pending_handoff = { from: "courier:" + (me && me.staff_code), to: d.to, to_me: false };
        break;
      case "handoff.confirmed":
        s.pending_handoff = null;
        if (s.leg === "return") {
          set("with_courier");
          s.kind = "delivery";
        } else {
          if (s.status === "at_office") set("to_desk");
          s.kind = "handoff";
        }
        break;
      case "handoff.disputed":
        // Custody stays with the giver: the parcel leaves this route.
        s.pending_handoff = null;
        s.gone = true;
        break;
      case "delivery.out":
        set("out_for_delivery");
        break;
      case "delivery.attempt_failed":
        set("delivery_failed");
        s.attempts = (s.attempts || 0) + 1;
        s.failed_reason = d.cause;
        break;
      case "delivery.completed":
        set("delivered");
        break;
    }
  }
  return r;
}

const finalStatus = { "pickup.collected": "collected", "delivery.completed": "delivered" };

/**
 * Keeps in today's list the stops the courier finished that have left the
 * server's route (a delivered result, a pickup handed over and confirmed):
 * prev are the stops of the route before, events the courier's own sent
 * today. Kept stops are marked kept and count only as done visits.
 */
export function keepDone(prev, next, events) {
  const have = new Set(next.map((s) => s.tracking_number));
  const last = new Map();
  for (const ev of events) if (finalStatus[ev.type]) last.set(ev.tracking_number, finalStatus[ev.type]);
  const kept = [];
  for (const s of prev || []) {
    if (have.has(s.tracking_number) || !last.has(s.tracking_number)) continue;
    const st = last.get(s.tracking_number);
    kept.push(Object.assign({}, s, { kept: true, status: st, status_label: statusLabels[st], pending_handoff: null }));
  }
  return [...next, ...kept];
}

/** Pickup statuses shown as a visit in the list of stops. */
const visitStatuses = new Set(["requested", "scheduled", "pickup_failed", "collected"]);
const deliveryStatuses = new Set(["with_courier", "out_for_delivery", "delivery_failed", "delivered"]);

/** Reports whether the stop is a visit at a citizen's door. */
export function isVisit(s) {
  if (s.gone) return false;
  if (s.pending_handoff && s.pending_handoff.to_me) return false;
  if (s.leg === "return") return deliveryStatuses.has(s.status);
  return visitStatuses.has(s.status);
}

/** todo | failed | done for a visit. */
export function visitState(s) {
  if (s.status === "collected" || s.status === "delivered") return "done";
  if (s.status === "pickup_failed" || s.status === "delivery_failed") return "failed";
  return "todo";
}

/** Parcels the courier holds and may hand over (no release pending). */
export function held(stops) {
  return stops.filter((s) => !s.gone && !s.kept && s.kind === "handoff" && !s.pending_handoff);
}

/** Parcels released by the courier, waiting for the receiver. */
export function waiting(stops) {
  return stops.filter((s) => !s.gone && !s.kept && s.pending_handoff && !s.pending_handoff.to_me);
}

/** Parcels released to the courier, waiting for them to confirm. */
export function toReceive(stops) {
  return stops.filter((s) => !s.gone && !s.kept && s.pending_handoff && s.pending_handoff.to_me);
}

/** Distance in metres between two {lat,lng}. */
export function distance(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(h));
}

const SPEED_M_PER_MIN = 20000 / 60; // a motorbike in town, 20 km/h
const ROAD_FACTOR = 1.35; // roads are longer than the straight line

/**
 * Estimated arrival at each open visit, in route order, from now and the
 * courier's position (or the first stop): travel at 20 km/h on roads 35 %
 * longer than the straight line, never before the window opens, plus a few
 * minutes at each door. Returns Map(number → {eta: Date, late: boolean}).
 */
export function etas(stops, now, position) {
  const out = new Map();
  let t = now.getTime();
  let at = position || null;
  for (const s of stops) {
    if (!isVisit(s) || visitState(s) === "done") continue;
    const here = s.address && (s.address.lat || s.address.lng) ? { lat: s.address.lat, lng: s.address.lng } : null;
    if (at && here) t += (distance(at, here) * ROAD_FACTOR / SPEED_M_PER_MIN) * 60000;
    const w = s.window;
    if (w && t < Date.parse(w.start)) t = Date.parse(w.start);
    out.set(s.tracking_number, { eta: new Date(t), late: !!(w && t > Date.parse(w.end)) });
    const lines = (s.documents || []).length;
    t += (s.leg === "return" ? 5 : 6 + lines) * 60000;
    if (here) at = here;
  }
  return out;
}
