// "Tune learning rates" in the network view: a fair comparison (issue #16 item 7). Python
// does all of it (the "tune" spec kind, pywasm/descentlab/tune.py): each optimizer is
// trained at every lr of a log grid, keeps the lr with the lowest validation loss, and is
// trained again on other seeds (initial weights, validation split, batch order). This panel
// sends the network spec as a tune, shows progress with Stop, and draws what comes back:
// each optimizer's median validation loss at its best lr with the min–max band over the
// seeds, the grid's losses, the best lr beside each run's name, and the result's own note
// that the ranking holds for this dataset, network, seeds and settings only.
// "Use these lrs" hands the best lrs to the view, which sets them and trains.
import { h, fmt } from "../../lib/dom.js";
import { numberControl } from "../../lib/controls.js";
import { LineChart, chartLegend } from "../../lib/chart.js";
import { cssColour } from "../../lib/canvas.js";
import { runLabels } from "../../lib/labels.js";

// The tune's own fields (the rest of a refused field is the scene's: "scene.epochs").
const OWN_FIELDS = ["lr.min", "lr.max", "lr.points", "repeats"];

// spec(): the network spec the view would train; entries(): its optimizer list (the
// labels' source); sceneError(err): a refused scene field named and marked as the view
// does; use(best, entries): set each optimizer's lr to its best ({lr, run}) and train, or
// return why not; blocked(): why the scene cannot be tuned now ("" when it can).
export function tunePanel({ api, catalog, spec, entries, sceneError, use, blocked = () => "" }) {
  const T = catalog.limits.tune;
  const asked = { min: T.default_lr.min, max: T.default_lr.max, points: T.default_lr.points, repeats: T.default_repeats };
  const ctl = (label, name, key, lo, hi, kind) => numberControl({ label, name, value: asked[key], lo, hi, kind,
    onChange: (v) => { asked[key] = v; } });
  const controls = {
    "lr.min": ctl("lr from", "lr.min", "min", T.lr_min, T.lr_max, "log"),
    "lr.max": ctl("lr to", "lr.max", "max", T.lr_min, T.lr_max, "log"),
    "lr.points": ctl("Grid points", "lr.points", "points", T.min_points, T.max_points, "int"),
    repeats: ctl("Seeds (repeats)", "repeats", "repeats", 1, T.max_repeats, "int"),
  };
  const runBtn = h("button", { type: "button", class: "button tune-run", onclick: () => start() }, "Tune learning rates");
  const stopBtn = h("button", { type: "button", class: "button secondary tune-stop", disabled: true, onclick: () => stop() }, "Stop");
  const progress = h("progress", { class: "tune-progress", max: 1, value: 0, "aria-label": "Tuning progress" });
  const status = h("p", { class: "tune-status", "aria-live": "polite" });
  const message = h("p", { class: "tune-message", role: "alert", hidden: true });
  const out = h("div", { class: "tune-result" });
  const el = h("section", { class: "panel tune", "aria-label": "Tune learning rates" },
    h("h2", {}, "Fair comparison: each optimizer at its own best lr"),
    h("p", { class: "hint" }, "Trains every optimizer at each learning rate of a log grid, keeps the one with the lowest "
      + "validation loss, then trains it again on other seeds (initial weights, validation split, batch order) "
      + "to show how much of the ranking is luck. It trains the network many times: watch the progress, Stop at any time."),
    h("div", { class: "tune-controls" }, ...Object.values(controls).map((c) => c.el)),
    h("div", { class: "tune-actions" }, runBtn, stopBtn, progress), status, message, out);
  let running = null;
  let chart = null;
  let coreMarked = null;   // the control of the field the core refused last

  const say = (text) => { message.hidden = !text; message.textContent = text || ""; };

  async function start() {
    if (running) return;
    if (coreMarked) { coreMarked.showError(null); coreMarked = null; }   // the core checks again
    // an entry the page refused keeps its last good value in `asked`: name it rather than tune that
    const refused = Object.values(controls).find((c) => c.el.classList.contains("invalid"));
    const why = refused ? `${refused.el.querySelector(".field-error").textContent}. Fix it to tune.` : blocked();
    if (why) { say(why); return; }
    const names = entries().map((o) => ({ ...o }));
    const labels = runLabels(names, catalog);
    const s = { kind: "tune", scene: spec(), lr: { min: asked.min, max: asked.max, points: asked.points }, repeats: asked.repeats };
    runBtn.disabled = true; stopBtn.disabled = false; progress.value = 0;
    say(""); status.textContent = "Tuning… (checking the spec)"; out.replaceChildren(); chart = null;
    delete el.dataset.digest;
    running = api.run(s, { onProgress: ({ done, total }) => {
      if (!total) return;
      progress.max = total; progress.value = done;
      status.textContent = `Tuning: run ${Math.min(done + 1, total)} of ${total}`;
    } });
    try {
      const result = await running;
      status.textContent = `Tuned ${result.tuned.length} optimizers over ${result.lr.values.length} learning rates and ${result.repeats} seed${result.repeats === 1 ? "" : "s"}.`;
      el.dataset.digest = result.digest || "";
      show(result, labels, names);
    } catch (err) {
      status.textContent = "";
      if (err.kind === "Cancelled") status.textContent = "Stopped: a tune shows its result only when every run has finished; nothing was kept.";
      else say(errorText(err));
    } finally {
      running = null; runBtn.disabled = false; stopBtn.disabled = true; progress.value = 0;
    }
  }

  function stop() { if (running) api.cancel(running); }

  // A tune field is marked on its own control; a scene field ("scene.epochs") as the view
  // names it; a budget refusal names its driving field and says what to lower.
  function errorText(err) {
    const field = err.field || "";
    if (OWN_FIELDS.includes(field)) {
      coreMarked = controls[field];
      coreMarked.showError(err.message);
      return `${controls[field].el.querySelector("label").textContent}: ${err.message}`;
    }
    if (field.startsWith("scene.")) return sceneError({ ...err, field: field.slice("scene.".length), message: err.message });
    return err.message || String(err);
  }

  function show(result, labels, names) {
    const colour = (t, i) => cssColour(t.best_run.color, i);
    const name = (i) => `${i + 1}. ${labels[i] ?? `run ${i + 1}`}`;
    const canvas = h("canvas", { class: "tune-chart", role: "img",
      "aria-label": "Validation loss per epoch of each optimizer at its best lr: median over the seeds, with their min–max band" });
    const epochs = (v) => v.map((_, k) => k + 1);
    const series = result.tuned.map((t, i) => {
      const v = t.spread.val_loss;
      return { color: colour(t, i), values: v.median, x: epochs(v.median), band: { lo: v.min, hi: v.max }, width: 2 };
    });
    chart = new LineChart(canvas, { height: 220, xLabel: "epoch", yLabel: "validation loss", logY: spansDecades(series) });
    const legend = chartLegend(result.tuned.map((t, i) => ({ color: colour(t, i), label: name(i),
      value: `· best lr ${fmt(t.best_lr, 3)}${t.best_diverged ? " (diverged)" : ` · val loss ${fmt(bestScore(t), 3)}`}` })),
    { label: "Each optimizer at its best lr" });
    legend.classList.add("tune-best");
    const seeds = result.tuned[0] ? result.tuned[0].spread.seeds : [];
    const useBtn = h("button", { type: "button", class: "button tune-use",
      onclick: () => say(use(result.tuned.map((t) => ({ lr: t.best_lr, run: t.best_run })), names)) }, "Use these lrs and train");
    out.replaceChildren(
      h("p", { class: "tune-notes" }, h("strong", {}, "Note: "), result.notes),
      h("figure", { class: "chart-wrap" },
        h("figcaption", {}, "Validation loss per epoch, each optimizer at its best lr"), h("div", { class: "chart-box" }, canvas), legend),
      h("p", { class: "hint" }, `Best lr = ${result.criterion}. Line: the median over seed${seeds.length === 1 ? "" : "s"} ${seeds.join(", ")}; `
        + "band: their min to max."),
      h("div", { class: "tune-actions" }, useBtn,
        h("span", { class: "hint" }, "sets each optimizer's lr to its best and trains the scene")),
      gridTable(result, name, colour));
    requestAnimationFrame(() => chart && chart.set(series));
  }

  return {
    el,
    get running() { return running; },
    draw() { if (chart) chart.draw(); },
    stop,
  };
}

