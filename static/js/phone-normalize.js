// The browser's twin of leaks/phones.py normalize() and mask(): the same E.164
// for the same input (tests/test_private_js.py proves it on a large corpus).
import { parsePhoneNumberFromString } from "../vendor/libphonenumber-max.js";

const MAX_INPUT_LENGTH = 40;
const SPREADSHEET_FLOAT = /^\+?\d+\.0+$/u;
const SCIENTIFIC = /^[+-]?\d+(\.\d+)?[eE][+-]?\d+$/u;

export function normalize(raw, region = "CN") {
  let text = (raw || "").normalize("NFKC").trim();
  if (SPREADSHEET_FLOAT.test(text)) text = text.split(".", 1)[0];
  if (!text || text.length > MAX_INPUT_LENGTH || SCIENTIFIC.test(text) || !/\p{Nd}/u.test(text)) {
    return null;
  }
  const number = parsePhoneNumberFromString(text, region);
  if (!number || !number.isValid()) return null;
  return {
    e164: number.number,
    country: number.country || "ZZ",
    callingCode: number.countryCallingCode,
    national: number.nationalNumber,
    kind: number.getType() === "MOBILE" ? "mobile" : "other",
  };
}

export function mask(phone) {
  const digits = phone.national;
  const [head, tail] = digits.length >= 10 ? [3, 4] : [2, 2];
  const middle = "*".repeat(Math.max(digits.length - head - tail, 1));
  const shown = digits.slice(0, head) + middle + digits.slice(-tail);
  if (phone.country === "CN") return phone.kind === "mobile" ? shown : "0" + shown;
  return `+${phone.callingCode} ${shown}`;
}
