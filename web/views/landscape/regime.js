// The regime map: one optimizer of the scene over a grid of learning rate × a second
// hyper-parameter, each cell coloured by the rank of its final loss (✕: diverged), rows
// drawn as they arrive. A colour bar names the loss at each colour, hovering or the arrow
// keys name a cell's final loss, a ring marks the cell of the run in the scene, and the
// regions where runs diverge or barely move are labelled. Clicking a cell (or Enter on the
// focused one) hands that run to the view (onCell).
import { h, fmt } from "../../lib/dom.js";
import { fitCanvas, LUT, colourBar } from "../../lib/canvas.js";
import { numberControl, selectControl } from "../../lib/controls.js";
import { paramSymbol } from "../../lib/labels.js";

const MARGIN = { l: 60, r: 10, t: 10, b: 40 };
const PREFERRED_Y = ["momentum", "beta1", "alpha", "rho"];
const BAR_TICKS = [0, 0.25, 0.5, 0.75, 1];
const MIN_REGION = 2;          // cells a region needs before it gets a label
const SLOW_FRACTION = 0.5;     // "too slow": the final loss is still above this share of the start's

export class RegimeMap {
  // getScene(): the scene the map is computed for; getResult(): the scene's runs (for the
  // start's loss); labels(): the runs' names in the page; onCell({name, params}): a cell was chosen
  constructor({ api, catalog, getScene, getResult = () => null, labels, onCell }) {
    Object.assign(this, { api, catalog, getScene, getResult, labels, onCell });
    this.optById = Object.fromEntries(catalog.optimizers.map((o) => [o.name, o]));
    this.settings = { entry: null, y: null, n: 12 };
    this.regime = null;     // the last result, or the rows received so far ({partial: true, ...})
    this.focus = null;      // the cell the keyboard is on: {i, j}
    this.listKey = "";
    this.canvas = h("canvas", { class: "regime-canvas", role: "img", tabindex: 0,
      "aria-label": "Regime map: final loss per learning rate and second hyper-parameter. Arrow keys move between cells, Enter adds that run to the scene; clicking a cell does too." });
    this.status = h("p", { class: "run-status", "aria-live": "polite" });
    this.readout = h("p", { class: "regime-readout", "aria-live": "polite" }, "Compute a map, then hover over a cell or use the arrow keys to read its final loss.");
    this.bar = colourBar({ title: "Final loss (colour by rank: dark = lowest; ✕ diverged)", label: "Colour bar of the regime map: final loss" });
    this.bar.hidden = true;
    this.controls = h("div", { class: "regime-controls" });
    this.el = h("section", { class: "panel regime", "aria-label": "Regime map" },
      h("h2", {}, "Regime map"),
      h("p", { class: "hint" }, "One optimizer over a grid of two hyper-parameters, every cell a run from the scene's start. Click a cell to add that run to the scene."),
      this.controls, this.status, h("div", { class: "regime-wrap" }, this.canvas), this.bar, this.readout);
    this.canvas.addEventListener("mousemove", (ev) => this.pointAt(ev));
    this.canvas.addEventListener("mouseleave", () => this.describe(this.focus));
    this.canvas.addEventListener("click", (ev) => { const c = this.cellAt(ev); if (c) this.choose(c); });
    this.canvas.addEventListener("keydown", (ev) => this.key(ev));
    this.refresh();
  }

  // The scene's run the map is for: kept by identity, so removing another run, or this one,
  // never maps a different run under an old name.
  chosen() {
    const opts = this.getScene().optimizers;
    if (!opts.includes(this.settings.entry)) this.settings.entry = opts[0];
    return this.settings.entry;
  }

  // The scene's runs changed: rebuild the optimizer list when its names did.
  refresh() {
    const entry = this.chosen(), names = this.labels();
    const key = JSON.stringify([names, this.getScene().optimizers.indexOf(entry), entry.name]);
    if (key === this.listKey) return;
    this.listKey = key;
    this.buildControls();
  }

