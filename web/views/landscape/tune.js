// "Tune learning rates": a fair comparison (issue #16 item 7). Each optimizer of the scene
// runs at every lr of a log grid, keeps its best, and is rerun from jittered starts (and
// noise seeds) to show the spread. Python does all of it (the "tune" spec kind,
// pywasm/descentlab/tune.py); this panel sends the spec, shows progress with Cancel, and
// draws what comes back: each optimizer's median loss with its min–max band, the grid's
// final losses (diverged marked), the best lr of each, and the result's own note that the
// ranking holds for this function and these settings only.
import { h, fmt } from "../../lib/dom.js";
import { numberControl } from "../../lib/controls.js";
import { LineChart, chartLegend } from "../../lib/chart.js";
import { cssColour } from "../../lib/canvas.js";

// spec(): the landscape spec the view runs; labels(): the runs' names in the page;
// showBest(result): draw each optimizer's run at its best lr as the scene.
export function tunePanel({ api, catalog, spec, labels, showBest }) {
  const T = catalog.limits.tune;
  const asked = { min: T.default_lr.min, max: T.default_lr.max, points: T.default_lr.points, repeats: T.default_repeats };
  const ctl = (label, name, key, lo, hi, kind) => numberControl({ label, name, value: asked[key], lo, hi, kind,
    onChange: (v) => { asked[key] = v; } });
  const controls = [ctl("lr from", "lr.min", "min", T.lr_min, T.lr_max, "log"), ctl("lr to", "lr.max", "max", T.lr_min, T.lr_max, "log"),
    ctl("Grid points", "lr.points", "points", T.min_points, T.max_points, "int"), ctl("Repeats", "repeats", "repeats", 1, T.max_repeats, "int")];
  const runBtn = h("button", { type: "button", class: "button tune-run", onclick: () => start() }, "Tune learning rates");
  const cancelBtn = h("button", { type: "button", class: "button secondary tune-cancel", hidden: true, onclick: () => running && api.cancel(running) }, "Cancel");
  const progress = h("progress", { class: "tune-progress", max: 1, value: 0, hidden: true });
  const status = h("p", { class: "tune-status", "aria-live": "polite" });
  const out = h("div", { class: "tune-result" });
  // a full row of the view's grid, under the regime map (views.css places the named areas)
  const el = h("section", { class: "panel tune", "aria-label": "Tune learning rates", style: { gridColumn: "1 / -1" } },
    h("h2", {}, "Fair comparison: each optimizer at its own best lr"),
    h("p", { class: "hint" }, "Runs every optimizer at each learning rate of a log grid, keeps the one with the lowest final loss, "
      + "then reruns it from slightly moved starts (and other noise seeds) to show how much of the ranking is luck."),
    h("div", { class: "tune-controls" }, ...controls.map((c) => c.el)), h("div", { class: "tune-actions" }, runBtn, cancelBtn, progress), status, out);
  let running = null;

  async function start() {
    if (running) return;
    const names = labels();
    const s = { kind: "tune", scene: { ...spec(), record_state: false }, lr: { min: asked.min, max: asked.max, points: asked.points }, repeats: asked.repeats };
    runBtn.disabled = true; cancelBtn.hidden = false; progress.hidden = false; progress.value = 0;
    status.textContent = "Tuning…"; out.replaceChildren();
    running = api.run(s, { onProgress: ({ done, total }) => { if (total) { progress.max = total; progress.value = done; } } });
    try {
      const result = await running;
      status.textContent = "";
      el.dataset.digest = result.digest || "";
      show(result, names);
      showBest(result);
    } catch (err) {
      status.textContent = err.kind === "Cancelled" ? "Cancelled." : (err.field ? `${err.field}: ${err.message}` : err.message);
    } finally {
      running = null; runBtn.disabled = false; cancelBtn.hidden = true; progress.hidden = true;
    }
  }

  function show(result, names) {
    const name = (i) => names[i] ?? `run ${i + 1}`;
    const color = (t, i) => cssColour(t.best_run.color, i);
    const canvas = h("canvas", { class: "tune-chart", "aria-label": "Median loss of each optimizer at its best lr, with the min–max band over the repeats" });
    const chart = new LineChart(canvas, { height: 220 });
    const series = result.tuned.map((t, i) => ({ color: color(t, i), values: t.spread.median, band: { lo: t.spread.min, hi: t.spread.max } }));
    const legend = chartLegend(result.tuned.map((t, i) => ({ color: color(t, i), label: name(i),
      value: `best lr ${fmt(t.best_lr, 3)}${t.best_diverged ? " (diverged)" : `, f = ${fmt(t.best_run.final_loss, 3)}`}` })), { label: "Tuned runs" });
    out.replaceChildren(
      h("p", { class: "tune-notes" }, h("strong", {}, "Note: "), result.notes),
      h("p", { class: "hint" }, `Best lr = ${result.criterion}; line: median of ${result.repeats} repeat${result.repeats === 1 ? "" : "s"}, band: their min to max.`),
      h("div", { class: "chart-box" }, canvas), legend, gridTable(result, name, color));
    requestAnimationFrame(() => chart.set(series));
  }

  return { el, get running() { return running; } };
}

// Final loss at each grid lr, one row per optimizer; the best is marked, a diverged run says so.
function gridTable(result, name, color) {
  const lrs = result.lr.values;
  return h("div", { class: "table-scroll" }, h("table", { class: "tune-grid" },
    h("caption", {}, "Final loss at each learning rate of the grid"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "optimizer"), ...lrs.map((lr) => h("th", { scope: "col" }, `lr ${fmt(lr, 2)}`)))),
    h("tbody", {}, ...result.tuned.map((t, i) => h("tr", {},
      h("th", { scope: "row" }, h("span", { class: "swatch", style: { background: color(t, i) } }), name(i)),
      ...t.grid.loss.map((loss, j) => h("td", { class: `${j === t.best_index ? "best" : ""}${t.grid.diverged[j] ? " diverged" : ""}`,
        "data-value": loss === null ? "" : String(loss) },
      t.grid.diverged[j] ? `diverged at ${t.grid.diverged_at[j]}` : fmt(loss, 3), j === t.best_index ? " ★" : "")))))));
}
