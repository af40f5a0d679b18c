// The private check (RFC 9497 OPRF): the number is normalised and blinded here;
// only its 16-bit bucket and a blinded element reach the server, which answers
// with the evaluated element and the bucket's entries. Matching happens here.
import { ristretto255_oprf, sha256 } from "../vendor/noble-oprf.js";
import { mask, normalize } from "./phone-normalize.js";

const oprf = ristretto255_oprf.oprf;
const PREFIX_BYTES = 6;

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));

export function bucketOf(input) {
  const digest = sha256(input);
  return (digest[0] << 8) | digest[1];
}

// The breach ids whose stored prefix equals this number's OPRF output prefix.
// `altcha`: a solved proof-of-work, when the site asked for one (the disclosure gate).
export async function privateCheck(e164, evaluateUrl, altcha = "") {
  const input = new TextEncoder().encode(e164);
  const { blind, blinded } = oprf.blind(input);
  const question = { bucket: bucketOf(input), blinded: toHex(blinded) };
  if (altcha) question.altcha = altcha;
  const response = await fetch(evaluateUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(question),
    // No cookies: nothing ties the question to a session.
    credentials: "omit",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || String(response.status));
  const prefix = toHex(oprf.finalize(input, blind, fromHex(answer.evaluated)).subarray(0, PREFIX_BYTES));
  return [...new Set(answer.entries.filter(([entry]) => entry === prefix).map(([, id]) => id))];
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
  const response = await fetch(root.dataset.frameUrl);
  if (!response.ok) throw new Error();
  render(root, await response.text(), state);
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
      const ids = await privateCheck(phone.e164, root.dataset.evaluateUrl, solved ? solved.value : "");
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
