// s10.js: UPU S10 tracking numbers (EA123456785VN), checked on the device
// before anything is recorded: two capital letters, eight digits, a check
// digit, two capital letters. Check digit: weights 8 6 4 2 3 5 9 7 over the
// eight digits, sum mod 11, 11 − remainder; 10 → 0, 11 → 5.

const weights = [8, 6, 4, 2, 3, 5, 9, 7];

/** The check digit of an eight-digit serial given as a string. */
export function checkDigit(serial) {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += weights[i] * (serial.charCodeAt(i) - 48);
  const c = 11 - (sum % 11);
  if (c === 10) return 0;
  if (c === 11) return 5;
  return c;
}

/** Upper-cases and removes spaces and dashes, as typed or scanned. */
export function normalise(s) {
  return String(s || "").toUpperCase().replace(/[\s-]+/g, "");
}

/** Why s is not a valid S10 number ("" when it is). */
export function problem(s) {
  const n = normalise(s);
  if (!n) return "Nhập số hiệu bưu gửi";
  if (!/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(n)) return "Số hiệu gồm 2 chữ cái, 9 chữ số và 2 chữ cái, ví dụ EA123456785VN";
  if (checkDigit(n.slice(2, 10)) !== n.charCodeAt(10) - 48) return "Sai số kiểm tra: kiểm tra lại từng chữ số";
  return "";
}

/** Reports whether s is a valid S10 number. */
export function valid(s) {
  return problem(s) === "";
}

/**
 * Finds a valid S10 number in a scanned text: the Code 128 holds the
 * number itself, the QR code the tracking URL that ends with it.
 */
export function find(text) {
  const up = String(text || "").toUpperCase();
  for (const m of up.matchAll(/[A-Z]{2}\d{9}[A-Z]{2}/g)) {
    if (valid(m[0])) return m[0];
  }
  return "";
}

/** Seal ids: 3–40 of A–Z, 0–9 and dashes, starting with a letter or digit. */
export function sealProblem(s) {
  const v = String(s || "").trim().toUpperCase();
  if (!v) return "Nhập mã niêm phong in trên túi";
  if (!/^[A-Z0-9][A-Z0-9-]{2,39}$/.test(v)) return "Mã niêm phong gồm 3–40 chữ in hoa, chữ số hoặc dấu gạch";
  return "";
}
