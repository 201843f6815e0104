// The projection view's main panel: Compute/Stop and status (from compute.js), the t-SNE
// map with a tooltip naming the snapshot (or point) under the pointer and a key of its
// colours and marks, the PCA plane with its colour bar and meter, and the exports.
// draw() redraws both maps from the run's result or live frame.
import { h } from "../../lib/dom.js";
import { CLASS_COLOURS } from "../../lib/canvas.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../../lib/download.js";
import { drawTsne, drawPCA } from "./draw.js";
import { layerName } from "./settings.js";

const HOVER_PX = 10;

// job: compute.js's run; colourOf(i), title(entry): how runs are shown
export function projectionMaps({ scene, job, colourOf, title, notify, alive }) {
  let hover = null;           // {run, k}: the t-SNE snapshot under the pointer
  let tsne = null;            // what the map shows where ({frame, paths, steps})
  const tsneCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Joint t-SNE map of the weight snapshots" });
  const pcaCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Paths on the PCA plane with loss contours" });
  const meter = h("div", { class: "meter", role: "meter", "aria-label": "Variance of the paths explained by the PCA plane", "aria-valuemin": 0, "aria-valuemax": 100 });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const tsneCaption = h("figcaption", {});
  const tsneKey = h("div", { class: "legend", "aria-label": "Key of the t-SNE map" });
  const pcaKey = h("div", { class: "legend", "aria-label": "Key of the PCA plane" });
  const colourBar = h("div", { class: "colour-key" });
  const pcaCaption = h("figcaption", {});
  const pcaFigure = h("figure", { class: "proj-fig pca-fig" }, pcaCaption,
    h("div", { class: "map-and-bar" }, pcaCanvas, colourBar), pcaKey, meter);
  const el = h("section", { class: "panel main", "aria-label": "Projections" }, job.controls, job.status,
    h("div", { class: "proj-grid" },
      h("figure", { class: "proj-fig" }, tsneCaption, h("div", { class: "canvas-wrap" }, tsneCanvas, tooltip), tsneKey), pcaFigure),
    exportButtons({ png: exportPNG, csv: () => exportCSV(job.run.result),
      json: () => job.run.result && downloadJSON("descentlab-projection.json", { spec: job.run.spec, result: job.run.result }),
      notify, copied: "Link copied." }));

  // What the map shows: the finished result's target, else the target being computed or set.
  function shown() {
    const { result, spec, live } = job.run;
    const target = result ? result.target : spec && (job.run.running || live) ? spec.target : scene.target;
    const s = result || live ? spec || scene : scene;
    return { target, run: s.run, layer: result && result.points ? result.points.layer : s.layer };
  }

  function caption({ target, run, layer }) {
    const opt = scene.network.optimizers[run];
    if (target === "activations") {
      return `t-SNE of ${layerName(layer, scene.network.model.hidden.length)}'s activations (run ${run + 1}. ${opt ? title(opt) : "?"}), one dot per data point, coloured by class`;
    }
    if (target === "data") return "t-SNE of the data itself, one dot per data point, coloured by class";
    return `Joint t-SNE map of the weight snapshots, one path per run${stoppedNote()}`;
  }

  // A projection of the Network view's stopped run says so in its captions: not a full training.
  function stoppedNote() {
    const k = job.run.stoppedAfter;
    return k ? ` (the Network view's run stopped after epoch ${k}, not retrained)` : "";
  }

  function runKey() {
    return [...scene.network.optimizers.map((o, i) => scene.hide.includes(i) ? "" :
      h("span", { class: "key-item" }, h("span", { class: "swatch", style: { background: colourOf(i) } }), `${i + 1}. ${title(o)}`)),
    h("span", { class: "key-item" }, h("span", { class: "mark-start", "aria-hidden": "true" }), "start (first weights)"),
    h("span", { class: "key-item" }, h("span", { class: "mark-end", "aria-hidden": "true" }), "end (last snapshot)")];
  }

  function classKey(labels) {
    const classes = [...new Set(labels || [])].sort((a, b) => a - b);
    return [h("span", { class: "key-title" }, "class"), ...classes.map((c) =>
      h("span", { class: "key-item" }, h("span", { class: "swatch round", style: { background: CLASS_COLOURS[c % 10] } }), String(c)))];
  }

  function draw() {
    if (!alive()) return;
    const { result, live } = job.run;
    const what = shown();
    tsneCaption.textContent = caption(what);
    tsneCanvas.setAttribute("aria-label", caption(what));
    tsne = drawTsne(tsneCanvas, { result, live, hover, colourOf, hidden: scene.hide });
    tsneKey.replaceChildren(...(what.target === "trajectories" ? runKey() : tsne.points ? classKey(tsne.labels) : []));
    pcaFigure.hidden = what.target !== "trajectories";
    pcaCaption.textContent = `PCA plane of all snapshots, with the training loss${stoppedNote()}`;
    drawPCA(pcaCanvas, meter, { result, colourOf, hidden: scene.hide, colourBar });
    pcaKey.replaceChildren(...(result && result.pca ? runKey() : []));
  }

  tsneCanvas.addEventListener("pointermove", (ev) => {
    if (!tsne || (!tsne.paths.length && !tsne.points)) return;
    const r = tsneCanvas.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    hover = tsne.paths.length ? nearestSnapshot(tsne, scene.hide, px, py) : nearestPoint(tsne, px, py);
    tooltip.hidden = !hover;
    if (hover && hover.point !== undefined) {
      tooltip.textContent = `data point ${hover.point + 1} · class ${tsne.labels ? tsne.labels[hover.point] : "?"}`;
    } else if (hover) {
      const step = tsne.steps[hover.run] ? tsne.steps[hover.run][hover.k] : null;
      tooltip.textContent = `${hover.run + 1}. ${title(scene.network.optimizers[hover.run])} · snapshot ${hover.k}${step !== null ? ` · step ${step}` : ""}`;
    }
    if (hover) {
      // keep the tooltip on the map: left of the pointer in the map's right half
      const right = px > r.width / 2;
      tooltip.style.left = right ? "" : `${px + 12}px`;
      tooltip.style.right = right ? `${r.width - px + 12}px` : "";
      tooltip.style.top = `${py + 12}px`;
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

// The data point within HOVER_PX of (px, py), the nearest, or null.
function nearestPoint({ frame, points }, px, py) {
  let best = null, bestD = HOVER_PX * HOVER_PX;
  (points || []).forEach(([a, b], k) => { const d = (frame.X(a) - px) ** 2 + (frame.Y(b) - py) ** 2; if (d < bestD) { bestD = d; best = { point: k }; } });
  return best;
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
