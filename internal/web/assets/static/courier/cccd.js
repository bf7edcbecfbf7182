// cccd.js: the chip ID card's (CCCD) QR code, as the app reads it before
// the server checks it: the 12-digit number, the old 9-digit id (may be
// empty), the name, the date of birth, the sex, the address and the date of
// issue, separated by "|" (tracking.ParseCCCDQR is the server's reading).

/** The card's fields, or null when the text is not a CCCD QR code. */
export function parse(text) {
  const parts = String(text || "").trim().split("|");
  if (parts.length !== 7) return null;
  const [number, oldId, name, birth, sex, address, issued] = parts;
  if (!/^\d{12}$/.test(number) || (oldId && !/^\d{9}$/.test(oldId)) || !name.trim() || !/^\d{8}$/.test(birth) || !/^\d{8}$/.test(issued)) return null;
  return { number, name: name.trim(), birth, sex, address, issued, text: parts.join("|") };
}

/** The text of a CCCD QR code as read, or null (for the scanner's pick). */
export function pick(raw) {
  const c = parse(raw);
  return c ? c.text : null;
}

/** The card number masked for the screen: "···234". */
export function masked(number) {
  return "···" + String(number || "").slice(-3);
}
