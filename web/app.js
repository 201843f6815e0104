// Descent Lab page shell: loading overlay, status line, notices; then the views
// (web/views/*.js) take over the main region.
import { descentlab, RESTART_NOTICE } from "./api.js";
import { startViews } from "./views/index.js";
import { readEmbedOptions, startEmbedding } from "./embed-mode.js";
import { setupShare } from "./share.js";
import { guardLinks } from "./codelab/confirm.js";
import { loadTable, instantApi } from "./instant.js";

// The first view's modules start loading now, beside the table and the catalog (views/index.js
// imports its view only after both; it gets these same module instances).
const FIRST_VIEW = { landscape: () => import("./views/landscape.js"), network: () => import("./views/network.js"),
  projection: () => import("./views/projection.js"), exercises: () => import("./views/exercises.js") };
const firstView = /^#([a-z]*)/.exec(location.hash || "#")[1] || "landscape";
if (Object.hasOwn(FIRST_VIEW, firstView)) FIRST_VIEW[firstView]().catch(() => {});   // (views/index.js reports a failure)

// Scenes computed at build time (web/instant.js): asked for first, so the first picture
// is drawn while Python loads. While they stand in, the page is "warming": no loading
// dialog over the picture, the status line says the lab is interactive in a moment, and
// controls work (what they ask for waits in the worker's queue).
const table = loadTable();
let warming = false;

// What the worker is doing (web/worker.js: its progress messages), by stage.
const STAGE_TEXT = {
  runtime: "Downloading Python runtime…",
  python: "Starting Python…",
  numpy: "Importing NumPy…",
  descentlab: "Importing Descent Lab…",
  sandbox: "Closing the code worker's doors…",
  ready: "Ready",
};
const STAGE_NAME = { runtime: "the Python runtime", python: "Python", numpy: "NumPy", descentlab: "Descent Lab", worker: "the worker" };

const $ = (id) => document.getElementById(id);
const els = {
  status: $("status"),
  statusBar: $("status-progress"),
  loading: $("loading"),
  stage: $("loading-stage"),
  bytes: $("loading-bytes"),
  bar: $("loading-bar"),
  loadError: $("loading-error"),
  notice: $("notice"),
  view: $("view"),
  noticeText: $("notice-text"),
};

const MB = 1e6;
const megabytes = (n) => (n / MB).toFixed(1);
// "Runtime 4.2 / 9.8 MB · Packages 1.1 / 3.0 MB" (a total the server did not send is left
// out); "" before the first byte or where nothing is downloaded (the one-file app).
function bytesText(bytes) {
  if (!bytes) return "";
  const part = (label, { loaded, total }) => (total > 0 ? `${label} ${megabytes(Math.min(loaded, total))} / ${megabytes(total)} MB`
    : loaded > 0 ? `${label} ${megabytes(loaded)} MB` : "");
  return [part("Runtime", bytes.runtime), part("Packages", bytes.packages)].filter(Boolean).join(" · ");
}

// The loading card, or (a precomputed scene on screen) the status line and its small bar.
// Both bars are determinate: the worker's fraction grows with bytes, then with each stage.
function showLoading(stage, fraction, bytes) {
  const what = STAGE_TEXT[stage] || "Loading…";
  const amount = bytesText(bytes);
  els.bar.value = fraction || 0;
  els.statusBar.value = fraction || 0;
  els.stage.textContent = what;     // the card stays current, should it be shown (a restart)
  els.bytes.textContent = amount;
  if (warming) {
    els.loading.hidden = true;
    els.statusBar.hidden = false;
    // compact: the byte counts only while they are what the wait is about
    els.status.textContent = `Interactive in a moment — ${what}${amount && stage === "runtime" ? ` ${amount}` : ""}`;
    return;
  }
  els.loading.hidden = false;
  els.statusBar.hidden = true;
  els.status.textContent = what;
}

function showLoadError(stage, message) {
  setWarming(false);
  els.statusBar.hidden = true;
  const what = STAGE_NAME[stage] || stage;
  els.loading.hidden = false;
  els.stage.textContent = `Loading ${what} failed.`;
  els.bar.value = els.bar.value || 0;
  els.loadError.hidden = false;
  els.loadError.textContent = `${message} — reload the page to try again.`;
  els.status.textContent = `Failed while loading ${what}`;
}

function setWarming(on) {
  warming = on;
  document.documentElement.classList.toggle("warming", on);
  els.view.setAttribute("aria-busy", String(on));
}

