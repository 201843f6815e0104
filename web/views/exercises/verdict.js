// A check's verdict in words: what descentlab.exercises.check returned, said exactly.
//   passed                     -> "Passed: ..."
//   a difference               -> "step 1, m_hat[0]: expected -0.0421, got -0.421" and the hint
//   code that does not run     -> the hint ("line 5: ZeroDivisionError: ..."), with its line
import { h } from "../../lib/dom.js";

const MAX_DIGITS = 17;   // enough to tell any two different doubles apart

// Both values with as few significant digits as make them differ (at least 4), so a
// difference in the ninth digit is visible and a gross one stays short.
export function pair(expected, got) {
  if (typeof expected !== "number" || typeof got !== "number") return [show(expected), show(got)];
  for (let d = 4; d <= MAX_DIGITS; d++) {
    const a = num(expected, d), b = num(got, d);
    if (a !== b || d === MAX_DIGITS) return [a, b];
  }
  return [num(expected, MAX_DIGITS), num(got, MAX_DIGITS)];
}

function num(x, digits) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const a = Math.abs(x);
  return a >= 1e6 || a < 1e-4 ? x.toExponential(digits - 1).replace(/\.?0+e/, "e") : String(+x.toPrecision(digits));
}

const show = (v) => (v === null || v === undefined ? "nothing" : typeof v === "number" ? num(v, 4) : String(v));

// The learner line an error points at: the code worker gives it as `line`; a verdict's hint
// for code that does not run starts with it too ("line 5: ...").
export function errorLine(result) {
  if (Number.isInteger(result.line)) return result.line;
  if (result.quantity) return null;
  const m = /^line (\d+)\b/.exec(result.hint || "");
  return m ? Number(m[1]) : null;
}

// One line of text for the verdict (what tests and screen readers read) and its parts.
export function verdictText(result) {
  if (result.passed) return "Passed: your update matches the reference at every step of every test.";
  if (result.step !== null && result.step !== undefined && result.quantity) {
    const [e, g] = pair(result.expected, result.got);
    return `step ${result.step}, ${result.quantity}: expected ${e}, got ${g}`;
  }
  if (result.step !== null && result.step !== undefined) return `step ${result.step}: ${result.hint || "the update is wrong"}`;
  return result.hint || "The check failed.";
}

export function verdictView(result) {
  const passed = !!result.passed;
  const text = verdictText(result);
  const hint = !passed && result.quantity && result.hint ? h("p", { class: "ex-hint-line" }, `Hint: ${result.hint}`) : null;
  const what = !passed && !result.quantity && result.step === null ? "Your code does not run yet" : passed ? "Passed" : "Not yet";
  return h("div", { class: `ex-verdict ${passed ? "passed" : "failed"}`, "data-passed": String(passed) },
    h("p", { class: "ex-verdict-title" }, passed ? "✓ " : "✗ ", what),
    h("p", { class: "ex-verdict-text" }, passed ? text : h("code", {}, text)),
    hint);
}

// A check that did not finish: the code worker stopped an endless loop (CodeTimeout) or
// could not run it; the view stays usable either way.
export function failureView(err) {
  const timeout = err && err.kind === "CodeTimeout";
  const message = timeout
    ? (err.message || "Your code ran for more than 8 s without finishing, so it was stopped. The lab is still usable.")
    : `The check could not run: ${(err && err.message) || err}`;
  return h("div", { class: "ex-verdict failed", "data-passed": "false", "data-kind": (err && err.kind) || "Error" },
    h("p", { class: "ex-verdict-title" }, timeout ? "⏱ Stopped" : "✗ Not checked"),
    h("p", { class: "ex-verdict-text" }, message),
    timeout ? h("p", { class: "ex-hint-line" }, "Look for a loop whose condition never becomes false.") : null);
}
