// The landscape's main panel: the canvas with its colour bar, the timeline, the status line,
// the selected step in words, the loss chart with its legend and the exports. render()
// draws the scene and what the worker returned for it (`shown`).
import { h, fmt } from "../../lib/dom.js";
import { LineChart, chartLegend } from "../../lib/chart.js";
import { colourBar, cssColour, SHADE_LIGHTEN } from "../../lib/canvas.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../../lib/download.js";
import { landscapePlot, drawLossChart } from "./draw.js";
import { timeline } from "./timeline.js";

const BAR_TICKS = [0, 0.25, 0.5, 0.75, 1];   // where the colour bar names the loss

// shown: {result, spec, ms, precomputed, revealed, grid, heat, gridVersion, hover}; labels(): the runs' names
export function landscapeStage({ catalog, scene, shown, notify, labels, alive, onSettle }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const canvas = h("canvas", { class: "landscape-canvas", tabindex: 0, role: "img",
    "aria-label": "Loss landscape with optimizer trajectories. Click a path to inspect a step; click or drag elsewhere to move the start point. "
      + "Keys: left and right arrows walk the selected run's path, up and down switch run, Escape clears, Shift with an arrow moves the start point, space plays." });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const bar = colourBar({ title: "Shading: f at each point (log colour scale)", lighten: SHADE_LIGHTEN, label: "Colour bar of the landscape: loss values" });
  const undo = h("p", { class: "undo-bar", hidden: true });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const selection = h("p", { class: "selection-summary", "aria-live": "polite" });
  const chartCanvas = h("canvas", { class: "loss-chart", role: "img", "aria-label": "Loss versus step for every run (log scale)" });
  const legend = chartLegend([], { label: "Loss chart legend" });
  const chart = new LineChart(chartCanvas, { height: 200, logY: true, yLabel: "f − f_min" });
  const steps = timeline({ getScene: () => scene, alive, onStep: render, onSettle });
  const wrap = h("div", { class: "canvas-wrap" }, canvas, tooltip);
  const el = h("section", { class: "panel main", "aria-label": "Landscape" },
    wrap, bar, undo, steps.el, status, selection,
    h("div", { class: "chart-wrap" }, chartCanvas), legend,
    exportButtons({ png: () => downloadPNG(`descentlab-${scene.function}.png`, canvas), csv: exportCSV,
      json: () => shown.result && downloadJSON(`descentlab-${scene.function}.json`, { spec: shown.spec, result: shown.result }),
      notify, copied: "Link copied: it reproduces this scene." }));
  const plot = landscapePlot(canvas, wrap);
  let barFor = -1;   // the grid version the colour bar shows

  // midDrag: a scene of a drag still going on; its legend waits for the drag's end
  function render({ midDrag = false } = {}) {
    if (!alive()) return;
    plot.draw({ ...shown, fn: fnById[scene.function], scene, selected: scene.selected, labels: labels() });
    steps.show();
    drawLossChart(chart, { result: shown.result, scene, revealed: shown.revealed });
    if (!midDrag) showLegend();
    if (shown.grid && barFor !== shown.gridVersion) { barFor = shown.gridVersion; bar.update(gridTicks(shown.grid)); }
  }

  // One entry per run: its colour, its name and, once shown, where it ended.
  function showLegend() {
    const r = shown.result, names = labels();
    legend.update(!r || !shown.revealed ? [] : r.runs.map((run, i) => ({
      color: cssColour(scene.optimizers[i] && scene.optimizers[i].color, i), label: names[i] ?? run.name,
      value: run.diverged_at ? `✕ diverged at step ${run.diverged_at}` : `final f = ${fmt(run.final_loss, 3)}`,
    })));
  }

  function showStatus() {
    const { result, spec, ms } = shown;
    if (!result) return;
    const names = labels();
    status.textContent = shown.precomputed ? "Computed ahead of time: interactive in a moment, once Python has loaded."
      : !shown.revealed ? "Runs computed; they are hidden until you predict."
      : `${result.runs.length} runs × ${spec.steps} steps computed in ${ms.toFixed(0)} ms` +
        result.runs.map((x, i) => (x.diverged_at ? ` · ${names[i] ?? x.name} diverged at step ${x.diverged_at}` : "")).join("");
  }

  // The selected step in words, for everyone and for screen readers (aria-live).
  function showSelection() {
    const sel = scene.selected, r = sel && shown.result && shown.revealed && shown.result.runs[sel.run];
    if (!r) { selection.textContent = "Nothing selected: click a path, or focus the plot and press an arrow key."; return; }
    const k = Math.min(sel.step, r.path.length - 1);
    selection.textContent = `Selected: run ${sel.run + 1} of ${shown.result.runs.length}, ${labels()[sel.run] ?? r.name}, `
      + `step ${k} of ${r.path.length - 1}: x = ${fmt(r.path[k][0], 4)}, y = ${fmt(r.path[k][1], 4)}, f = ${fmt(r.loss[k], 4)}.`;
  }

  // After the pointer moved the start point: say so, and offer to put it back (from: the
  // old start, restore(): puts it back). offerUndo(null) takes the offer away.
  function offerUndo(from, restore) {
    undo.hidden = !from;
    if (!from) { undo.replaceChildren(); return; }
    undo.replaceChildren(`Start point moved to (${fmt(scene.start[0], 4)}, ${fmt(scene.start[1], 4)}). `,
      h("button", { type: "button", class: "button secondary", onclick: () => { offerUndo(null); restore(); } },
        `Undo: back to (${fmt(from[0], 4)}, ${fmt(from[1], 4)})`));
  }

  function exportCSV() {
    if (!shown.result) return;
    const rows = [];
    shown.result.runs.forEach((r, i) => r.path.forEach((p, k) => rows.push([i + 1, r.name, k, p[0], p[1], r.loss[k], r.diverged_at ?? ""])));
    downloadCSV(`descentlab-${scene.function}.csv`, ["run", "optimizer", "step", "x", "y", "loss", "diverged_at"], rows);
  }

  return { el, canvas, tooltip, plot, timeline: steps, render, showStatus, showSelection, offerUndo };
}

// The colour bar's labels: for each tick position, the loss of the grid sample whose shade
// is nearest to it (a lookup in what Python returned: the shade is Python's own scale).
function gridTicks(grid) {
  const best = BAR_TICKS.map(() => ({ d: Infinity, z: null }));
  grid.shade.forEach((row, i) => row.forEach((s, j) => {
    BAR_TICKS.forEach((t, n) => {
      const d = Math.abs(s - t);
      if (d < best[n].d) best[n] = { d, z: grid.z[i][j] };
    });
  }));
  return BAR_TICKS.map((t, n) => [t, best[n].z === null ? "" : fmt(best[n].z, 2)]);
}
