// Drawing the landscape: the shaded surface with its contours, the optimizers' paths up to
// the timeline's step, the start point, hover and selection marks; and the loss chart.
// Everything drawn comes from Python (shades, contours, paths, losses); this maps it to pixels.
import { fmt } from "../../lib/dom.js";
import { fitCanvas, ticks, cssColour, drawContours } from "../../lib/canvas.js";

const MAX_CANVAS = 760;
const MARGIN = { l: 46, r: 10, t: 10, b: 34 };

// plot.draw(frame) draws one frame on `canvas`, sized to `container`; plot.view is the
// world <-> pixel mapping of the last frame ({X, Y, inv}), for pointer interaction.
//   frame: {fn (catalog entry), scene, grid, heat, gridVersion, result, revealed, hover, selected, labels}
export function landscapePlot(canvas, container) {
  const background = { key: null, canvas: document.createElement("canvas") };
  let view = null;

  function draw(frame) {
    const { scene, result } = frame;
    const shaded = Boolean(frame.heat && frame.grid.function.name === scene.function);
    const [[x0, x1], [y0, y1]] = (frame.grid && frame.grid.function.name === scene.function) ? frame.grid.function.domain : frame.fn.domain;
    const avail = Math.min(MAX_CANVAS, container.clientWidth || 600);
    const aspect = Math.min(1.1, Math.max(0.55, (y1 - y0) / (x1 - x0)));
    const m = MARGIN;
    const W = avail - m.l - m.r, H = Math.round(W * aspect);
    const ctx = fitCanvas(canvas, avail, H + m.t + m.b);
    const X = (x) => m.l + ((x - x0) / (x1 - x0)) * W;
    const Y = (y) => m.t + H - ((y - y0) / (y1 - y0)) * H;
    view = { X, Y, inv: (px, py) => [x0 + ((px - m.l) / W) * (x1 - x0), y0 + ((m.t + H - py) / H) * (y1 - y0)] };
    const fg = getComputedStyle(document.documentElement).getPropertyValue("--text").trim() || "#222";
    const box = { m, W, H, X, Y, x0, x1, y0, y1, fg };
    paintBackground(ctx, { ...box, frame, shaded, avail });
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t, W, H); ctx.clip();
    if (!frame.revealed) drawVeil(ctx, box);
    else if (result) drawRuns(ctx, box, result, scene, frame.labels);
    drawMarks(ctx, box, frame);
    ctx.restore();
    ctx.strokeStyle = fg; ctx.lineWidth = 1;
    ctx.strokeRect(m.l, m.t, W, H);  // the frame stays on top of the paths
  }

  // The surface, its contours, minima and axes change only with the function or the size:
  // painted once into an offscreen canvas, copied on every frame.
  function paintBackground(ctx, b) {
    const dpr = window.devicePixelRatio || 1;
    const key = [b.shaded ? b.frame.gridVersion : -1, b.frame.scene.function, canvas.width, canvas.height, dpr, b.avail, b.H,
      b.x0, b.x1, b.y0, b.y1, b.fg].join("|");
    if (key !== background.key) {
      const bg = background.canvas;
      bg.width = canvas.width; bg.height = canvas.height;
      const bctx = bg.getContext("2d");
      bctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawBackground(bctx, b);
      background.key = key;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(background.canvas, 0, 0);
    ctx.restore();
  }

  return { draw, get view() { return view; } };
}

