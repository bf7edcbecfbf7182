// text.js: the words the courier app shows (Vietnamese, NFC) and the code
// lists the server accepts (tracking/data.go), with small formatters.

export const docKinds = {
  original: "Bản chính",
  certified_copy: "Bản sao chứng thực",
  copy: "Bản sao",
};

export const conditions = {
  good: "Nguyên vẹn",
  damaged: "Hư hỏng",
  missing: "Không có",
};

// What became of a document line at the door (tracking.Dispositions,
// Circular 03/2025/TT-VPCP): only an original carried goes in the bag.
export const dispositions = [
  ["original", "Bản gốc gửi đi"],
  ["shown", "Xem rồi trả lại"],
  ["scanned", "Quét/chụp và lưu bản điện tử"],
  ["not_needed", "Không cần: đã có trên VNeID/CSDL"],
];

// pickup.attempt_failed reasons.
export const pickupFailReasons = [
  ["not_home", "Công dân không có nhà"],
  ["documents_missing", "Thiếu giấy tờ"],
  ["refused", "Công dân từ chối"],
  ["address_not_found", "Không tìm thấy địa chỉ"],
  ["other", "Lý do khác"],
];

// delivery.attempt_failed causes and actions (VNPost carries both).
export const deliveryCauses = [
  ["not_home", "Người nhận vắng nhà"],
  ["wrong_address", "Sai địa chỉ"],
  ["refused", "Người nhận từ chối"],
  ["id_mismatch", "Không xác minh được người nhận"],
  ["no_fee", "Người nhận chưa thanh toán phí"],
  ["unreachable_phone", "Không liên lạc được"],
  ["other", "Lý do khác"],
];

export const deliveryActions = [
  ["retry_next_day", "Giao lại ngày hôm sau"],
  ["retry_same_day", "Giao lại trong ngày"],
  ["hold_at_office", "Lưu tại bưu cục, chờ người nhận đến lấy"],
  ["call_recipient", "Gọi điện hẹn lại"],
  ["return_to_desk", "Trả về nơi tiếp nhận"],
];

export const disputeProblems = [
  ["seal_broken", "Niêm phong bị rách"],
  ["seal_mismatch", "Mã niêm phong không khớp"],
  ["missing_parcel", "Thiếu bưu gửi"],
  ["document_missing", "Thiếu giấy tờ"],
];

// Status labels (tracking/state.go), for the screen after a local action.
export const statusLabels = {
  requested: "Đã tiếp nhận yêu cầu",
  scheduled: "Đã hẹn lịch thu gom",
  pickup_failed: "Chưa thu gom được, chờ hẹn lại",
  collected: "Bưu tá đã nhận hồ sơ",
  at_office: "Đang ở bưu cục",
  to_desk: "Đang chuyển đến nơi tiếp nhận",
  at_desk: "Bộ phận một cửa đã nhận hồ sơ",
  accepted: "Hồ sơ đã được tiếp nhận giải quyết",
  returned_incomplete: "Hồ sơ chưa đầy đủ, được trả lại",
  cancelled: "Đã hủy yêu cầu",
  ready: "Kết quả đã sẵn sàng",
  with_courier: "Bưu tá đang giữ kết quả",
  out_for_delivery: "Đang giao kết quả",
  delivery_failed: "Giao chưa thành công",
  held: "Kết quả đang lưu tại bưu cục",
  delivered: "Đã giao kết quả",
  returned_to_desk: "Kết quả đã trả về nơi tiếp nhận",
};

export const eventLabels = {
  "pickup.collected": "Đã nhận hồ sơ",
  "pickup.attempt_failed": "Thu gom không thành công",
  "handoff.released": "Bàn giao",
  "handoff.confirmed": "Xác nhận nhận bàn giao",
  "handoff.disputed": "Báo vấn đề khi nhận",
  "delivery.out": "Bắt đầu đi giao",
  "delivery.attempt_failed": "Giao không thành công",
  "delivery.completed": "Đã giao kết quả",
};

export const kindLabels = {
  pickup: "Thu gom",
  delivery: "Giao kết quả",
  handoff: "Đang giữ",
  receive: "Nhận bàn giao",
};

const hm = new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh" });
const dmy = new Intl.DateTimeFormat("vi-VN", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "Asia/Ho_Chi_Minh" });
const weekday = new Intl.DateTimeFormat("vi-VN", { weekday: "long", timeZone: "Asia/Ho_Chi_Minh" });

/** "08:05" in Vietnam time. */
export function time(t) {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? "" : hm.format(d);
}

/** "Thứ Ba, 24/11/2026". */
export function longDate(t) {
  const d = t instanceof Date ? t : new Date(t);
  const w = weekday.format(d);
  return w.charAt(0).toUpperCase() + w.slice(1) + ", " + dmy.format(d);
}

/** "08:00–10:00". */
export function windowText(w) {
  if (!w) return "";
  return time(w.start) + "–" + time(w.end);
}

/** 35000 → "35.000 ₫". */
export function money(n) {
  return new Intl.NumberFormat("vi-VN").format(n || 0) + " ₫";
}

/** "lúc 08:05" or "3 phút trước" style relative time for the sync view. */
export function ago(ms) {
  if (!ms) return "chưa lần nào";
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 45) return "vừa xong";
  if (s < 3600) return Math.round(s / 60) + " phút trước";
  return "lúc " + time(new Date(ms));
}

/** Counts of documents: "4 giấy tờ". */
export function docCount(docs) {
  const n = (docs || []).reduce((a, d) => a + (d.count || 0), 0);
  return n + " giấy tờ";
}

/** The party a release goes to, in words. */
export function partyText(p, deskName) {
  const [kind, ref] = String(p || "").split(":");
  if (kind === "post_office") return "Bưu cục " + ref;
  if (kind === "desk") return deskName ? deskName : "Bộ phận một cửa " + ref;
  if (kind === "courier") return "Bưu tá " + ref;
  return p;
}
