// The landscape's main panel: the canvas, the timeline, the status line, the loss chart
// and the exports. render() draws the scene and what the worker returned for it (`shown`).
import { h } from "../../lib/dom.js";
import { LineChart } from "../../lib/chart.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../../lib/download.js";
import { landscapePlot, drawLossChart } from "./draw.js";
import { timeline } from "./timeline.js";

// shown: {result, spec, ms, revealed, grid, heat, gridVersion, hover}
export function landscapeStage({ catalog, scene, shown, notify, alive, onSettle }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const canvas = h("canvas", { class: "landscape-canvas", tabindex: 0, role: "img",
    "aria-label": "Loss landscape with optimizer trajectories. Click or drag to move the start point; arrow keys move it too." });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const chartCanvas = h("canvas", { class: "loss-chart", role: "img", "aria-label": "Loss versus step for every run (log scale)" });
  const chart = new LineChart(chartCanvas, { height: 200, logY: true, yLabel: "f − f_min" });
  const steps = timeline({ getScene: () => scene, alive, onStep: render, onSettle });
  const el = h("section", { class: "panel main", "aria-label": "Landscape" },
    h("div", { class: "canvas-wrap" }, canvas, tooltip), steps.el, status,
    h("div", { class: "chart-wrap" }, chartCanvas),
    exportButtons({ png: () => downloadPNG(`descentlab-${scene.function}.png`, canvas), csv: exportCSV,
      json: () => shown.result && downloadJSON(`descentlab-${scene.function}.json`, { spec: shown.spec, result: shown.result }),
      notify, copied: "Link copied: it reproduces this scene." }));
  const plot = landscapePlot(canvas, el);

  function render() {
    if (!alive()) return;
    plot.draw({ ...shown, fn: fnById[scene.function], scene, selected: scene.selected });
    steps.show();
    drawLossChart(chart, { result: shown.result, scene, revealed: shown.revealed });
  }

  function showStatus() {
    const { result, spec, ms } = shown;
    if (!result) return;
    status.textContent = !shown.revealed ? "Runs computed; they are hidden until you predict."
      : `${result.runs.length} runs × ${spec.steps} steps computed in ${ms.toFixed(0)} ms` +
        result.runs.filter((x) => x.diverged_at).map((x) => ` · ${x.label || x.name} diverged at step ${x.diverged_at}`).join("");
  }

  function exportCSV() {
    if (!shown.result) return;
    const rows = [];
    shown.result.runs.forEach((r, i) => r.path.forEach((p, k) => rows.push([i + 1, r.name, k, p[0], p[1], r.loss[k], r.diverged_at ?? ""])));
    downloadCSV(`descentlab-${scene.function}.csv`, ["run", "optimizer", "step", "x", "y", "loss", "diverged_at"], rows);
  }

  return { el, canvas, tooltip, plot, timeline: steps, render, showStatus };
}