// A log axis only when the bands span more than LOG_SPAN (a diverging seed): the chart
// labels a log axis at whole decades only, and best-lr losses mostly lie within one.
const LOG_SPAN = 20;
function spansDecades(series) {
  const vals = series.flatMap((s) => [...s.band.lo, ...s.band.hi]).filter((v) => Number.isFinite(v) && v > 0);
  return vals.length > 0 && Math.max(...vals) > LOG_SPAN * Math.min(...vals);
}

// The score that chose the best lr: the grid's validation loss there.
const bestScore = (t) => t.grid.loss[t.best_index];

// The lowest validation loss at each grid lr, one row per optimizer; the best is marked
// with ★, a diverged run says at which step.
function gridTable(result, name, colour) {
  const lrs = result.lr.values;
  // the title sits outside the sideways-scrolling box, so a phone reads it whole
  const id = `tune-grid-title-${++tables}`;
  return h("div", { class: "tune-grid-box" }, h("p", { class: "tune-grid-title", id }, "Lowest validation loss at each learning rate of the grid (seed as set)"),
    h("div", { class: "table-scroll" }, h("table", { class: "tune-grid", "aria-labelledby": id },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "optimizer"), ...lrs.map((lr) => h("th", { scope: "col" }, `lr ${fmt(lr, 2)}`)))),
    h("tbody", {}, ...result.tuned.map((t, i) => h("tr", {},
      h("th", { scope: "row" }, h("span", { class: "swatch", style: { background: colour(t, i) } }), name(i)),
      ...t.grid.loss.map((loss, j) => h("td", { class: `${j === t.best_index ? "best" : ""}${t.grid.diverged[j] ? " diverged" : ""}`,
        "data-value": loss === null ? "" : String(loss) },
      t.grid.diverged[j] ? `diverged at ${t.grid.diverged_at[j]}` : fmt(loss, 3), j === t.best_index ? " ★" : ""))))))));
}
let tables = 0;
