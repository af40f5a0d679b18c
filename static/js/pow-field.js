// Gives the ALTCHA widget its PBKDF2 worker. The widget's CSP-friendly
// "external" build bundles no workers (the default build would start them from
// blob: URLs, which the site's script-src 'self' refuses); a worker loaded from
// a same-origin file is allowed.
const widget = document.querySelector("altcha-widget[data-pbkdf2-worker]");
if (widget && globalThis.$altcha) {
  const url = widget.dataset.pbkdf2Worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(url));
}
