// Drawing the projections: the joint t-SNE map (paths of snapshots, or points coloured by
// class) and the PCA plane with the true loss shaded and contoured under the paths, plus
// the meter of how much of the paths' variance that plane explains, and the keys: which
// run is which colour, what the start and end marks are, which class each colour is, and
// the loss each shade means. Every coordinate and value comes from Python.
import { h, fmt } from "../../lib/dom.js";
import { fitCanvas, shadeImage, ticks, drawContours, CLASS_COLOURS } from "../../lib/canvas.js";

export const SIZE = 460;       // the maps' side at most, in CSS pixels
const MIN_SIZE = 220;          // and at least (a phone's width minus the panel's padding is more)
const COLOUR_BAR_TICKS = 5;    // loss values written along the PCA shading's colour bar

// The side of a square map that fits its figure's width (a phone is narrower than SIZE).
export function mapSize(canvas) {
  const fig = canvas.closest("figure");
  const room = fig && fig.parentElement ? fig.parentElement.clientWidth : SIZE;
  return Math.max(MIN_SIZE, Math.min(SIZE, room || SIZE));
}

// A size × size canvas, white, mapping box [x0, x1, y0, y1] to pixels (with room for axes).
function frame(canvas, box, axes) {
  const SIZE = mapSize(canvas);
  const ctx = fitCanvas(canvas, SIZE, SIZE);
  const m = { l: axes ? 44 : 8, r: 8, t: 8, b: axes ? 30 : 8 };
  const W = SIZE - m.l - m.r, H = SIZE - m.t - m.b;
  const [x0, x1, y0, y1] = box;
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * W, Y = (v) => m.t + H - ((v - y0) / (y1 - y0)) * H;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, SIZE, SIZE);
  return { ctx, X, Y, m, W, H, size: SIZE };
}

function bounds(points) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [a, b] of points) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
  const px = (x1 - x0) * 0.06 || 1, py = (y1 - y0) * 0.06 || 1;
  return [x0 - px, x1 + px, y0 - py, y1 + py];
}

// Each shown run's path: a line through its snapshots, a ring at the start, a square at the end.
function drawPaths({ ctx, X, Y }, paths, colourOf, hidden) {
  paths.forEach((p, i) => {
    if (!p || !p.length || hidden.includes(i)) return;
    ctx.strokeStyle = colourOf(i); ctx.lineWidth = 1.8; ctx.globalAlpha = 0.9;
    ctx.beginPath(); p.forEach(([a, b], k) => (k ? ctx.lineTo(X(a), Y(b)) : ctx.moveTo(X(a), Y(b)))); ctx.stroke();
    ctx.globalAlpha = 1;
    for (const [a, b] of p) { ctx.beginPath(); ctx.arc(X(a), Y(b), 1.8, 0, 7); ctx.fillStyle = colourOf(i); ctx.fill(); }
    const [sa, sb] = p[0], [ea, eb] = p[p.length - 1];
    ctx.beginPath(); ctx.arc(X(sa), Y(sb), 6, 0, 7); ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = colourOf(i); ctx.lineWidth = 2.5; ctx.stroke();
    ctx.fillStyle = colourOf(i); ctx.fillRect(X(ea) - 5, Y(eb) - 5, 10, 10); ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.strokeRect(X(ea) - 5, Y(eb) - 5, 10, 10);
  });
}

function placeholder(f, text) {
  f.ctx.fillStyle = "#666"; f.ctx.font = "14px system-ui, sans-serif"; f.ctx.textAlign = "center";
  f.ctx.fillText(text, f.size / 2, f.size / 2, f.size - 16);
}

// The t-SNE map of the finished result, or of the frame t-SNE is at (`live`).
// -> {frame, paths, steps}: what is drawn where, for hovering.
export function drawTsne(canvas, { result, live, hover, colourOf, hidden }) {
  const embedding = result ? null : live && live.embedding;
  let paths = [], steps = [];
  if (result && result.target === "trajectories" && !result.note) {
    paths = result.runs.map((r) => r.tsne_path); steps = result.runs.map((r) => r.snapshot_steps);
  } else if (embedding && live.counts) {
    let k = 0;
    paths = live.counts.map((c) => { const part = embedding.slice(k, k + c); k += c; return part; });
  }
  const pts = result && result.points ? result.points.embedding : embedding && !live.counts ? embedding : null;
  const labels = result && result.points ? result.points.labels : live && live.labels;
  const all = paths.flat().length ? paths.flat() : pts || [[0, 0], [1, 1]];
  const f = frame(canvas, bounds(all), false);
  for (let i = 0; pts && i < pts.length; i++) {
    f.ctx.beginPath(); f.ctx.arc(f.X(pts[i][0]), f.Y(pts[i][1]), 2.4, 0, 7);
    f.ctx.fillStyle = CLASS_COLOURS[(labels ? labels[i] : 0) % 10]; f.ctx.fill();
  }
  drawPaths(f, paths, colourOf, hidden);
  if (!pts && !paths.length) {
    placeholder(f, result && result.note ? "Nothing to project: see the message above." : "Press Compute to train, project and animate the map.");
  }
  if (hover && hover.point !== undefined && pts) {
    const [a, b] = pts[hover.point];
    f.ctx.strokeStyle = "#000"; f.ctx.lineWidth = 2; f.ctx.beginPath(); f.ctx.arc(f.X(a), f.Y(b), 6, 0, 7); f.ctx.stroke();
  } else if (hover && paths[hover.run]) {
    const [a, b] = paths[hover.run][hover.k];
    f.ctx.strokeStyle = "#000"; f.ctx.lineWidth = 2; f.ctx.beginPath(); f.ctx.arc(f.X(a), f.Y(b), 8, 0, 7); f.ctx.stroke();
  }
  return { frame: f, paths, steps, points: pts, labels };
}

