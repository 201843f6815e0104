// The network view's main panel: Train and Stop, progress, the three charts, the epoch
// slider, the decision boundaries and the exports. Training streams: each progress item
// adds its runs' new losses and boundaries to `live` and everything is redrawn; the
// finished result replaces them.
import { h } from "../../lib/dom.js";
import { LineChart } from "../../lib/chart.js";
import { boolControl } from "../../lib/controls.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../../lib/download.js";
import { drawCharts, drawBoundaries, stackCanvases } from "./draw.js";
import { LAST_NETWORK_KEY } from "./scene.js";

// spec(): the network spec of the experiment now; data(): the dataset preview's result;
// onDone(): the run ended (badges); errorText, showMessage: as the view names errors
export function trainingPanel({ api, root, catalog, scene, spec, data, notify, alive, errorText, showMessage, onDone }) {
  const run = { result: null, live: null, spec: null, training: null, trainingSpec: null, grid: null, epoch: null };
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Training progress" });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const trainBtn = h("button", { type: "button", class: "button", onclick: () => train() }, "Train");
  const stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => run.training && api.cancel(run.training) }, "Stop");
  const canvases = ["Training loss per step", "Validation loss per epoch", "Validation accuracy per epoch"].map((label) => h("canvas", { role: "img", "aria-label": label }));
  const charts = {
    loss: new LineChart(canvases[0], { height: 170, logY: true, xLabel: "step", yLabel: "training loss" }),
    val: new LineChart(canvases[1], { height: 170, logY: true, xLabel: "epoch", yLabel: "validation loss" }),
    acc: new LineChart(canvases[2], { height: 170, logY: false, xLabel: "epoch", yLabel: "validation accuracy" }),
  };
  const logToggle = boolControl({ label: "log scale", name: "log", value: true, onChange: (v) => { charts.loss.logY = v; charts.val.logY = v; draw(); } });
  const scrub = h("input", { type: "range", min: 0, max: 1, value: 1, step: 1, "aria-label": "Epoch", class: "timeline-range", disabled: true });
  const scrubLabel = h("output", { class: "step-label" });
  const boundaries = h("div", { class: "boundaries", "aria-label": "Decision boundaries, one per optimizer" });
  const epochsOf = () => (run.trainingSpec ? run.trainingSpec.epochs : scene.epochs);
  const el = h("section", { class: "panel main", "aria-label": "Training" },
    h("div", { class: "timeline" }, trainBtn, stopBtn, progress, logToggle.el), status,
    h("div", { class: "charts" }, ...canvases.map((c) => h("div", { class: "chart-wrap" }, c))),
    h("div", { class: "timeline" }, h("span", {}, "Epoch"), scrub, scrubLabel),
    h("h2", {}, "Decision boundaries"), boundaries,
    exportButtons({ png: exportPNG, csv: exportCSV,
      json: () => run.result && downloadJSON("descentlab-network.json", { spec: run.spec, result: run.result }),
      notify, copied: "Link copied: it reproduces this experiment." }));

  scrub.addEventListener("input", () => {
    run.epoch = +scrub.value;
    scrubLabel.textContent = `epoch ${run.epoch} / ${epochsOf()}`;
    draw();
  });

  async function train() {
    if (run.training) return;
    const s = spec();
    begin(s);
    const t0 = performance.now();
    run.training = api.run(s, { onProgress: stream });
    try {
      finish(s, await run.training, performance.now() - t0);
    } catch (err) {
      if (err.kind === "Cancelled") status.textContent = "Stopped: the charts keep what was trained so far.";
      else { showMessage(errorText(err)); status.textContent = ""; }
    } finally {
      run.training = null; trainBtn.disabled = false; stopBtn.disabled = true;
      onDone(); draw();
    }
  }

  function begin(s) {
    run.trainingSpec = s;
    trainBtn.disabled = true; stopBtn.disabled = false; progress.value = 0;
    showMessage(""); status.textContent = "Training…";
    run.live = s.optimizers.map(() => ({ train_loss: [], epochs: { train_loss: [], train_acc: [], val_loss: [], val_acc: [] }, boundary: null, diverged_at: null }));
    run.result = null; run.epoch = null;
    scrub.disabled = true;
  }

  function stream({ done, total, partial }) {
    progress.value = done / total;
    status.textContent = `Epoch ${done} of ${total}`;
    if (!partial || !partial.runs) return;
    partial.runs.forEach((p, i) => {
      const r = run.live[i];
      r.train_loss.push(...p.train_loss);
      for (const [k, v] of Object.entries(p.epochs)) r.epochs[k].push(...v);
      if (p.boundary) r.boundary = p.boundary;
      if (partial.boundary_grid) run.grid = partial.boundary_grid;
      r.diverged_at = p.diverged_at;
    });
    draw();
  }

  function finish(s, result, ms) {
    Object.assign(run, { result, spec: s });
    root.dataset.digest = result.digest;
    status.textContent = `Trained ${result.runs.length} runs × ${s.epochs} epochs in ${(ms / 1000).toFixed(1)} s` +
      result.runs.filter((r) => r.diverged_at).map((r) => ` · ${r.name} diverged at step ${r.diverged_at}`).join("");
    scrub.max = s.epochs; scrub.value = s.epochs; scrub.disabled = false;
    try { sessionStorage.setItem(LAST_NETWORK_KEY, JSON.stringify(s)); } catch { /* full: the Projection view falls back to its default */ }
    window.dispatchEvent(new CustomEvent("descentlab:network-result", { detail: { spec: s, result } }));
  }

  const runs = () => (run.result ? run.result.runs : run.live || []);

  // A run's name as computed: from the finished result, else from the spec being trained
  // (the optimizer list may have been edited since).
  function title(i) {
    const name = run.result ? run.result.runs[i].name : run.trainingSpec && run.trainingSpec.optimizers[i] ? run.trainingSpec.optimizers[i].name : null;
    const meta = catalog.optimizers.find((o) => o.name === name);
    return meta ? meta.title : String(name);
  }

  function draw() {
    if (!alive()) return;
    const d = data();
    drawCharts(charts, runs(), scene.optimizers, run.epoch);
    drawBoundaries(boundaries, { runs: runs(), result: run.result, data: d, optimizers: scene.optimizers, title,
      grid: run.result ? run.result.boundary_grid : (d && d.d === 2 ? run.grid : null), epoch: run.epoch ?? epochsOf() });
  }

  function exportCSV() {
    if (!run.result) return;
    const rows = [];
    run.result.runs.forEach((r, i) => r.epochs.val_loss.forEach((_, k) => rows.push([i + 1, r.name, k + 1,
      r.epochs.train_loss[k], r.epochs.train_acc[k], r.epochs.val_loss[k], r.epochs.val_acc[k]])));
    downloadCSV("descentlab-network.csv", ["run", "optimizer", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"], rows);
  }

  function exportPNG() {
    downloadPNG("descentlab-network.png", stackCanvases([...canvases, ...boundaries.querySelectorAll("canvas")]));
  }

  return {
    el, train, draw, runs,
    get result() { return run.result; },
    get spec() { return run.spec; },
    stop() { if (run.training) api.cancel(run.training); },
  };
}