  buildControls() {
    const settings = this.settings, entry = this.chosen(), meta = this.optById[entry.name];
    const opts = this.getScene().optimizers, names = this.labels();
    const numeric = meta ? Object.entries(meta.ranges).filter(([k, r]) => k !== "lr" && (r[2] === "float" || r[2] === "log")).map(([k]) => k) : [];
    if (!numeric.includes(settings.y)) settings.y = PREFERRED_Y.find((k) => numeric.includes(k)) || numeric[0];
    this.controls.replaceChildren(
      selectControl({ label: "Optimizer", name: "regime.optimizer", value: String(opts.indexOf(entry)),
        options: opts.map((x, i) => [String(i), `${i + 1}. ${names[i]}`]),
        onChange: (v) => { settings.entry = opts[+v]; this.listKey = ""; this.refresh(); } }).el,
      selectControl({ label: "Second hyper-parameter (y axis)", name: "regime.y.param", value: settings.y,
        options: numeric.map((k) => [k, k]), onChange: (v) => { settings.y = v; } }).el,
      numberControl({ label: "Cells per axis", name: "regime.n", value: settings.n, lo: 2, hi: 40, kind: "int",
        onChange: (v) => { settings.n = v; } }).el,
      h("button", { type: "button", class: "button", onclick: () => this.compute() }, "Compute map"),
      h("button", { type: "button", class: "button secondary", onclick: () => this.api.cancel() }, "Stop"));
  }

  // Steps are cut so the whole map stays within the catalog's regime budget.
  spec() {
    const scene = this.getScene(), o = this.chosen(), { y, n } = this.settings;
    const [ylo, yhi] = this.optById[o.name].ranges[y];
    const L = this.catalog.limits.regime;
    const steps = Math.max(1, Math.min(scene.steps, Math.floor(L.max_work / (n * n)), L.max_steps));
    return {
      kind: "regime", function: scene.function, function_params: scene.function_params, start: scene.start, steps,
      optimizer: { name: o.name, ...o.params },
      x: { param: "lr", min: 1e-5, max: 1.0, n, scale: "log" },
      y: { param: y, min: ylo, max: Math.min(yhi, 0.999), n, scale: "linear" },
    };
  }

  compute() {
    if (!this.optById[this.chosen().name]) {   // the learner's own code: the map takes registered optimizers
      this.status.textContent = "The regime map runs the built-in optimizers: choose one of them above.";
      return;
    }
    const s = this.spec(), status = this.status, entry = this.chosen();
    const scene = this.getScene(), result = this.getResult(), i = scene.optimizers.indexOf(entry);
    // what the map is of, kept with it: the run's name and settings, and its start's loss
    const about = { label: this.labels()[i], params: { ...this.optById[entry.name].defaults, ...entry.params },
      startLoss: result && result.runs[i] && JSON.stringify(result.runs[i].path[0]) === JSON.stringify(s.start) ? result.runs[i].loss[0] : null };
    status.textContent = "Computing…";
    this.focus = null;
    const regime = this.regime = { partial: true, spec: s, about, final_loss: [], diverged_at: [] };
    this.api.run(s, {
      onProgress: ({ done, total, partial }) => {
        status.textContent = `Row ${done} of ${total}`;
        if (partial && partial.final_loss) { regime.final_loss[partial.row] = partial.final_loss; regime.diverged_at[partial.row] = partial.diverged_at; this.draw(); }
      },
    }).then((r) => {
      this.regime = r; r.spec = s; r.about = about;
      status.textContent = `${about.label}: ${r.x.n} × ${r.y.n} runs of ${r.steps} steps`;
      this.draw();
    }, (err) => { status.textContent = err.kind === "Cancelled" ? "Stopped." : (err.field ? `${err.field}: ${err.message}` : err.message); });
  }

  grid() {
    const regime = this.regime;
    const n = regime.spec ? regime.spec.x.n : regime.x.n;
    const ny = regime.spec ? regime.spec.y.n : regime.y.n;
    const width = Math.max(200, Math.min(520, this.el.clientWidth - 34 || 480));
    const cw = (width - MARGIN.l - MARGIN.r) / n, ch = Math.min(cw, 22);
    return { n, ny, cw, ch, width };
  }

  draw() {
    const regime = this.regime;
    if (!regime) return;
    const g = this.grid();
    const ctx = fitCanvas(this.canvas, g.width, MARGIN.t + MARGIN.b + g.ch * g.ny);
    drawCells(ctx, regime, g);
    if (regime.x && regime.x.values) {
      drawAxes(ctx, regime, g);
      drawRegions(ctx, regime, g);
      drawCurrent(ctx, regime, g);
    }
    if (this.focus) ring(ctx, this.focus, g, "#fff", 2.5, true);
    this.showBar();
  }

