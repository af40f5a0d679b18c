// Reads {root, secret, numbers, inputs, vectors, answers} as JSON on stdin; writes what
// the browser code computes for them as JSON on stdout (tests/web/test_private_js.py).
import { readFileSync } from "node:fs";

const job = JSON.parse(readFileSync(0, "utf8"));
const { ristretto255_oprf, sha256 } = await import(`${job.root}/static/vendor/noble-oprf.js`);
const { normalize } = await import(`${job.root}/static/js/phone-normalize.js`);
const { bucketOf, decodeAnswer, matchesOf, prefixOf } = await import(
  `${job.root}/static/js/private-check.js`
);
const oprf = ristretto255_oprf.oprf;
const hex = (b) => Buffer.from(b).toString("hex");
const bytes = (h) => Uint8Array.from(Buffer.from(h, "hex"));

const vectors = job.vectors.map((v) => ({
  secret: hex(oprf.deriveKeyPair(bytes(v.seed), bytes(v.info)).secretKey),
  evaluated: hex(oprf.blindEvaluate(bytes(v.secret), bytes(v.blinded))),
  finalized: hex(oprf.finalize(bytes(v.input), bytes(v.blind), bytes(v.evaluated))),
  evaluate: hex(oprf.evaluate(bytes(v.secret), bytes(v.input))),
}));
const keys = job.numbers.map((e164) => {
  const input = new TextEncoder().encode(e164);
  const { blind, blinded } = oprf.blind(input);
  const output = oprf.finalize(input, blind, oprf.blindEvaluate(bytes(job.secret), blinded));
  const bucket = bucketOf(input);
  return hex([bucket >> 8, bucket & 255]) + hex(output.subarray(0, 6));
});
// Each number's bucket at 20 bits and its prefix at 16 and 20 bits (the wider option).
const wide = job.numbers.map((e164) => {
  const input = new TextEncoder().encode(e164);
  const output = oprf.evaluate(bytes(job.secret), input);
  return [bucketOf(input, 20), prefixOf(output, 16), prefixOf(output, 20)];
});
// Answers decoded (entries as [prefix, ids]); a malformed one as its error; and the
// breaches a number matches in an answer the server made for it.
const answers = job.answers.map(({ data, e164, blind }) => {
  let answer;
  try {
    answer = decodeAnswer(bytes(data));
  } catch (error) {
    return { error: error.message };
  }
  const decoded = { bucketBits: answer.bucketBits, version: answer.version, entries: answer.entries };
  if (e164) {
    const input = new TextEncoder().encode(e164);
    const output = oprf.finalize(input, bytes(blind), answer.evaluated);
    decoded.matches = matchesOf(answer, prefixOf(output, answer.bucketBits));
  }
  return decoded;
});
const normalized = job.inputs.map((raw) => {
  const phone = normalize(raw);
  return phone.reason ? "!" + phone.reason : phone.e164;
});
process.stdout.write(
  JSON.stringify({ vectors, keys, wide, answers, normalized, sha: hex(sha256(bytes("00"))) }),
);