function showReady(version) {
  setWarming(false);
  els.bar.value = 1;
  els.statusBar.hidden = true;
  els.loading.hidden = true;
  els.status.textContent = `Ready — Descent Lab v${version}`;
}

function showNotice(text) {
  els.noticeText.textContent = text;
  els.notice.hidden = false;
}

$("notice-close").addEventListener("click", () => { els.notice.hidden = true; });

// ---- build id (build.py writes it into index.html), embedding, sharing
const buildMeta = document.querySelector('meta[name="descentlab-build"]');
descentlab.build = buildMeta ? buildMeta.content : "dev";
const embedOptions = readEmbedOptions();
startEmbedding({ api: descentlab, options: embedOptions, root: $("view") });
setupShare({ button: $("share-open") });

// ---- start-up figures (bench/bench_startup.py reads them): when the page saw each loading
// stage begin (ms since navigation), the worker's own timings of its stages once it sends
// them (api.js: descentlab.loadTimings), and the two marks (web/instant.js).
const seen = { module: performance.now() };
Object.defineProperty(descentlab, "startup", { enumerable: true, get: () => ({
  page: { ...seen },
  worker: descentlab.loadTimings || null,
  precomputed: warmingStarted,
  snapshot: descentlab.snapshot,   // whether the interpreter came from a memory snapshot (api.js)
  marks: Object.fromEntries(["descentlab:first-scene", "descentlab:interactive"].map((name) => {
    const m = performance.getEntriesByName(name, "mark")[0];
    return [name, m ? m.startTime : null];
  })),
}) });
let warmingStarted = false;
const note = (stage) => { if (!(stage in seen)) seen[stage] = performance.now(); };
note(descentlab.loadState.stage);
window.addEventListener("descentlab:load-progress", (e) => note(e.detail.stage));
window.addEventListener("descentlab:ready", () => note("ready"));

window.addEventListener("descentlab:load-progress", (e) => showLoading(e.detail.stage, e.detail.fraction, e.detail.bytes));
window.addEventListener("descentlab:load-error", (e) => showLoadError(e.detail.stage, e.detail.message));
window.addEventListener("descentlab:worker-restarted", () => {
  showNotice(RESTART_NOTICE);
  waitReady();
});

function waitReady() {
  const { stage, fraction, bytes } = descentlab.loadState;
  if (stage !== "ready") showLoading(stage, fraction, bytes);
  descentlab.ready.then(({ version }) => showReady(version), () => {});
}
// (the first waitReady() runs once the table of precomputed scenes is known, below)
descentlab.ready.then(({ version }) => showReady(version), () => {});

// ---- views: the hash names the view and holds its scene
// Code in a link (a custom optimizer) is shown and confirmed before any view reads the
// link; the guard also holds back every later hash change until it is answered.
// With precomputed scenes the views start at once (the catalog is in the table too);
// without, once the worker is ready.
const linkRead = guardLinks();
let viewsStarted = false;
const viewsApi = table.then((t) => {
  if (t && descentlab.loadState.stage !== "ready" && !descentlab.loadState.error) {
    setWarming(true);
    warmingStarted = true;
    showLoading(descentlab.loadState.stage, descentlab.loadState.fraction, descentlab.loadState.bytes);
  } else waitReady();
  return t ? instantApi(descentlab, t) : descentlab.ready.then(() => descentlab);
});
Promise.all([viewsApi, linkRead]).then(([api]) => {
  if (viewsStarted) return;
  viewsStarted = true;
  startViews({ api, root: $("view"), notify: showNotice, locked: embedOptions.lock }).catch((err) => {
    $("view").textContent = `Could not start the views: ${err.message}`;
  });
}, () => {});

// ---- offline: a service worker caches every file of this build (web/sw.js). Registered
// once the runtime is ready, so its downloads never compete with the first start.
// Not on file:// (dist/descentlab.html is offline by construction).
function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !/^https?:$/.test(location.protocol)) return;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController) showNotice("Descent Lab was updated: reload the page to use the new version.");
  });
  // register() alone does not look for a new build once registered: ask explicitly, so a
  // new deployment is found on the first visit after it (offline, the check just fails).
  const register = () => navigator.serviceWorker.register("sw.js").then((reg) => {
    if (hadController) reg.update().catch(() => {});
  }, (err) => {
    console.warn(`descentlab: offline support unavailable (${err.message})`);
  });
  descentlab.ready.then(register, register);
}
registerServiceWorker();
