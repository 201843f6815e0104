// A small line chart: several series against step, optional log y, a cursor line, and
// optional bands (series.band = {lo, hi}: a range around the line, such as min and max).
import { fitCanvas, ticks } from "./canvas.js";
import { fmt } from "./dom.js";

export class LineChart {
  constructor(canvas, { height = 220, logY = true, xLabel = "step", yLabel = "loss" } = {}) {
    this.canvas = canvas;
    this.height = height;
    this.logY = logY;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.series = [];
    this.cursor = null;
  }

  set(series) { this.series = series; this.draw(); }

  draw() {
    const width = this.canvas.parentElement ? this.canvas.parentElement.clientWidth || 600 : 600;
    const ctx = fitCanvas(this.canvas, width, this.height);
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--text").trim() || "#222";
    const muted = css.getPropertyValue("--muted").trim() || "#666";
    const m = { l: 62, r: 12, t: 10, b: 34 };
    const W = width - m.l - m.r, H = this.height - m.t - m.b;
    ctx.clearRect(0, 0, width, this.height);
    const { xmax, ymin, ymax } = this.extent();
    const tr = (v) => (this.logY ? Math.log10(v) : v);
    const X = (x) => m.l + (x / xmax) * W;
    const Y = (t) => m.t + H - ((t - ymin) / (ymax - ymin)) * H;
    const box = { m, W, H, X, Y, xmax, ymin, ymax, fg, muted };
    this.drawAxes(ctx, box);
    ctx.save(); ctx.beginPath(); ctx.rect(m.l, m.t, W, H); ctx.clip();
    for (const s of this.series) if (s.band) this.drawBand(ctx, s, X, (v) => Y(tr(v)));
    for (const s of this.series) this.drawSeries(ctx, s, X, (v) => Y(tr(v)));
    ctx.setLineDash([]);
    if (this.cursor !== null) {
      ctx.strokeStyle = fg; ctx.globalAlpha = 0.5;
      ctx.beginPath(); ctx.moveTo(X(this.cursor), m.t); ctx.lineTo(X(this.cursor), m.t + H); ctx.stroke();
      ctx.globalAlpha = 1;
    }
    ctx.restore();
  }

  // The x range and the y range (in log10 units on a log scale) of the finite values shown.
  extent() {
    let xmax = 1, ymin = Infinity, ymax = -Infinity;
    for (const s of this.series) {
      const xs = s.x || null;
      xmax = Math.max(xmax, xs ? xs[xs.length - 1] || 1 : s.values.length - 1);
      for (const v of s.band ? [...s.values, ...s.band.lo, ...s.band.hi] : s.values) {
        if (v === null || !Number.isFinite(v) || (this.logY && v <= 0)) continue;
        const t = this.logY ? Math.log10(v) : v;
        if (t < ymin) ymin = t;
        if (t > ymax) ymax = t;
      }
    }
    if (!Number.isFinite(ymin)) { ymin = 0; ymax = 1; }
    if (ymax - ymin < 1e-12) { ymin -= 0.5; ymax += 0.5; }
    return { xmax, ymin, ymax };
  }

  drawAxes(ctx, { m, W, H, X, Y, xmax, ymin, ymax, fg, muted }) {
    ctx.strokeStyle = muted; ctx.fillStyle = muted; ctx.lineWidth = 1;
    ctx.font = "11px system-ui, sans-serif";
    ctx.strokeRect(m.l, m.t, W, H);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    const yt = this.logY
      ? ticks(Math.floor(ymin), Math.ceil(ymax), 5).filter((t) => t >= ymin - 1e-9 && t <= ymax + 1e-9 && Number.isInteger(t))
      : ticks(ymin, ymax, 5);
    for (const t of yt) {
      ctx.fillText(this.logY ? `1e${t}` : fmt(t, 3), m.l - 4, Y(t));
      ctx.globalAlpha = 0.15; ctx.beginPath(); ctx.moveTo(m.l, Y(t)); ctx.lineTo(m.l + W, Y(t)); ctx.stroke(); ctx.globalAlpha = 1;
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of ticks(0, xmax, 6)) ctx.fillText(fmt(t, 4), X(t), m.t + H + 4);
    ctx.fillStyle = fg;
    ctx.fillText(this.xLabel, m.l + W / 2, m.t + H + 18);
    ctx.save(); ctx.translate(12, m.t + H / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillText(this.yLabel + (this.logY ? " (log)" : ""), 0, 0); ctx.restore();
  }

  // A series' band (s.band = {lo, hi}, one pair per point, e.g. the min and max over
  // repeats): filled in the series' colour, faint, and broken where either end is missing.
  drawBand(ctx, s, X, Y) {
    const ok = (v) => v !== null && Number.isFinite(v) && !(this.logY && v <= 0);
    ctx.fillStyle = s.color; ctx.globalAlpha = 0.18;
    let run = [];
    const flush = () => {
      if (run.length > 1) {
        ctx.beginPath();
        run.forEach(([x, lo], j) => (j ? ctx.lineTo(X(x), Y(lo)) : ctx.moveTo(X(x), Y(lo))));
        for (let j = run.length - 1; j >= 0; j--) ctx.lineTo(X(run[j][0]), Y(run[j][2]));
        ctx.closePath(); ctx.fill();
      }
      run = [];
    };
    s.band.lo.forEach((lo, i) => {
      const hi = s.band.hi[i];
      if (ok(lo) && ok(hi)) run.push([s.x ? s.x[i] : i, lo, hi]); else flush();
    });
    flush();
    ctx.globalAlpha = 1;
  }

  // One series: a line broken where a value is missing (or not positive on a log scale),
  // and ✕ at its last point when the run diverged. Y maps a value to its pixel row.
  drawSeries(ctx, s, X, Y) {
    ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 1.6;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      const x = s.x ? s.x[i] : i;
      if (v === null || !Number.isFinite(v) || (this.logY && v <= 0)) { pen = false; return; }
      const px = X(x), py = Y(v);
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    });
    ctx.stroke();
    if (s.divergedAt) {
      const i = s.values.length - 1;
      const v = s.values[i];
      if (Number.isFinite(v)) {
        ctx.fillStyle = s.color;
        ctx.fillText("✕", X(s.x ? s.x[i] : i), Y(Math.max(v, 1e-300)) - 6);
      }
    }
  }
}

// The key of a chart: one line swatch and name per series, optionally a value (HTML, so it
// wraps on a phone and a screen reader reads it). items: [{color, label, value, dash}].
// -> the element; legend.update(items) redraws it in place.
export function chartLegend(items = [], { label = "Legend" } = {}) {
  const el = document.createElement("ul");
  el.className = "chart-legend";
  el.setAttribute("aria-label", label);
  el.update = (list) => {
    el.replaceChildren(...list.map((it) => {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "legend-line";
      sw.style.borderTopColor = it.color;
      if (it.dash) sw.style.borderTopStyle = "dashed";
      li.append(sw, document.createTextNode(it.label));
      if (it.value !== undefined && it.value !== "") {
        const v = document.createElement("span");
        v.className = "legend-value";
        v.textContent = ` ${it.value}`;
        li.append(v);
      }
      return li;
    }));
    el.hidden = !list.length;
  };
  el.update(items);
  return el;
}
