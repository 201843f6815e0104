// Descent Lab page shell: loading overlay, status line, navigation, and a placeholder
// "Run example" until the views (web/views/*.js) arrive.
import { descentlab, RESTART_NOTICE } from "./api.js";

const STAGE_TEXT = {
  runtime: "Loading Python runtime…",
  numpy: "Loading NumPy…",
  descentlab: "Loading Descent Lab…",
  ready: "Ready",
};
const STAGE_NAME = { runtime: "the Python runtime", numpy: "NumPy", descentlab: "Descent Lab", worker: "the worker" };

export const EXAMPLE_SPEC = {
  kind: "landscape",
  function: "rosenbrock",
  start: [-1.5, 2.0],
  steps: 500,
  optimizers: [
    { name: "adam", lr: 0.05 },
    { name: "sgd", lr: 0.001, momentum: 0.9, nesterov: true },
  ],
  record_state: false,
};

const $ = (id) => document.getElementById(id);
const els = {
  status: $("status"),
  loading: $("loading"),
  stage: $("loading-stage"),
  bar: $("loading-bar"),
  loadError: $("loading-error"),
  notice: $("notice"),
  noticeText: $("notice-text"),
  run: $("run-example"),
  stop: $("stop-example"),
  runProgress: $("run-progress"),
  output: $("output"),
};

function showLoading(stage, fraction) {
  els.loading.hidden = false;
  els.stage.textContent = STAGE_TEXT[stage] || "Loading…";
  if (fraction > 0) els.bar.value = fraction;
  else els.bar.removeAttribute("value"); // indeterminate: it still moves
  els.status.textContent = STAGE_TEXT[stage] || "Loading…";
}

function showLoadError(stage, message) {
  const what = STAGE_NAME[stage] || stage;
  els.loading.hidden = false;
  els.stage.textContent = `Loading ${what} failed.`;
  els.bar.value = els.bar.value || 0;
  els.loadError.hidden = false;
  els.loadError.textContent = `${message} — reload the page to try again.`;
  els.status.textContent = `Failed while loading ${what}`;
  els.run.disabled = true;
}

function showReady(version) {
  els.bar.value = 1;
  els.loading.hidden = true;
  els.status.textContent = `Ready — Descent Lab v${version}`;
  els.run.disabled = false;
}

function showNotice(text) {
  els.noticeText.textContent = text;
  els.notice.hidden = false;
}

$("notice-close").addEventListener("click", () => { els.notice.hidden = true; });

window.addEventListener("descentlab:load-progress", (e) => showLoading(e.detail.stage, e.detail.fraction));
window.addEventListener("descentlab:load-error", (e) => showLoadError(e.detail.stage, e.detail.message));
window.addEventListener("descentlab:worker-restarted", () => {
  showNotice(RESTART_NOTICE);
  waitReady();
});

function waitReady() {
  const { stage, fraction } = descentlab.loadState;
  if (stage !== "ready") showLoading(stage, fraction);
  descentlab.ready.then(({ version }) => showReady(version), () => {});
}
waitReady();

// ---- navigation placeholder: views come later as web/views/*.js
function markNav() {
  const view = (location.hash || "#landscape").slice(1);
  for (const a of document.querySelectorAll(".nav-list a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}
window.addEventListener("hashchange", markNav);
markNav();

// ---- "Run example": a placeholder until the Landscape view exists
function fmt(x) {
  return typeof x === "number" ? x.toPrecision(6) : String(x);
}

function summarize(result, ms) {
  const lines = [`kind: ${result.kind}   (${ms.toFixed(0)} ms in the worker)`];
  for (const r of result.runs || []) {
    const name = r.name || r.optimizer || "run";
    const final = r.final_loss !== undefined ? r.final_loss : (r.loss || r.losses || []).at?.(-1);
    const diverged = r.diverged_at ? `  diverged at step ${r.diverged_at}` : "";
    lines.push(`  ${name.padEnd(10)} final loss ${fmt(final)}${diverged}`);
  }
  lines.push(`digest: ${result.digest}`);
  return lines.join("\n");
}

els.run.addEventListener("click", async () => {
  els.run.disabled = true;
  els.stop.disabled = false;
  els.runProgress.value = 0;
  els.output.textContent = "Running…";
  const t0 = performance.now();
  try {
    const result = await descentlab.run(EXAMPLE_SPEC, {
      onProgress: ({ done, total }) => { els.runProgress.value = total ? done / total : 0; },
    });
    els.runProgress.value = 1;
    els.output.textContent = summarize(result, performance.now() - t0);
  } catch (err) {
    const where = err.field ? ` (${err.field})` : "";
    els.output.textContent = `${err.kind || "Error"}${where}: ${err.message}`;
  } finally {
    els.run.disabled = false;
    els.stop.disabled = true;
  }
});

els.stop.addEventListener("click", () => descentlab.cancel());
