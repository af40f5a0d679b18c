// The browser's twin of leaks/phones.py normalize() and mask(): the same E.164
// for the same input (tests/test_private_js.py proves it on a large corpus),
// and the same reason codes for most invalid inputs.
import {
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from "../vendor/libphonenumber-max.js";

const MAX_INPUT_LENGTH = 40;
const SPREADSHEET_FLOAT = /^\+?\d+\.0+$/u;
const SCIENTIFIC = /^[+-]?\d+(\.\d+)?[eE][+-]?\d+$/u;
// leaks/phones.py's _EXTENSION: "ext. 12", "x12", "#12", "转 123", "分机 12" after a number.
const EXTENSION = /\d[\s.\-]*(?:ext(?:ension)?\.?|x|#|转|分机)\s*\d*\s*$/iu;
const LENGTH_REASONS = {
  INVALID_COUNTRY: "bad_country_code",
  NOT_A_NUMBER: "not_a_number",
  TOO_SHORT: "too_short",
  TOO_LONG: "too_long",
};

// {e164, country, callingCode, national, kind} or {reason} (leaks.phones.REASONS' codes).
export function normalize(raw, region = "CN") {
  let text = (raw || "").normalize("NFKC").trim();
  if (SPREADSHEET_FLOAT.test(text)) text = text.split(".", 1)[0];
  if (!text) return { reason: "empty" };
  if (text.length > MAX_INPUT_LENGTH) return { reason: "too_long_input" };
  if (SCIENTIFIC.test(text)) return { reason: "scientific_notation" };
  if (!/\p{Nd}/u.test(text)) return { reason: "not_a_number" };
  if (EXTENSION.test(text)) return { reason: "extension" };
  const lengthReason = LENGTH_REASONS[validatePhoneNumberLength(text, region)];
  if (lengthReason) return { reason: lengthReason };
  const number = parsePhoneNumberFromString(text, region);
  if (!number) return { reason: "not_a_number" };
  if (!number.isValid()) {
    const national = number.nationalNumber;
    if (number.countryCallingCode === "86" && national.startsWith("1")) {
      if (national.length < 11) return { reason: "too_short" };
      if (national.length > 11) return { reason: "too_long" };
    }
    return { reason: "invalid" };
  }
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