  // The colour bar: the final loss at each rank (the map colours by rank).
  showBar() {
    const sorted = finiteSorted(this.regime);
    this.bar.hidden = !sorted.length;
    if (!sorted.length) return;
    this.bar.update(BAR_TICKS.map((t) => [t, fmt(sorted[Math.round(t * (sorted.length - 1))], 2)]));
  }

  cellAt(ev) {
    const regime = this.regime;
    if (!regime || !regime.x || !regime.x.values) return null;
    const { n, ny, cw, ch } = this.grid();
    const rect = this.canvas.getBoundingClientRect();
    const j = Math.floor((ev.clientX - rect.left - MARGIN.l) / cw), i = ny - 1 - Math.floor((ev.clientY - rect.top - MARGIN.t) / ch);
    return j < 0 || j >= n || i < 0 || i >= ny ? null : { i, j };
  }

  pointAt(ev) { this.describe(this.cellAt(ev) || this.focus); }

  // The readout line: one cell's settings and final loss, in the page's names.
  describe(cell) {
    const r = this.regime;
    if (!cell || !r || !r.x || !r.x.values) return;
    const { i, j } = cell, loss = r.final_loss[i][j], div = r.diverged_at[i][j];
    this.readout.textContent = `lr = ${fmt(r.x.values[j], 3)}, ${paramSymbol(r.y.param)} = ${fmt(r.y.values[i], 3)}: `
      + (div ? `diverged at step ${div}` : `final loss ${fmt(loss, 4)} after ${r.steps} steps`) + ". Click or press Enter to add this run.";
  }

  key(ev) {
    const r = this.regime;
    if (!r || !r.x || !r.x.values) return;
    const { n, ny } = this.grid();
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [1, 0], ArrowDown: [-1, 0] };
    if (Object.hasOwn(moves, ev.key)) {
      ev.preventDefault();
      const f = this.focus || { i: ny - 1, j: 0 };
      this.focus = this.focus ? { i: Math.max(0, Math.min(ny - 1, f.i + moves[ev.key][0])), j: Math.max(0, Math.min(n - 1, f.j + moves[ev.key][1])) } : f;
      this.draw(); this.describe(this.focus);
    } else if ((ev.key === "Enter" || ev.key === " ") && this.focus) {
      ev.preventDefault(); this.choose(this.focus);
    }
  }

  choose({ i, j }) { this.onCell(this.cellOptimizer(this.regime.x.values[j], this.regime.y.values[i])); }

  // The clicked cell's run: the map's hyper-parameters that differ from the defaults,
  // with the cell's lr and y value.
  cellOptimizer(lr, yv) {
    const base = this.regime.optimizer;
    const defaults = this.optById[base.name].defaults;
    const params = { ...Object.fromEntries(Object.entries(base.params).filter(([k, v]) => v !== defaults[k])),
      lr: +lr.toPrecision(6), [this.regime.y.param]: +yv.toPrecision(6) };
    return { name: base.name, params };
  }
}

const finiteSorted = (regime) => regime.final_loss.flat().filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
const cellXY = ({ i, j }, { ny, cw, ch }) => [MARGIN.l + j * cw, MARGIN.t + (ny - 1 - i) * ch];

// Colour by rank of the final loss: an ordering only, no arithmetic on the model's numbers.
function drawCells(ctx, regime, { n, ny, cw, ch }) {
  const finite = finiteSorted(regime);
  const rank = (v) => finite.length > 1 ? finite.indexOf(v) / (finite.length - 1) : 0;
  for (let i = 0; i < ny; i++) {
    const row = regime.final_loss[i];
    if (!row) continue;
    for (let j = 0; j < n; j++) {
      const [x, y] = cellXY({ i, j }, { ny, cw, ch });
      if (row[j] === null) {
        ctx.fillStyle = "#eee"; ctx.fillRect(x, y, cw - 1, ch - 1);
        ctx.fillStyle = "#b91c1c"; ctx.font = `${Math.min(14, ch)}px system-ui`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillText("✕", x + cw / 2, y + ch / 2);
      } else {
        const k = Math.round(rank(row[j]) * 255) * 3;
        ctx.fillStyle = `rgb(${LUT[k]},${LUT[k + 1]},${LUT[k + 2]})`; ctx.fillRect(x, y, cw - 1, ch - 1);
      }
    }
  }
}

