// The regime map: one optimizer of the scene over a grid of learning rate × a second
// hyper-parameter, each cell coloured by the rank of its final loss (✕: diverged), rows
// drawn as they arrive. Clicking a cell hands that run to the view (onCell).
import { h, fmt } from "../../lib/dom.js";
import { fitCanvas, LUT } from "../../lib/canvas.js";
import { numberControl, selectControl } from "../../lib/controls.js";

const MARGIN = { l: 60, r: 10, t: 10, b: 40 };
const PREFERRED_Y = ["momentum", "beta1", "alpha", "rho"];

export class RegimeMap {
  // getScene(): the scene the map is computed for; onCell({name, params}): a cell was clicked
  constructor({ api, catalog, getScene, onCell }) {
    Object.assign(this, { api, catalog, getScene, onCell });
    this.optById = Object.fromEntries(catalog.optimizers.map((o) => [o.name, o]));
    this.settings = { opt: 0, y: null, n: 12 };
    this.regime = null;     // the last result, or the rows received so far ({partial: true, ...})
    this.canvas = h("canvas", { class: "regime-canvas", role: "img", tabindex: 0,
      "aria-label": "Regime map: final loss per learning rate and second hyper-parameter; click a cell to play that run" });
    this.status = h("p", { class: "run-status", "aria-live": "polite" });
    this.controls = h("div", { class: "regime-controls" });
    this.el = h("section", { class: "panel regime", "aria-label": "Regime map" },
      h("h2", {}, "Regime map"),
      h("p", { class: "hint" }, "One optimizer over a grid of two hyper-parameters: colour ranks the final loss (dark = lowest), ✕ marks runs that diverged. Click a cell to add that run to the scene."),
      this.controls, this.status, h("div", { class: "regime-wrap" }, this.canvas));
    this.buildControls();
  }

  // The map runs a registered optimizer: the learner's own code (name "custom") is left out.
  builtIns() { return this.getScene().optimizers.map((o, i) => [o, i]).filter(([o]) => this.optById[o.name]); }
  chosen() { const list = this.builtIns(); return list.length ? list[Math.min(this.settings.opt, list.length - 1)][0] : null; }

  buildControls() {
    if (!this.chosen()) {
      this.controls.replaceChildren(h("p", { class: "hint" }, "The regime map runs the built-in optimizers: add one to the scene."));
      return;
    }
    const settings = this.settings, meta = this.optById[this.chosen().name];
    const numeric = Object.entries(meta.ranges).filter(([k, r]) => k !== "lr" && (r[2] === "float" || r[2] === "log")).map(([k]) => k);
    if (!numeric.includes(settings.y)) settings.y = PREFERRED_Y.find((k) => numeric.includes(k)) || numeric[0];
    this.controls.replaceChildren(
      selectControl({ label: "Optimizer", name: "regime.optimizer", value: String(settings.opt),
        options: this.builtIns().map(([x, i], k) => [String(k), `${i + 1}. ${this.optById[x.name].title}`]),
        onChange: (v) => { settings.opt = +v; this.buildControls(); } }).el,
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
    const s = this.spec(), status = this.status;
    status.textContent = "Computing…";
    const regime = this.regime = { partial: true, spec: s, final_loss: [], diverged_at: [] };
    this.api.run(s, {
      onProgress: ({ done, total, partial }) => {
        status.textContent = `Row ${done} of ${total}`;
        if (partial && partial.final_loss) { regime.final_loss[partial.row] = partial.final_loss; regime.diverged_at[partial.row] = partial.diverged_at; this.draw(); }
      },
    }).then((r) => { this.regime = r; r.spec = s; status.textContent = `${r.x.n} × ${r.y.n} runs of ${r.steps} steps`; this.draw(); },
      (err) => { status.textContent = err.kind === "Cancelled" ? "Stopped." : (err.field ? `${err.field}: ${err.message}` : err.message); });
  }

  draw() {
    const regime = this.regime;
    if (!regime) return;
    const n = regime.spec ? regime.spec.x.n : regime.x.n;
    const ny = regime.spec ? regime.spec.y.n : regime.y.n;
    const width = Math.min(520, this.el.clientWidth - 20 || 480);
    const cw = (width - MARGIN.l - MARGIN.r) / n, ch = Math.min(cw, 22);
    const ctx = fitCanvas(this.canvas, width, MARGIN.t + MARGIN.b + ch * ny);
    ctx.clearRect(0, 0, width, this.canvas.height);
    const grid = { n, ny, cw, ch };
    drawCells(ctx, regime, grid);
    if (regime.x && regime.x.values) drawAxes(ctx, regime, grid);
    this.canvas.onclick = (ev) => this.click(ev, grid);
  }

  click(ev, { n, ny, cw, ch }) {
    const regime = this.regime;
    if (!regime.x || !regime.x.values) return;
    const rect = this.canvas.getBoundingClientRect();
    const j = Math.floor((ev.clientX - rect.left - MARGIN.l) / cw), i = ny - 1 - Math.floor((ev.clientY - rect.top - MARGIN.t) / ch);
    if (j < 0 || j >= n || i < 0 || i >= ny) return;
    this.onCell(this.cellOptimizer(regime.x.values[j], regime.y.values[i]));
  }

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

// Colour by rank of the final loss: an ordering only, no arithmetic on the model's numbers.
function drawCells(ctx, regime, { n, ny, cw, ch }) {
  const finite = regime.final_loss.flat().filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  const rank = (v) => finite.length > 1 ? finite.indexOf(v) / (finite.length - 1) : 0;
  for (let i = 0; i < ny; i++) {
    const row = regime.final_loss[i];
    if (!row) continue;
    for (let j = 0; j < n; j++) {
      const x = MARGIN.l + j * cw, y = MARGIN.t + (ny - 1 - i) * ch;
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
  ctx.fillText("lr (log scale) →    colour: rank of the final loss, dark = lowest", m.l + (n * cw) / 2, m.t + ny * ch + 18);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let i = 0; i < ny; i += Math.max(1, Math.floor(ny / 5))) ctx.fillText(fmt(regime.y.values[i], 3), m.l - 4, m.t + (ny - 1 - i + 0.5) * ch);
  ctx.save(); ctx.translate(10, m.t + (ny * ch) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText(regime.y.param, 0, 0); ctx.restore();
}
