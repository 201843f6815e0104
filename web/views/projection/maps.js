// The projection view's main panel: Compute/Stop and status (from compute.js), the joint
// t-SNE map with a tooltip naming the snapshot under the pointer, the PCA plane with its
// meter, and the exports. draw() redraws both maps from the run's result or live frame.
import { h } from "../../lib/dom.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../../lib/download.js";
import { drawTsne, drawPCA, SIZE } from "./draw.js";

const HOVER_PX = 10;

// job: compute.js's run; colourOf(i), title(name): how runs are shown
export function projectionMaps({ scene, job, colourOf, title, notify, alive }) {
  let hover = null;           // {run, k}: the t-SNE snapshot under the pointer
  let tsne = null;            // what the map shows where ({frame, paths, steps})
  const tsneCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Joint t-SNE map of the weight snapshots" });
  const pcaCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Paths on the PCA plane with loss contours" });
  const meter = h("div", { class: "meter", role: "meter", "aria-label": "Variance of the paths explained by the PCA plane", "aria-valuemin": 0, "aria-valuemax": 100 });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const pcaFigure = h("figure", { class: "proj-fig pca-fig" }, h("figcaption", {}, "PCA plane of all snapshots, with the training loss"), pcaCanvas, meter);
  const el = h("section", { class: "panel main", "aria-label": "Projections" }, job.controls, job.status,
    h("div", { class: "proj-grid" },
      h("figure", { class: "proj-fig" }, h("figcaption", {}, "Joint t-SNE map"), h("div", { class: "canvas-wrap" }, tsneCanvas, tooltip)), pcaFigure),
    exportButtons({ png: exportPNG, csv: () => exportCSV(job.run.result),
      json: () => job.run.result && downloadJSON("descentlab-projection.json", { spec: job.run.spec, result: job.run.result }),
      notify, copied: "Link copied." }));

  function draw() {
    if (!alive()) return;
    const { result, live } = job.run;
    tsne = drawTsne(tsneCanvas, { result, live, hover, colourOf, hidden: scene.hide });
    pcaFigure.hidden = scene.target !== "trajectories";
    drawPCA(pcaCanvas, meter, { result, colourOf, hidden: scene.hide });
  }

  tsneCanvas.addEventListener("pointermove", (ev) => {
    if (!tsne || !tsne.paths.length) return;
    const r = tsneCanvas.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    hover = nearestSnapshot(tsne, scene.hide, px, py);
    tooltip.hidden = !hover;
    if (hover) {
      const step = tsne.steps[hover.run] ? tsne.steps[hover.run][hover.k] : null;
      tooltip.textContent = `${hover.run + 1}. ${title(scene.network.optimizers[hover.run].name)} · snapshot ${hover.k}${step !== null ? ` · step ${step}` : ""}`;
      tooltip.style.left = `${Math.min(px + 12, SIZE - 200)}px`; tooltip.style.top = `${py + 12}px`;
    }
    draw();
  });
  tsneCanvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; draw(); });

  function exportPNG() {
    const out = document.createElement("canvas");
    out.width = tsneCanvas.width * 2; out.height = tsneCanvas.height;
    const ctx = out.getContext("2d");
    ctx.drawImage(tsneCanvas, 0, 0); ctx.drawImage(pcaCanvas, tsneCanvas.width, 0);
    downloadPNG("descentlab-projection.png", out);
  }

  return { el, draw };
}

// The snapshot of a shown run within HOVER_PX of (px, py), the nearest, or null.
function nearestSnapshot({ frame, paths }, hidden, px, py) {
  let best = null, bestD = HOVER_PX * HOVER_PX;
  paths.forEach((p, i) => {
    if (hidden.includes(i)) return;
    p.forEach(([a, b], k) => { const d = (frame.X(a) - px) ** 2 + (frame.Y(b) - py) ** 2; if (d < bestD) { bestD = d; best = { run: i, k }; } });
  });
  return best;
}

function exportCSV(result) {
  if (!result || result.note) return;
  const rows = [];
  if (result.target === "trajectories") {
    result.runs.forEach((r, i) => r.snapshot_steps.forEach((s, k) => rows.push([i + 1, r.name, s, r.pca_path[k][0], r.pca_path[k][1], r.tsne_path[k][0], r.tsne_path[k][1]])));
    downloadCSV("descentlab-projection.csv", ["run", "optimizer", "step", "pc1", "pc2", "tsne_x", "tsne_y"], rows);
  } else {
    result.points.embedding.forEach(([a, b], k) => rows.push([k, result.points.labels[k], a, b]));
    downloadCSV("descentlab-projection.csv", ["point", "label", "tsne_x", "tsne_y"], rows);
  }
}
