// The private check (RFC 9497 OPRF): the number is normalised and blinded here;
// only its bucket and a blinded element reach the server, which answers with the
// evaluated element and the bucket's entries (binary: leaks/private_encoding.py).
// Matching happens here.
import { ristretto255_oprf, sha256 } from "../vendor/noble-oprf.js";
import { mask, normalize } from "./phone-normalize.js";

const oprf = ristretto255_oprf.oprf;

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// The leading `bits` of SHA-256 of the E.164 form (the server says how many).
export function bucketOf(input, bits = 16) {
  const digest = sha256(input);
  const top = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  return Math.floor(top / 2 ** (32 - bits));
}

// The stored key's part of an OPRF output: its leading 64 - bits bits (a Number:
// at most 48 bits, exact in a double).
export function prefixOf(output, bits) {
  let value = 0n;
  for (const byte of output.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  return Number(value >> BigInt(bits));
}

// Reads the answer's bytes (layout in leaks/private_encoding.py).
export function decodeAnswer(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = () => {
    throw new Error("malformed answer");
  };
  if (bytes.length < 47 || String.fromCharCode(...bytes.subarray(0, 4)) !== "BCPA" || bytes[4] !== 1) fail();
  const bucketBits = bytes[5];
  const version = view.getUint32(6);
  const evaluated = bytes.slice(10, 42);
  let offset = 42;
  const tableLength = view.getUint32(offset);
  const idBytes = bytes[offset + 4];
  if ((idBytes !== 2 && idBytes !== 4) || offset + 5 + idBytes * tableLength + 6 > bytes.length) fail();
  const table = [];
  for (let i = 0; i < tableLength; i++) {
    const at = offset + 5 + idBytes * i;
    table.push(idBytes === 2 ? view.getUint16(at) : view.getUint32(at));
  }
  offset += 5 + idBytes * tableLength;
  const count = view.getUint32(offset);
  const k = bytes[offset + 4];
  const j = bytes[offset + 5];
  offset += 6;
  let position = offset * 8;
  const end = bytes.length * 8;
  const bit = () => {
    if (position >= end) fail();
    const value = (bytes[position >> 3] >> (7 - (position & 7))) & 1;
    position += 1;
    return value;
  };
  const number = (n) => {
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + bit();
    return value;
  };
  const unary = () => {
    let ones = 0;
    while (bit()) ones += 1;
    return ones;
  };
  // Four runs: quotients, remainders, list lengths, breach indexes (Rice-coded with j).
  const quotients = Array.from({ length: count }, unary);
  let prefix = 0;
  const prefixes = quotients.map((q) => (prefix += q * 2 ** k + number(k)));
  const lengths = Array.from({ length: count }, () => unary() + 1);
  const entries = prefixes.map((p, i) => {
    const ids = [];
    for (let n = 0; n < lengths[i]; n++) {
      const index = unary() * 2 ** j + number(j);
      if (index >= table.length) fail();
      ids.push(table[index]);
    }
    return [p, ids];
  });
  return { bucketBits, version, evaluated, entries };
}

// The breach ids of the entries whose prefix is this number's.
export function matchesOf(answer, prefix) {
  return [...new Set(answer.entries.filter(([entry]) => entry === prefix).flatMap(([, ids]) => ids))];
}

// The breach ids whose stored prefix equals this number's OPRF output prefix.
// `altcha`: a solved proof-of-work, when the site asked for one (the disclosure gate).
export async function privateCheck(e164, evaluateUrl, altcha = "", bits = 16) {
  const input = new TextEncoder().encode(e164);
  const { blind, blinded } = oprf.blind(input);
  const question = { bucket: bucketOf(input, bits), blinded: toHex(blinded) };
  if (altcha) question.altcha = altcha;
  const response = await fetch(evaluateUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(question),
    // No cookies: nothing ties the question to a session.
    credentials: "omit",
  });
  if (!response.ok) {
    const refusal = await response.json().catch(() => ({}));
    throw new Error(refusal.error || String(response.status));
  }
  // An answer that cannot be read, or of another bucket width (the page is older than
  // the site's setting), shows the page's own "failed" message (an empty error).
  let answer;
  try {
    answer = decodeAnswer(await response.arrayBuffer());
  } catch {
    throw new Error("");
  }
  if (answer.bucketBits !== bits) throw new Error("");
  return matchesOf(answer, prefixOf(oprf.finalize(input, blind, answer.evaluated), bits));
}

