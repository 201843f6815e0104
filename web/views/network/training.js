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

const CHARTS = [["loss", "Training loss per step", { logY: true, xLabel: "step", yLabel: "training loss" }],
  ["val", "Validation loss per epoch", { logY: true, xLabel: "epoch", yLabel: "validation loss" }],
  ["acc", "Validation accuracy per epoch", { logY: false, xLabel: "epoch", yLabel: "validation accuracy" }]];

// el: the panel; result, lastSpec: the last finished run and its spec
export class TrainingPanel {
  // spec(): the network spec of the experiment now; data(): the dataset preview's result;
  // onDone(): a run ended (badges); errorText, showMessage: as the view names errors
  constructor({ api, root, catalog, scene, spec, data, notify, alive, errorText, showMessage, onDone }) {
    Object.assign(this, { api, root, catalog, scene, specNow: spec, data, alive, errorText, showMessage, onDone });
    this.result = null; this.lastSpec = null; this.live = null; this.training = null; this.trainingSpec = null; this.grid = null; this.epoch = null;
    this.progress = h("progress", { max: 1, value: 0, "aria-label": "Training progress" });
    this.status = h("p", { class: "run-status", "aria-live": "polite" });
    this.trainBtn = h("button", { type: "button", class: "button", onclick: () => this.train() }, "Train");
    this.stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => this.stop() }, "Stop");
    this.canvases = CHARTS.map(([, label]) => h("canvas", { role: "img", "aria-label": label }));
    this.charts = Object.fromEntries(CHARTS.map(([key, , options], i) => [key, new LineChart(this.canvases[i], { height: 170, ...options })]));
    const logToggle = boolControl({ label: "log scale", name: "log", value: true,
      onChange: (v) => { this.charts.loss.logY = v; this.charts.val.logY = v; this.draw(); } });
    this.scrub = h("input", { type: "range", min: 0, max: 1, value: 1, step: 1, "aria-label": "Epoch", class: "timeline-range", disabled: true });
    const scrubLabel = h("output", { class: "step-label" });
    this.scrub.addEventListener("input", () => {
      this.epoch = +this.scrub.value;
      scrubLabel.textContent = `epoch ${this.epoch} / ${this.epochs()}`;
      this.draw();
    });
    this.boundaries = h("div", { class: "boundaries", "aria-label": "Decision boundaries, one per optimizer" });
    this.el = h("section", { class: "panel main", "aria-label": "Training" },
      h("div", { class: "timeline" }, this.trainBtn, this.stopBtn, this.progress, logToggle.el), this.status,
      h("div", { class: "charts" }, ...this.canvases.map((c) => h("div", { class: "chart-wrap" }, c))),
      h("div", { class: "timeline" }, h("span", {}, "Epoch"), this.scrub, scrubLabel),
      h("h2", {}, "Decision boundaries"), this.boundaries,
      exportButtons({ png: () => this.exportPNG(), csv: () => this.exportCSV(),
        json: () => this.result && downloadJSON("descentlab-network.json", { spec: this.lastSpec, result: this.result }),
        notify, copied: "Link copied: it reproduces this experiment." }));
  }

  epochs() { return this.trainingSpec ? this.trainingSpec.epochs : this.scene.epochs; }

  async train() {
    if (this.training) return;
    const s = this.specNow();
    this.begin(s);
    const t0 = performance.now();
    this.training = this.api.run(s, { onProgress: (p) => this.stream(p) });
    try {
      this.finish(s, await this.training, performance.now() - t0);
    } catch (err) {
      if (err.kind === "Cancelled") this.status.textContent = "Stopped: the charts keep what was trained so far.";
      else { this.showMessage(this.errorText(err)); this.status.textContent = ""; }
    } finally {
      this.training = null; this.trainBtn.disabled = false; this.stopBtn.disabled = true;
      this.onDone(); this.draw();
    }
  }

  stop() { if (this.training) this.api.cancel(this.training); }

  begin(s) {
    this.trainingSpec = s;
    this.trainBtn.disabled = true; this.stopBtn.disabled = false; this.progress.value = 0;
    this.showMessage(""); this.status.textContent = "Training…";
    this.live = s.optimizers.map(() => ({ train_loss: [], epochs: { train_loss: [], train_acc: [], val_loss: [], val_acc: [] }, boundary: null, diverged_at: null }));
    this.result = null; this.epoch = null;
    this.scrub.disabled = true;
  }

  stream({ done, total, partial }) {
    this.progress.value = done / total;
    this.status.textContent = `Epoch ${done} of ${total}`;
    if (!partial || !partial.runs) return;
    partial.runs.forEach((p, i) => {
      const r = this.live[i];
      r.train_loss.push(...p.train_loss);
      for (const [k, v] of Object.entries(p.epochs)) r.epochs[k].push(...v);
      if (p.boundary) r.boundary = p.boundary;
      if (partial.boundary_grid) this.grid = partial.boundary_grid;
      r.diverged_at = p.diverged_at;
    });
    this.draw();
  }

  finish(s, result, ms) {
    this.result = result; this.lastSpec = s;
    this.root.dataset.digest = result.digest;
    this.status.textContent = `Trained ${result.runs.length} runs × ${s.epochs} epochs in ${(ms / 1000).toFixed(1)} s` +
      result.runs.filter((r) => r.diverged_at).map((r) => ` · ${r.label || r.name} diverged at step ${r.diverged_at}`).join("");
    Object.assign(this.scrub, { max: s.epochs, value: s.epochs, disabled: false });
    try { sessionStorage.setItem(LAST_NETWORK_KEY, JSON.stringify(s)); } catch { /* full: the Projection view falls back to its default */ }
    window.dispatchEvent(new CustomEvent("descentlab:network-result", { detail: { spec: s, result } }));
  }

  runs() { return this.result ? this.result.runs : this.live || []; }

  // A run's name as computed: from the finished result, else from the spec being trained
  // (the optimizer list may have been edited since).
  title(i) {
    const ts = this.trainingSpec;
    const run = this.result ? this.result.runs[i] : ts && ts.optimizers[i];
    if (run && run.name === "custom") return run.label || "My optimizer";   // the learner's own code
    const name = run ? run.name : null;
    const meta = this.catalog.optimizers.find((o) => o.name === name);
    return meta ? meta.title : String(name);
  }

  draw() {
    if (!this.alive()) return;
    const d = this.data();
    drawCharts(this.charts, this.runs(), this.scene.optimizers, this.epoch);
    drawBoundaries(this.boundaries, { runs: this.runs(), result: this.result, data: d, optimizers: this.scene.optimizers,
      title: (i) => this.title(i), grid: this.result ? this.result.boundary_grid : (d && d.d === 2 ? this.grid : null),
      epoch: this.epoch ?? this.epochs() });
  }

  exportCSV() {
    if (!this.result) return;
    const rows = [];
    this.result.runs.forEach((r, i) => r.epochs.val_loss.forEach((_, k) => rows.push([i + 1, r.name, k + 1,
      r.epochs.train_loss[k], r.epochs.train_acc[k], r.epochs.val_loss[k], r.epochs.val_acc[k]])));
    downloadCSV("descentlab-network.csv", ["run", "optimizer", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"], rows);
  }

  exportPNG() {
    downloadPNG("descentlab-network.png", stackCanvases([...this.canvases, ...this.boundaries.querySelectorAll("canvas")]));
  }
}