function drawAxes(ctx, regime, { n, ny, cw, ch }) {
  const m = MARGIN;
  ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--text").trim() || "#222";
  ctx.font = "11px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 6))) ctx.fillText(fmt(regime.x.values[j], 2), m.l + (j + 0.5) * cw, m.t + ny * ch + 3);
  ctx.fillText("learning rate lr (log scale) →", m.l + (n * cw) / 2, m.t + ny * ch + 18);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let i = 0; i < ny; i += Math.max(1, Math.floor(ny / 5))) ctx.fillText(fmt(regime.y.values[i], 3), m.l - 4, m.t + (ny - 1 - i + 0.5) * ch);
  ctx.save(); ctx.translate(10, m.t + (ny * ch) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText(`${regime.y.param} (${paramSymbol(regime.y.param)})`, 0, 0); ctx.restore();
}

// "diverges" over the diverged cells, "too slow" over the cells whose final loss is still
// above SLOW_FRACTION of the start's, each where at least MIN_REGION cells say so.
function drawRegions(ctx, regime, g) {
  const cells = (test) => {
    const out = [];
    regime.final_loss.forEach((row, i) => row && row.forEach((v, j) => { if (test(v, i, j)) out.push({ i, j }); }));
    return out;
  };
  const diverged = cells((v) => v === null);
  const start = regime.about && regime.about.startLoss;
  const slow = Number.isFinite(start) && start > 0 ? cells((v) => v !== null && v >= start * SLOW_FRACTION) : [];
  label(ctx, diverged, "diverges", g);
  label(ctx, slow, "too slow", g);
}

// A region's label at the middle of its cells (a placement, not a model quantity).
function label(ctx, cells, text, g) {
  if (cells.length < MIN_REGION) return;
  const mid = cells.reduce((a, c) => ({ i: a.i + c.i / cells.length, j: a.j + c.j / cells.length }), { i: 0, j: 0 });
  const [x, y] = cellXY(mid, g);
  ctx.font = "bold 12px system-ui, sans-serif";
  const w = ctx.measureText(text).width + 10;
  const lx = Math.max(MARGIN.l, Math.min(x + g.cw / 2 - w / 2, MARGIN.l + g.n * g.cw - w)), ly = y + g.ch / 2 - 9;
  ctx.fillStyle = "rgba(17,24,39,0.85)"; ctx.fillRect(lx, ly, w, 18);
  ctx.fillStyle = "#fff"; ctx.textAlign = "left"; ctx.textBaseline = "middle"; ctx.fillText(text, lx + 5, ly + 9.5);
}

// A ring on the cell nearest to the scene's run the map was made for (when it lies on the map).
function drawCurrent(ctx, regime, g) {
  const p = regime.about && regime.about.params;
  if (!p) return;
  const j = nearestIndex(regime.x.values, p.lr, true), i = nearestIndex(regime.y.values, p[regime.y.param], false);
  if (i === null || j === null) return;
  ring(ctx, { i, j }, g, "#fff", 3, false);
  const [x, y] = cellXY({ i, j }, g);
  ctx.fillStyle = "rgba(17,24,39,0.85)"; ctx.font = "bold 11px system-ui, sans-serif";
  const w = ctx.measureText("this run").width + 8;
  const lx = Math.min(x, MARGIN.l + g.n * g.cw - w), ly = Math.max(0, y - 16);
  ctx.fillRect(lx, ly, w, 15); ctx.fillStyle = "#fff"; ctx.textAlign = "left"; ctx.textBaseline = "middle"; ctx.fillText("this run", lx + 4, ly + 8);
}

// The index of the axis value nearest to v (by ratio on a log axis), or null off the axis.
function nearestIndex(values, v, log) {
  if (typeof v !== "number" || v < values[0] || v > values[values.length - 1] || (log && v <= 0)) return null;
  let best = 0;
  const gap = (a) => (log ? Math.max(a / v, v / a) : Math.abs(a - v));
  values.forEach((a, k) => { if (gap(a) < gap(values[best])) best = k; });
  return best;
}

function ring(ctx, cell, g, colour, width, dashed) {
  const [x, y] = cellXY(cell, g);
  ctx.strokeStyle = "#000"; ctx.lineWidth = width + 2; ctx.setLineDash([]);
  ctx.strokeRect(x + 1, y + 1, g.cw - 3, g.ch - 3);
  ctx.strokeStyle = colour; ctx.lineWidth = width; if (dashed) ctx.setLineDash([3, 2]);
  ctx.strokeRect(x + 1, y + 1, g.cw - 3, g.ch - 3); ctx.setLineDash([]);
}