function showError(form, message) {
  let error = form.querySelector("p.error");
  if (!error) {
    error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    form.querySelector(".row").after(error);
  }
  error.textContent = message;
}

// The last private result of this tab (sessionStorage: never sent, gone with the
// tab), so reload, Back and the language switch show it again without asking the
// server anything.
const STORE = "bc-private-result";
const remember = (state) => sessionStorage.setItem(STORE, JSON.stringify(state));
function recall() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE));
  } catch {
    return null;
  }
}

async function show(root, state, push) {
  // The frame is the same for everyone and cached; the forms in it get this page's CSRF token.
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  const response = await fetch(root.dataset.frameUrl);
  if (!response.ok) throw new Error();
  render(root, await response.text(), state);
  if (token) {
    document.querySelectorAll("main form[method=post]").forEach((form) => {
      if (!form.querySelector("input[name=csrfmiddlewaretoken]")) form.prepend(token.cloneNode());
    });
  }
  if (push) history.pushState({ result: true }, "", "#result");
  const next = document.querySelector("form.lang input[name=next]");
  if (next) next.value = "/#result";
}

function render(root, html, { ids, masked, e164 }) {
  const main = document.querySelector("main");
  main.innerHTML = html;
  const section = main.querySelector("[data-private-result]");
  section.querySelector("[data-masked]").textContent = masked;
  for (const id of ids) {
    const item = section.querySelector(`li[data-breach="${Number(id)}"]`);
    if (item) item.hidden = false;
  }
  section.querySelectorAll("li[data-breach][hidden]").forEach((item) => item.remove());
  const count = section.querySelectorAll("li[data-breach]").length;
  const title = section.querySelector("[data-count-title]");
  title.textContent =
    count === 1
      ? title.dataset.countOne
      : title.dataset.countTitle.replace(title.dataset.placeholder, String(count));
  section.classList.toggle("hit", count > 0);
  section.classList.toggle("miss", count === 0);
  // The page keeps only the branch that applies, as the server's page does.
  const kept = count > 0 ? "hit" : "miss";
  main.querySelectorAll(`[data-when="${kept}"]`).forEach((e) => (e.hidden = false));
  main.querySelectorAll(`[data-when]:not([data-when="${kept}"])`).forEach((e) => e.remove());
  bind(root, main.querySelector("form.check:not(.prove):not(.alerts)"));
  // "Verify by SMS" needs the number the person already typed: it is sent only
  // now, in the body of that form, because a text cannot go out otherwise.
  const prove = main.querySelector("form.prove");
  prove.addEventListener("submit", () => {
    const field = document.createElement("input");
    Object.assign(field, { type: "hidden", name: "phone", value: e164 });
    prove.append(field);
  });
  window.scrollTo(0, 0);
  // The answer first, and focused, as on the server's result page.
  section.querySelector(`[data-when="${kept}"] .verdict`).focus();
}

function bind(root, form) {
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    // A proof-of-work widget on the form solves its puzzle first, then submits again.
    const widget = form.querySelector("altcha-widget");
    const solved = form.querySelector("input[name=altcha]");
    if (widget && !(solved && solved.value)) return;
    event.preventDefault();
    const phone = normalize(form.querySelector("input[name=phone]").value);
    if (phone.reason) {
      // Explained here, as the server would: a mistyped number is still nearly a number.
      const reasons = JSON.parse(root.dataset.reasons);
      showError(form, reasons[phone.reason] || reasons.invalid);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const bits = Number(root.dataset.bucketBits) || 16;
      const ids = await privateCheck(phone.e164, root.dataset.evaluateUrl, solved ? solved.value : "", bits);
      const state = { ids, masked: mask(phone), e164: phone.e164 };
      remember(state);
      await show(root, state, true);
    } catch (error) {
      showError(form, error.message && error.message.length > 3 ? error.message : root.dataset.failed);
      button.disabled = false;
    }
  });
}

// Outside a page (tests/js/agree.mjs imports this module) there is nothing to bind.
const root = globalThis.document ? document.getElementById("private-check") : null;
if (root) {
  root.hidden = false;
  bind(root, document.querySelector("main form.check:not(.prove):not(.alerts)"));
  const kept = recall();
  if (location.hash === "#result" && kept) show(root, kept, false).catch(() => {});
  // Back from a result: the check page again, as the server would send it.
  window.addEventListener("popstate", () => location.reload());
}
