// Drawing the network view: points coloured by class over a decision-region grid, the
// three training charts and one decision-boundary figure per run. Every number drawn
// comes from Python (losses, accuracies, class probabilities on the grid).
import { h } from "../../lib/dom.js";
import { fitCanvas, cssColour, CLASS_COLOURS } from "../../lib/canvas.js";

// The network and projection views' own stylesheet. index.html should link it (the
// single-file build inlines only the links there); until it does, the view adds the link,
// but only to a page whose stylesheets are files (a single file has nothing to fetch).
export function linkStylesheet(href = "network.css") {
  const links = [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.getAttribute("href"));
  if (!links.includes("style.css") || links.includes(href)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}

// Points [[x, y]] with labels y on a size × size canvas; with a boundary {cls, prob} on
// `grid` {x, y}, each grid cell is tinted by its class, stronger where the model is sure.
export function drawScatter(canvas, pts, y, size, boundary = null, grid = null) {
  const ctx = fitCanvas(canvas, size, size);
  const [x0, x1, y0, y1] = grid ? [grid.x[0], grid.x[grid.x.length - 1], grid.y[0], grid.y[grid.y.length - 1]] : paddedBounds(pts);
  const X = (v) => ((v - x0) / (x1 - x0 || 1)) * size, Y = (v) => size - ((v - y0) / (y1 - y0 || 1)) * size;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, size, size);
  if (boundary && grid) {
    const n = grid.x.length, cw = size / (n - 1), ch = size / (grid.y.length - 1);
    for (let i = 0; i < grid.y.length; i++) for (let j = 0; j < n; j++) {
      ctx.fillStyle = CLASS_COLOURS[boundary.cls[i][j] % 10];
      ctx.globalAlpha = 0.15 + 0.45 * Math.max(0, (boundary.prob[i][j] - 0.5) * 2);
      ctx.fillRect(X(grid.x[j]) - cw / 2, Y(grid.y[i]) - ch / 2, cw + 0.5, ch + 0.5);
    }
    ctx.globalAlpha = 1;
  }
  const r = pts.length > 1000 ? 1.6 : 2.6;
  pts.forEach(([a, b], i) => {
    ctx.beginPath(); ctx.arc(X(a), Y(b), r, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLOURS[y[i] % 10]; ctx.fill();
    ctx.strokeStyle = "rgba(0,0,0,0.5)"; ctx.lineWidth = 0.5; ctx.stroke();
  });
}

function paddedBounds(pts) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [a, b] of pts) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
  const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-9);
  return [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
}

// charts: {loss, val, acc} LineCharts; runs: per run {train_loss, epochs: {val_loss, val_acc}, diverged_at}
// smooth: the per-step loss thin, with Python's smoothed series (train_loss_ema) thick on it
export function drawCharts(charts, runs, optimizers, epochCursor, { smooth = false } = {}) {
  const colour = (i) => cssColour(optimizers[i] && optimizers[i].color, i);
  const epochs = (r) => r.epochs.val_loss.map((_, k) => k + 1);
  const raw = runs.map((r, i) => ({ color: colour(i), values: r.train_loss, divergedAt: smooth ? null : r.diverged_at, width: smooth ? 0.5 : 1 }));
  const smoothed = smooth ? runs.map((r, i) => ({ color: colour(i), values: r.train_loss_ema || [], divergedAt: r.diverged_at, width: 2 })) : [];
  charts.loss.set([...raw, ...smoothed]);
  charts.val.cursor = charts.acc.cursor = epochCursor;
  charts.val.set(runs.map((r, i) => ({ color: colour(i), values: r.epochs.val_loss, x: epochs(r), divergedAt: r.diverged_at })));
  charts.acc.set(runs.map((r, i) => ({ color: colour(i), values: r.epochs.val_acc, x: epochs(r) })));
}

// The key of one chart: each run's colour and name, what thin and thick lines are (the
// loss chart, smoothed), and ✕ where a run diverged. -> elements
export function chartLegend({ runs, title, optimizers, smooth, beta, diverged }) {
  const items = runs.map((r, i) => h("span", { class: "key-item" },
    h("span", { class: "swatch", style: { background: cssColour(optimizers[i] && optimizers[i].color, i) } }), `${i + 1}. ${title(i)}`));
  if (smooth) {
    items.push(h("span", { class: "key-item" }, h("span", { class: "line-key thin" }), "each step"),
      h("span", { class: "key-item" }, h("span", { class: "line-key" }), `moving average${beta ? ` (β = ${beta})` : ""}`));
  }
  if (diverged && runs.some((r) => r.diverged_at)) items.push(h("span", { class: "key-item" }, h("span", { class: "diverged-key" }, "✕"), "diverged"));
  return items;
}

// The decision regions of each run at `epoch` (the last boundary recorded by then), over
// all the data: one figure per run. view: {runs, result, data, grid, epoch, optimizers, title(i)}
export function drawBoundaries(el, view) {
  const { runs, result, data, grid, epoch } = view;
  if (!grid || !data) {
    el.replaceChildren(h("p", { class: "hint" }, data && data.d !== 2 ? "Decision boundaries are drawn for 2-D data; this dataset has more features (see the Projection view)." : ""));
    return;
  }
  const X = result ? [...result.data.train.X, ...result.data.val.X] : data.X;
  const Y = result ? [...result.data.train.y, ...result.data.val.y] : data.y;
  el.replaceChildren(...runs.map((r, i) => {
    const c = h("canvas", { role: "img", "aria-label": `Decision regions of run ${i + 1}, ${view.title(i)}` });
    const b = boundaryAt(r, epoch);
    drawScatter(c, X, Y, 220, b, grid);
    return h("figure", { class: "boundary" }, c, h("figcaption", {},
      h("span", { class: "swatch", style: { background: cssColour(view.optimizers[i] && view.optimizers[i].color, i) } }),
      `${i + 1}. ${view.title(i)}` +
      (b && b.epoch !== undefined ? ` · epoch ${b.epoch}` : "") + (r.diverged_at ? ` · diverged at step ${r.diverged_at}` : "")));
  }));
}

function boundaryAt(r, epoch) {
  if (r.boundaries && r.boundaries.length) {   // finished, or the boundaries streamed so far
    let best = r.boundaries[0];
    for (const b of r.boundaries) if (b.epoch <= epoch) best = b;
    return best;
  }
  return r.boundary;
}

// The charts and boundary figures stacked into one PNG-ready canvas.
export function stackCanvases(canvases) {
  const w = Math.max(...canvases.map((c) => c.width));
  const out = document.createElement("canvas");
  out.width = w; out.height = canvases.reduce((s, c) => s + c.height, 0);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
  let y = 0;
  for (const c of canvases) { ctx.drawImage(c, 0, y); y += c.height; }
  return out;
}
