// Descent Lab page shell: loading overlay, status line, notices; then the views
// (web/views/*.js) take over the main region.
import { descentlab, RESTART_NOTICE } from "./api.js";
import { startViews } from "./views/index.js";

const STAGE_TEXT = {
  runtime: "Loading Python runtime…",
  numpy: "Loading NumPy…",
  descentlab: "Loading Descent Lab…",
  ready: "Ready",
};
const STAGE_NAME = { runtime: "the Python runtime", numpy: "NumPy", descentlab: "Descent Lab", worker: "the worker" };

const $ = (id) => document.getElementById(id);
const els = {
  status: $("status"),
  loading: $("loading"),
  stage: $("loading-stage"),
  bar: $("loading-bar"),
  loadError: $("loading-error"),
  notice: $("notice"),
  noticeText: $("notice-text"),
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
}

function showReady(version) {
  els.bar.value = 1;
  els.loading.hidden = true;
  els.status.textContent = `Ready — Descent Lab v${version}`;
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

// ---- views: the hash names the view and holds its scene
let viewsStarted = false;
descentlab.ready.then(() => {
  if (viewsStarted) return;
  viewsStarted = true;
  startViews({ api: descentlab, root: $("view"), notify: showNotice }).catch((err) => {
    $("view").textContent = `Could not start the views: ${err.message}`;
  });
}, () => {});
