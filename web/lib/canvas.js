// Canvas plumbing for crisp drawing on high-DPI screens, a colour map and axis ticks.
// Nothing here computes the model: shades, contours and paths come from Python.

// Size the canvas for cssWidth x cssHeight CSS pixels at the screen's pixel ratio and return
// its context, cleared and scaled to CSS pixels. The backing store is only reallocated when
// the size changes: views redraw on every animation frame while playing or dragging.
export function fitCanvas(canvas, cssWidth, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(cssWidth * dpr), h = Math.round(cssHeight * dpr);
  const ctx = canvas.getContext("2d");
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  if (canvas.width !== w || canvas.height !== h || !ctx.reset) {
    canvas.width = w;   // reallocates, clears and resets the context
    canvas.height = h;
  } else {
    ctx.reset();        // the same fresh state, without a new backing store
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

// Viridis-like anchors (perceptually ordered, readable by colour-blind learners).
const ANCHORS = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];
export const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const p = (i / 255) * (ANCHORS.length - 1);
    const k = Math.min(Math.floor(p), ANCHORS.length - 2);
    const f = p - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = ANCHORS[k][c] * (1 - f) + ANCHORS[k + 1][c] * f;
  }
  return lut;
})();

// How much a shaded map is lightened towards white, so paths stay visible on top of it.
export const SHADE_LIGHTEN = 0.35;

// Paint a [0,1] shade grid (rows = increasing y) into an offscreen canvas, y up.
export function shadeImage(shade, lighten = SHADE_LIGHTEN) {
  const H = shade.length, W = shade[0].length;
  const off = document.createElement("canvas");
  off.width = W; off.height = H;
  const octx = off.getContext("2d");
  const img = octx.createImageData(W, H);
  for (let i = 0; i < H; i++) {
    const row = shade[H - 1 - i];
    for (let j = 0; j < W; j++) {
      const k = Math.round(row[j] * 255) * 3, o = (i * W + j) * 4;
      img.data[o] = LUT[k] + (255 - LUT[k]) * lighten;
      img.data[o + 1] = LUT[k + 1] + (255 - LUT[k + 1]) * lighten;
      img.data[o + 2] = LUT[k + 2] + (255 - LUT[k + 2]) * lighten;
      img.data[o + 3] = 255;
    }
  }
  octx.putImageData(img, 0, 0);
  return off;
}

// Contour segments as Python sends them, one list per level: [x0, y0, x1, y1, x0, y0, ...]
// in world units, drawn with the context's current stroke style.
export function drawContours(ctx, contours, X, Y) {
  for (const seg of contours) {
    ctx.beginPath();
    for (let k = 0; k < seg.length; k += 4) { ctx.moveTo(X(seg[k]), Y(seg[k + 1])); ctx.lineTo(X(seg[k + 2]), Y(seg[k + 3])); }
    ctx.stroke();
  }
}

// Round tick positions for an axis label (a drawing decision, not model maths).
export function ticks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

export const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f9bb4",
  "#f032e6", "#6b8e23", "#9a6324", "#800000", "#000075", "#808000"];

// One colour per class of a dataset (points, decision regions), ten before they repeat.
export const CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

// A colour that is safe to hand to CSS or a canvas: "#rrggbb" only (anything else, such as
// "url(...)" from a link, could make the page fetch or mis-draw), else the palette's i-th.
export function cssColour(c, i = 0) {
  return typeof c === "string" && /^#[0-9a-fA-F]{6}$/.test(c) ? c : PALETTE[i % PALETTE.length];
}

// A colour bar for a shaded map, in the map's colours (ANCHORS, lightened as shadeImage
// does): a gradient with values under it. ticks: [[position in 0..1, text]], left to right.
// -> element; bar.update(ticks, title) redraws the labels.
export function colourBar({ title = "", ticks: marks = [], lighten = 0, label = "Colour bar" } = {}) {
  const el = document.createElement("figure");
  el.className = "colour-bar";
  el.setAttribute("aria-label", label);
  const cap = document.createElement("figcaption");
  const bar = document.createElement("div");
  bar.className = "colour-bar-gradient";
  const stops = ANCHORS.map((c, i) => `rgb(${c.map((v) => Math.round(v + (255 - v) * lighten)).join(",")}) ${(i / (ANCHORS.length - 1)) * 100}%`);
  bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  const labels = document.createElement("div");
  labels.className = "colour-bar-ticks";
  el.append(cap, bar, labels);
  el.update = (list, caption = title) => {
    cap.textContent = caption;
    labels.replaceChildren(...list.map(([pos, text]) => {
      const s = document.createElement("span");
      s.textContent = text;
      s.style.left = `${pos * 100}%`;
      s.style.transform = `translateX(${pos <= 0.02 ? "0" : pos >= 0.98 ? "-100%" : "-50%"})`;
      return s;
    }));
  };
  el.update(marks);
  return el;
}