function drawBackground(ctx, { frame, shaded, m, W, H, X, Y, x0, x1, y0, y1, fg }) {
  ctx.save();
  ctx.beginPath(); ctx.rect(m.l, m.t, W, H); ctx.clip();
  if (shaded) {
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(frame.heat, m.l, m.t, W, H);
    ctx.strokeStyle = "rgba(30,30,40,0.35)"; ctx.lineWidth = 0.8;
    drawContours(ctx, frame.grid.contours, X, Y);
    drawUndefined(ctx, frame.grid, X, Y);
  } else {
    ctx.fillStyle = "#ddd"; ctx.fillRect(m.l, m.t, W, H);
  }
  for (const [mx, my] of frame.fn.minima) star(ctx, X(mx), Y(my), 7, "#ffffff", "#111");
  ctx.restore();
  // axes (the frame itself is stroked by draw(), on top of the paths)
  ctx.fillStyle = fg;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const v of ticks(x0, x1, 6)) { ctx.fillText(fmt(v, 3), X(v), m.t + H + 4); }
  ctx.fillText("x", m.l + W / 2, m.t + H + 19);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const v of ticks(y0, y1, 6)) { ctx.fillText(fmt(v, 3), m.l - 5, Y(v)); }
  ctx.save(); ctx.translate(10, m.t + H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText("y", 0, 0); ctx.restore();
}

// "Predict, then run": nothing of the run is shown until the learner has answered.
function drawVeil(ctx, { m, W, H }) {
  const text = W < 420 ? "Predict first (below) to see the runs" : "Make your prediction to reveal the runs";
  ctx.fillStyle = "rgba(0,0,0,0.55)"; ctx.fillRect(m.l, m.t + H / 2 - 18, W, 36);
  ctx.fillStyle = "#fff"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  ctx.font = "bold 15px system-ui, sans-serif";
  if (ctx.measureText(text).width > W - 12) ctx.font = "bold 12px system-ui, sans-serif";
  ctx.fillText(text, m.l + W / 2, m.t + H / 2);
}

function drawRuns(ctx, { m, W, H, X, Y }, result, scene, labels = []) {
  const t = scene.step ?? scene.steps;
  const notes = [];
  result.runs.forEach((r, i) => {
    const color = cssColour(scene.optimizers[i] && scene.optimizers[i].color, i);
    const last = Math.min(t, r.path.length - 1);
    ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.lineWidth = 3.6; pathTo(ctx, r.path, last, X, Y);
    ctx.strokeStyle = color; ctx.lineWidth = 2; pathTo(ctx, r.path, last, X, Y);
    const fork = scene.optimizers[i] && scene.optimizers[i].fork;
    if (fork && r.path[fork.step]) branchMark(ctx, X(r.path[fork.step][0]), Y(r.path[fork.step][1]), color);
    const [px, py] = r.path[last];
    if (r.probe && r.probe.length) probeMark(ctx, X(px), Y(py), r.probe[Math.min(last, r.probe.length - 1)], X, Y, color);
    dot(ctx, X(px), Y(py), 4.5, color, "#000");
    if (r.diverged_at && t >= r.path.length - 1) notes.push({ color, text: `✕ ${labels[i] ?? r.name} diverged at step ${r.diverged_at}`, x: X(px), y: Y(py) });
  });
  // the notes on top of every path, stacked so that two never overlap
  notes.forEach((n, k) => divergedNote(ctx, n, { m, W, H }, k));
}

// "✕ <run> diverged at step k": white on a dark label with the run's colour as a swatch,
// readable on any shade (the run's colour as text was not, e.g. green on yellow-green).
function divergedNote(ctx, { color, text, x, y }, { m, W, H }, k) {
  ctx.font = "bold 12px system-ui, sans-serif";
  const w = ctx.measureText(text).width + 22, hgt = 20;
  const lx = Math.min(Math.max(x, m.l + 4), m.l + W - w - 4);
  const ly = Math.min(Math.max(y - hgt, m.t + 4 + k * (hgt + 3)), m.t + H - hgt - 4);
  ctx.fillStyle = "rgba(17,24,39,0.88)"; ctx.fillRect(lx, ly, w, hgt);
  ctx.fillStyle = color; ctx.fillRect(lx + 5, ly + 5, 10, 10);
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 1; ctx.strokeRect(lx + 5, ly + 5, 10, 10);
  ctx.fillStyle = "#fff"; ctx.textAlign = "left"; ctx.textBaseline = "middle";
  ctx.fillText(text, lx + 19, ly + hgt / 2 + 0.5);
}