// The PCA plane: the loss shaded and contoured, the paths on it, both axes with the
// share of variance each explains; the meter below says how far to trust the picture.
export function drawPCA(canvas, meter, { result, colourOf, hidden, colourBar }) {
  const pca = result && result.pca;
  if (!pca) {
    const f = frame(canvas, [0, 1, 0, 1], true);
    placeholder(f, result ? "" : "The PCA plane appears when the run is done.");
    meter.replaceChildren();
    colourBar.replaceChildren();
    return;
  }
  const g = pca.grid;
  const f = frame(canvas, [g.x[0], g.x[g.x.length - 1], g.y[0], g.y[g.y.length - 1]], true);
  const { ctx, X, Y, m, W, H } = f;
  ctx.drawImage(shadeImage(g.shade), m.l, m.t, W, H);
  ctx.strokeStyle = "rgba(30,30,40,0.4)"; ctx.lineWidth = 0.8;
  drawContours(ctx, g.contours, X, Y);
  drawPaths(f, result.runs.map((r) => r.pca_path), colourOf, hidden);
  ctx.fillStyle = "#222"; ctx.font = "11px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const v of ticks(g.x[0], g.x[g.x.length - 1], 5)) ctx.fillText(fmt(v, 2), X(v), m.t + H + 4);
  ctx.fillText(`PC1 (${(100 * pca.explained_variance_ratio[0]).toFixed(1)}%)`, m.l + W / 2, m.t + H + 17);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const v of ticks(g.y[0], g.y[g.y.length - 1], 5)) ctx.fillText(fmt(v, 2), m.l - 4, Y(v));
  ctx.save(); ctx.translate(10, m.t + H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText(`PC2 (${(100 * pca.explained_variance_ratio[1]).toFixed(1)}%)`, 0, 0); ctx.restore();
  showMeter(meter, 100 * pca.explained);
  drawColourBar(colourBar, g);
}

// The key of the shading: the grid's own cells, ordered by their shade, stacked into a bar
// and labelled with their training loss (the core picks each cell's shade; nothing is
// re-derived here). Lighter is lower, as on the map.
function drawColourBar(el, grid) {
  const cells = [];
  grid.shade.forEach((row, i) => row.forEach((s, j) => cells.push([s, grid.loss[i][j]])));
  cells.sort((a, b) => a[0] - b[0]);
  const H = 160, W = 14;
  const canvas = h("canvas", { class: "colour-bar", role: "img",
    "aria-label": `Colour bar: training loss from ${fmt(cells[0][1], 3)} (light) to ${fmt(cells[cells.length - 1][1], 3)} (dark)` });
  const ctx = fitCanvas(canvas, W + 70, H + 12);
  // one row per cell, lowest loss at the bottom (shadeImage draws row 0 at the bottom)
  ctx.drawImage(shadeImage(cells.map(([s]) => [s])), 0, 6, W, H);
  ctx.strokeStyle = "#888"; ctx.strokeRect(0.5, 6.5, W, H);
  ctx.fillStyle = "#222"; ctx.font = "11px system-ui, sans-serif"; ctx.textBaseline = "middle"; ctx.textAlign = "left";
  const last = cells.length - 1;
  for (let t = 0; t < COLOUR_BAR_TICKS; t++) {
    const k = Math.round((t / (COLOUR_BAR_TICKS - 1)) * last);
    const y = 6 + H - (k / (last || 1)) * H;
    ctx.fillRect(W, y - 0.5, 4, 1);
    ctx.fillText(fmt(cells[k][1], 3), W + 7, y);
  }
  el.replaceChildren(h("span", { class: "key-title" }, "training loss"), canvas);
}

function showMeter(meter, pct) {
  meter.setAttribute("aria-valuenow", pct.toFixed(1));
  const trust = pct >= 80 ? "the plane shows most of the movement" : pct >= 50 ? "read the picture with care" : "most of the movement is off this plane";
  meter.replaceChildren(h("div", { class: "meter-bar" }, h("div", { class: "meter-fill", style: { width: `${pct}%` } })),
    h("p", { class: "hint" }, `The plane explains ${pct.toFixed(1)}% of the paths' variance: ${trust}.`));
}
