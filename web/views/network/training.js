// The network view's main panel: Train, Pause/Resume, Step and Stop, progress, the three
// charts, the epoch slider, the decision boundaries and the exports. Training streams: each
// progress item adds its runs' new losses and boundaries to `live` and everything is
// redrawn; the finished result replaces them. A paused run (descentlab.pause: the worker
// holds it between two chunks) can be scrubbed and exported; Step trains one more epoch.
import { h } from "../../lib/dom.js";
import { LineChart } from "../../lib/chart.js";
import { boolControl } from "../../lib/controls.js";
import { downloadPNG, downloadCSV, downloadJSON } from "../../lib/download.js";
import { drawCharts, drawBoundaries, stackCanvases, chartLegend } from "./draw.js";
import { LAST_NETWORK_KEY } from "./scene.js";
import { runLabels } from "../../lib/labels.js";
import { forkLabels } from "./inspector.js";

// Below this validation accuracy the page says why a run may have stopped short.
const LOW_ACCURACY = 0.8;

const CHARTS = [["loss", "Training loss per step", { logY: true, xLabel: "step", yLabel: "training loss" }],
  ["val", "Validation loss per epoch", { logY: true, xLabel: "epoch", yLabel: "validation loss" }],
  ["acc", "Validation accuracy per epoch", { logY: false, xLabel: "epoch", yLabel: "validation accuracy" }]];