// The start point, the point under the pointer and the inspected one.
function drawMarks(ctx, { X, Y, fg }, { scene, result, hover, selected, revealed }) {
  const [sx, sy] = scene.start;
  dot(ctx, X(sx), Y(sy), 6, "#fff", "#000");
  if (!revealed || !result) return;   // nothing of a hidden run, not even where it passes
  if (hover && result.runs[hover.run]) {
    const p = result.runs[hover.run].path[hover.step];
    ctx.strokeStyle = fg; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 8, 0, 2 * Math.PI); ctx.stroke();
  }
  if (selected && result.runs[selected.run] && result.runs[selected.run].path[selected.step]) {
    const p = result.runs[selected.run].path[selected.step];
    ctx.strokeStyle = "#000"; ctx.lineWidth = 4.5;   // a dark rim: the white ring shows on light shades too
    ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 10, 0, 2 * Math.PI); ctx.stroke();
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2.5; ctx.setLineDash([3, 2]);
    ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 10, 0, 2 * Math.PI); ctx.stroke(); ctx.setLineDash([]);
  }
}

// SAM's probe point of the shown step (where its second gradient was taken), joined to the
// point it was probed from: a hollow ring in the run's colour.
function probeMark(ctx, px, py, probe, X, Y, color) {
  const qx = X(probe[0]), qy = Y(probe[1]);
  ctx.strokeStyle = color; ctx.lineWidth = 1.2; ctx.setLineDash([2, 2]);
  ctx.beginPath(); ctx.moveTo(px, py); ctx.lineTo(qx, qy); ctx.stroke(); ctx.setLineDash([]);
  ctx.beginPath(); ctx.arc(qx, qy, 4, 0, 2 * Math.PI);
  ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.stroke();
}

// Where a fork leaves its parent's path: a diamond in the fork's colour.
function branchMark(ctx, x, y, color) {
  const r = 6;
  ctx.beginPath(); ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath();
  ctx.fillStyle = color; ctx.fill(); ctx.strokeStyle = "#000"; ctx.lineWidth = 1.2; ctx.stroke();
}

// Grid points where a custom f(x, y) is undefined (log of a negative, say: grid.undefined,
// row-major indices of z): a grey cell each, so no made-up shade is shown there.
function drawUndefined(ctx, grid, X, Y) {
  const idx = grid.undefined;
  if (!idx || !idx.length) return;
  const nx = grid.x.length;
  const half = (a, k) => Math.abs(a[Math.min(k + 1, a.length - 1)] - a[Math.max(k - 1, 0)]) / (k === 0 || k === a.length - 1 ? 2 : 4);
  ctx.fillStyle = "rgba(90,90,90,0.85)";
  for (const n of idx) {
    const col = n % nx, row = (n - col) / nx;
    const x = grid.x[col], y = grid.y[row], hx = half(grid.x, col), hy = half(grid.y, row);
    ctx.fillRect(X(x - hx), Y(y + hy), X(x + hx) - X(x - hx), Y(y - hy) - Y(y + hy));
  }
}

function pathTo(ctx, path, last, X, Y) {
  ctx.beginPath();
  ctx.moveTo(X(path[0][0]), Y(path[0][1]));
  for (let k = 1; k <= last; k++) ctx.lineTo(X(path[k][0]), Y(path[k][1]));
  ctx.stroke();
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1.2; ctx.stroke();
}

function star(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath(); ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
}

// The loss chart: f − f_min from Python on a log scale; a surface without a minimum (the
// saddle) is plotted as f, linearly. Empty until the learner's prediction is in.
export function drawLossChart(chart, { result, scene, revealed }) {
  chart.cursor = scene.step ?? scene.steps;
  if (!result) return;
  if (!revealed) { chart.set([]); return; }
  const gap = result.function.f_min !== null;
  chart.logY = gap;
  chart.yLabel = gap ? "f − f_min" : "f";
  chart.set(result.runs.map((r, i) => ({
    color: cssColour(scene.optimizers[i] && scene.optimizers[i].color, i),
    values: gap ? r.loss_above_min : r.loss,
    divergedAt: r.diverged_at,
  })));
}