// el: the panel; result, lastSpec: the last finished run and its spec
export class TrainingPanel {
  // spec(): the network spec of the experiment now; data(): the dataset preview's result;
  // onDone(): a run ended (badges); errorText, showMessage: as the view names errors
  constructor({ api, root, catalog, scene, spec, data, notify, alive, errorText, showMessage, onDone }) {
    Object.assign(this, { api, root, catalog, scene, specNow: spec, data, alive, errorText, showMessage, onDone, notify });
    this.result = null; this.lastSpec = null; this.live = null; this.training = null; this.trainingSpec = null; this.grid = null; this.epoch = null;
    this.doneEpochs = 0;    // epochs every run has finished, as the stream last said
    this.paused = false;    // the run being trained is held by the worker (Pause, Step)
    this.stepping = false;  // a Step is pulling chunks up to the next epoch
    this.smooth = true;     // the per-step loss drawn with its smoothed curve (computed by Python)
    this.progress = h("progress", { max: 1, value: 0, "aria-label": "Training progress" });
    this.status = h("p", { class: "run-status", "aria-live": "polite" });
    this.trainBtn = h("button", { type: "button", class: "button", onclick: () => this.train() }, "Train");
    this.stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => this.stop() }, "Stop");
    this.pauseBtn = h("button", { type: "button", class: "button secondary", disabled: true, "aria-pressed": "false",
      onclick: () => this.togglePause() }, "Pause");
    this.stepBtn = h("button", { type: "button", class: "button secondary", disabled: true,
      title: "Train one more epoch, then hold", onclick: () => this.stepEpoch() }, "Step");
    this.canvases = CHARTS.map(([, label]) => h("canvas", { role: "img", "aria-label": label }));
    this.legends = CHARTS.map(([, label]) => h("div", { class: "legend", "aria-label": `Key of ${label.toLowerCase()}` }));
    this.charts = Object.fromEntries(CHARTS.map(([key, , options], i) => [key, new LineChart(this.canvases[i], { height: 170, ...options })]));
    const logToggle = boolControl({ label: "log scale", name: "log", value: true,
      onChange: (v) => { this.charts.loss.logY = v; this.charts.val.logY = v; this.draw(); } });
    const smoothToggle = boolControl({ label: "smooth the per-step loss (moving average)", name: "smooth", value: true,
      onChange: (v) => { this.smooth = v; this.draw(); } });
    this.verdict = h("p", { class: "hint verdict", "aria-live": "polite", hidden: true });
    this.scrub = h("input", { type: "range", min: 0, max: 1, value: 1, step: 1, "aria-label": "Epoch", class: "timeline-range", disabled: true });
    const scrubLabel = h("output", { class: "step-label" });
    this.scrub.addEventListener("input", () => {
      this.epoch = +this.scrub.value;
      scrubLabel.textContent = `epoch ${this.epoch} / ${this.scrub.max}`;
      this.draw();
    });
    this.boundaries = h("div", { class: "boundaries", "aria-label": "Decision boundaries, one per optimizer" });
    this.scrubLabel = scrubLabel;
    const button = (label, onclick) => h("button", { type: "button", class: "button secondary", onclick }, label);
    // Before the first training the charts would be empty axes (on a phone, three screens of
    // them above the dataset): a sentence says what will appear here instead.
    this.untrained = h("p", { class: "hint untrained" }, "Nothing trained yet. Press Train: every optimizer in the list trains "
      + "this network on the dataset (see the Dataset panel), and its training loss, validation loss and accuracy, and its "
      + "decision boundary, appear here epoch by epoch.");
    this.results = h("div", { class: "results", hidden: true },
      h("div", { class: "charts" }, ...this.canvases.map((c, i) => h("figure", { class: "chart-wrap" },
        h("figcaption", {}, CHARTS[i][1]), c, this.legends[i]))),
      h("div", { class: "timeline" }, h("span", {}, "Epoch"), this.scrub, scrubLabel),
      h("h2", {}, "Decision boundaries"), this.boundaries);
    this.el = h("section", { class: "panel main", "aria-label": "Training" },
      h("div", { class: "timeline" }, this.trainBtn, this.pauseBtn, this.stepBtn, this.stopBtn, this.progress, logToggle.el, smoothToggle.el), this.status, this.verdict,
      this.untrained, this.results,
      h("div", { class: "exports" }, button("Export PNG", () => this.exportPNG()), button("Export CSV", () => this.exportCSV()),
        button("Export JSON", () => this.exportJSON()), button("Copy link", () => this.copyLink())));
  }

  // The runs to export: the finished result, or what a stopped run trained; null (and the
  // reason said) when there is nothing yet.
  exportable() {
    if (this.result) return { runs: this.result.runs, spec: this.lastSpec, stoppedAt: null };
    if (this.live && this.doneEpochs > 0 && (!this.training || this.paused)) return { runs: this.live, spec: this.trainingSpec, stoppedAt: this.doneEpochs };
    this.notify(this.training ? "Training is still running: export when it ends, or press Pause or Stop to export what it has trained so far."
      : "Nothing to export yet: press Train first (a stopped run can be exported too).");
    return null;
  }

  exportJSON() {
    const x = this.exportable();
    if (!x) return;
    downloadJSON("descentlab-network.json", x.stoppedAt === null ? { spec: x.spec, result: this.result }
      : { spec: x.spec, stopped_after_epoch: x.stoppedAt, partial: { runs: x.runs.map((r, i) => ({ name: x.spec.optimizers[i].name, ...r })) } });
  }

  copyLink() {
    const url = location.href;
    const upload = Boolean(this.scene.dataset.upload);
    const said = upload ? "Link copied, but without your uploaded CSV: a link cannot carry a file, so it opens with the default dataset and every other setting of this experiment."
      : "Link copied: it reproduces this experiment.";
    (navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject()).then(() => this.notify(said),
      () => this.notify(upload ? `${url} (without your uploaded CSV: a link cannot carry a file)` : url));
  }

  epochs() { return this.trainingSpec ? this.trainingSpec.epochs : this.scene.epochs; }

  async train() {
    if (this.training) return;
    // a refused field the page has not yet sent would silently train the last good value
    const hiddenErr = this.root.querySelector("#hidden-err");
    if (hiddenErr && hiddenErr.textContent) {
      this.showMessage(`Hidden layer widths: ${hiddenErr.textContent}. Fix them to train (the previous widths are not used).`);
      const input = this.root.querySelector('[data-field="model.hidden"]');
      if (input) input.focus();
      return;
    }
    const s = this.specNow();
    this.begin(s);
    const t0 = performance.now();
    this.training = this.api.run(s, { onProgress: (p) => this.stream(p) });
    this.draw();   // the charts, empty until the first epoch, take the sentence's place
    try {
      this.finish(s, await this.training, performance.now() - t0);
    } catch (err) {
      if (err.kind === "Cancelled") this.stopped(s);
      else { this.showMessage(this.errorText(err)); this.status.textContent = ""; }
    } finally {
      this.training = null; this.trainBtn.disabled = false; this.stopBtn.disabled = true;
      this.paused = false; this.pauseBtn.textContent = "Pause"; this.pauseBtn.setAttribute("aria-pressed", "false");
      this.pauseBtn.disabled = true; this.stepBtn.disabled = true;
      this.onDone(); this.draw();
    }
  }

  stop() { if (this.training) this.api.cancel(this.training); }

  // Pause holds the run in the worker between two chunks (nothing is lost: Resume goes on
  // exactly where it was, so the result is the uninterrupted run's); Resume lets it go on.
  async togglePause() {
    const run = this.training;
    if (!run || this.stepping) return;
    if (this.paused) { this.held(false); await this.api.resume(run); return; }
    const state = await this.api.pause(run);
    if (this.training === run && state.running) this.held(true);
  }

  // One more epoch: chunks one at a time (each answered after its progress item) until
  // the stream reports a new epoch or the run ends; the run stays held.
  async stepEpoch() {
    const run = this.training;
    if (!run || this.stepping) return;
    this.stepping = true; this.stepBtn.disabled = true; this.pauseBtn.disabled = true;
    const from = this.doneEpochs;
    if (!this.paused) this.held(true);   // the first step holds the run
    try {
      for (;;) {
        const state = await this.api.stepOnce(run);
        if (this.training !== run || !state.running || state.finished || this.doneEpochs > from) return;
      }
    } finally {
      this.stepping = false;
      if (this.training === run) { this.stepBtn.disabled = false; this.pauseBtn.disabled = false; }
    }
  }

  held(on) {
    this.paused = on;
    this.pauseBtn.textContent = on ? "Resume" : "Pause";
    this.pauseBtn.setAttribute("aria-pressed", String(on));
    if (on) { this.showHeld(); return; }
    this.epoch = null; this.scrub.disabled = true; this.scrubLabel.textContent = "";
    this.status.textContent = `Epoch ${this.doneEpochs} of ${this.epochs()}`;
    this.draw();
  }

  // While held: the epochs trained so far are scrubbable; the slider follows new epochs
  // (a Step) when it sat at the last one.
  showHeld() {
    const n = this.doneEpochs, total = this.epochs();
    this.status.textContent = `Paused after epoch ${n} of ${total}: scrub what was trained, Step trains one more epoch, Resume goes on.`;
    if (!n) return;
    const follow = this.scrub.disabled || +this.scrub.value >= +this.scrub.max;
    Object.assign(this.scrub, { max: n, disabled: false });
    if (follow) { this.scrub.value = n; this.epoch = n; }
    this.scrubLabel.textContent = `epoch ${this.epoch ?? n} / ${n}`;
    this.draw();
  }

  // After Stop: the epochs trained stay scrubbable, exportable and projectable: the worker
  // keeps the stopped run as the training of its spec cut to these epochs (stoppedSpec), and
  // the Projection view, given that spec, projects this run instead of training again.
  stopped(s) {
    const n = this.doneEpochs;
    this.status.textContent = n ? `Stopped after epoch ${n} of ${s.epochs}: the charts keep what was trained; scrub, export or project it.`
      : "Stopped before the first epoch ended: nothing to scrub or export yet.";
    if (!n) return;
    Object.assign(this.scrub, { max: n, value: n, disabled: false });
    this.scrubLabel.textContent = `epoch ${n} / ${n}`;
    try { sessionStorage.setItem(LAST_NETWORK_KEY, JSON.stringify(stoppedSpec(s, n, this.cut))); } catch { /* full: the Projection view falls back to its default */ }
  }

  begin(s) {
    this.trainingSpec = s;
    this.trainBtn.disabled = true; this.stopBtn.disabled = false; this.progress.value = 0;
    this.pauseBtn.disabled = false; this.stepBtn.disabled = false;
    this.showMessage(""); this.status.textContent = "Training…"; this.verdict.hidden = true;
    this.live = s.optimizers.map(() => ({ train_loss: [], train_loss_ema: [], epochs: { train_loss: [], train_acc: [], val_loss: [], val_acc: [] },
      boundary: null, boundaries: [], diverged_at: null }));
    this.result = null; this.epoch = null; this.doneEpochs = 0;
    this.scrub.disabled = true; this.scrubLabel.textContent = "";
  }

  stream({ done, total, partial }) {
    this.progress.value = done / total;
    if (!this.paused) this.status.textContent = `Epoch ${done} of ${total}`;
    if (!partial || !partial.runs) return;
    this.doneEpochs = partial.epoch;
    this.cut = { snapshotEvery: partial.snapshot_every, perEpoch: partial.steps_per_epoch };
    partial.runs.forEach((p, i) => {
      const r = this.live[i];
      r.train_loss.push(...p.train_loss);
      r.train_loss_ema.push(...(p.train_loss_ema || []));
      for (const [k, v] of Object.entries(p.epochs)) r.epochs[k].push(...v);
      if (p.boundary) { r.boundary = p.boundary; r.boundaries.push(p.boundary); }
      if (partial.boundary_grid) this.grid = partial.boundary_grid;
      r.diverged_at = p.diverged_at;
    });
    if (this.paused) this.showHeld(); else this.draw();
  }

  finish(s, result, ms) {
    this.result = result; this.lastSpec = s;
    this.root.dataset.digest = result.digest;
    this.status.textContent = `Trained ${result.runs.length} runs × ${s.epochs} epochs in ${(ms / 1000).toFixed(1)} s` +
      result.runs.map((r, i) => (r.diverged_at ? ` · ${this.title(i)} diverged at step ${r.diverged_at}` : "")).join("");
    Object.assign(this.scrub, { max: s.epochs, value: s.epochs, disabled: false });
    this.scrubLabel.textContent = `epoch ${s.epochs} / ${s.epochs}`;
    this.explain(s, result);
    try { sessionStorage.setItem(LAST_NETWORK_KEY, JSON.stringify(s)); } catch { /* full: the Projection view falls back to its default */ }
    window.dispatchEvent(new CustomEvent("descentlab:network-result", { detail: { spec: s, result } }));
  }

  // When no run reached LOW_ACCURACY, say the likely reasons with this run's numbers: a model
  // that cannot even fit its training data is too small or trained too briefly.
  explain(s, result) {
    const ok = result.runs.filter((r) => !r.diverged_at && r.epochs.val_acc.length);
    if (!ok.length || ok.some((r) => r.epochs.val_acc.at(-1) >= LOW_ACCURACY)) { this.verdict.hidden = true; return; }
    const best = ok.reduce((a, b) => (b.epochs.val_acc.at(-1) > a.epochs.val_acc.at(-1) ? b : a));
    const pct = (v) => `${(100 * v).toFixed(0)}%`;
    const [va, ta] = [best.epochs.val_acc.at(-1), best.epochs.train_acc.at(-1)];
    const vl = best.epochs.val_loss;
    const falling = vl.length > 1 && vl.at(-1) < vl[vl.length >> 1];
    const under = ta < LOW_ACCURACY;
    this.verdict.textContent = `No run reached ${pct(LOW_ACCURACY)} validation accuracy (best: ${pct(va)}, training accuracy ${pct(ta)}). ` +
      (under ? `The network fits even its training data poorly, so it is too small for this dataset or trained too briefly: ` +
        `hidden layers [${s.model.hidden.join(", ")}] (${result.n_parameters} parameters), ${s.epochs} epochs. ` +
        `Try wider or more layers (e.g. 64, 64)${falling ? ", and more epochs: the loss was still falling at the end" : ", or a larger learning rate"}.`
        : `It fits the training data but not new points: it overfits. Try more data, fewer parameters or some L2.`);
    this.verdict.hidden = false;
  }

  runs() { return this.result ? this.result.runs : this.live || []; }

  // A run's name as the page shows it everywhere ("SGD + momentum μ=0.99"), from what was
  // computed: the finished result, else the spec being trained (the optimizer list may
  // have been edited since).
  title(i) {
    const ts = this.trainingSpec;
    const entries = this.result ? this.result.runs : ts ? ts.optimizers.map(entryOfSpec) : [];
    return entries[i] ? forkLabels(runLabels(entries, this.catalog), entries)[i] : `run ${i + 1}`;
  }

  // The charts, once a training is asked for or has trained something; else the sentence
  // (a first training that failed or was stopped before its first epoch trained nothing).
  showResults(on) {
    this.untrained.hidden = on;
    this.results.hidden = !on;
  }

  draw() {
    if (!this.alive()) return;
    this.showResults(!!(this.result || this.training || this.doneEpochs > 0));
    const d = this.data();
    drawCharts(this.charts, this.runs(), this.scene.optimizers, this.epoch, { smooth: this.smooth });
    const runs = this.runs();
    const labels = runs.map((_, i) => this.title(i));
    this.legends.forEach((el, k) => el.replaceChildren(...chartLegend({ runs, title: (i) => labels[i], optimizers: this.scene.optimizers,
      smooth: k === 0 && this.smooth, beta: this.result ? this.result.loss_ema_beta : null, diverged: k !== 2 })));
    drawBoundaries(this.boundaries, { runs: this.runs(), result: this.result, data: d, optimizers: this.scene.optimizers,
      title: (i) => labels[i], grid: this.result ? this.result.boundary_grid : (d && d.d === 2 ? this.grid : null),
      epoch: this.epoch ?? this.epochs() });
  }

  exportCSV() {
    const x = this.exportable();
    if (!x) return;
    const rows = [];
    x.runs.forEach((r, i) => r.epochs.val_loss.forEach((_, k) => rows.push([i + 1, x.spec.optimizers[i].name, k + 1,
      r.epochs.train_loss[k], r.epochs.train_acc[k], r.epochs.val_loss[k], r.epochs.val_acc[k]])));
    downloadCSV("descentlab-network.csv", ["run", "optimizer", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"], rows);
  }

  exportPNG() {
    downloadPNG("descentlab-network.png", stackCanvases([...this.canvases, ...this.boundaries.querySelectorAll("canvas")]));
  }
}

// The spec of a run stopped after epoch n, as pywasm/descentlab/network.py's stopped_spec cuts
// it (the worker keeps the stopped run under that spec): n epochs, snapshot_every as the run
// resolved it ("auto" would resolve otherwise for fewer epochs), a fork past the end at the last
// step (it was its parent that far). cut: {snapshotEvery, perEpoch} from the stream.
export function stoppedSpec(s, n, cut) {
  if (!cut || !Number.isInteger(cut.perEpoch)) return { ...s, epochs: n };
  const last = n * cut.perEpoch;
  return { ...s, epochs: n, snapshot_every: cut.snapshotEvery,
    optimizers: s.optimizers.map((o) => (o && o.fork && Number.isInteger(o.fork.step) && o.fork.step > last
      ? { ...o, fork: { ...o.fork, step: last } } : o)) };
}

// A spec's optimizer entry ({...params, name, color}) as the labels read it: {name, params}.
function entryOfSpec(o) {
  if (o.name === "custom") return o;
  const params = { ...o };
  delete params.name; delete params.color;
  return { name: o.name, params };
}
