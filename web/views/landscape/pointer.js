// Pointer and keyboard on the landscape canvas. Hovering names the point of a path under
// the pointer; a click on a path selects that step for the inspector; a click or drag
// elsewhere moves the start point (with an Undo: a click that missed a path is no silent
// change). Keys: ← → walk the selected run's path step by step, ↑ ↓ switch run, Home/End
// go to its first/last step, Esc clears the selection, Shift + arrows move the start
// point, space plays and pauses. This module finds what is under the pointer and says
// what happened (`on`); the view decides what that does to the scene.
import { fmt } from "../../lib/dom.js";

const HOVER_PX = 10;
const TOOLTIP_GAP = 14;      // px between the pointer and the tooltip

// on: {select(hit|null), moveStart([x, y], keep), endDrag(moved, from), nudge([x, y]), hover(hit or null), togglePlay()}
// get: {result() (null while a lesson hides its runs), scene(), fn()}: what is drawn now; plot.view maps it to pixels
// labels(): the runs' names in the page
export function attachPointer({ canvas, tooltip, plot, locked, get, on, labels }) {
  let hover = null;          // {run, step} under the pointer
  let dragging = false;
  let moved = false;
  let from = null;           // the start before this press
  const at = (ev) => {
    const rect = canvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  };
  // The start as a link keeps it: four significant digits.
  const startAt = (px, py) => plot.view.inv(px, py).map((c) => +c.toPrecision(4));
  const hitAt = (px, py) => nearest(get.result(), plot.view, get.scene(), px, py);

  canvas.addEventListener("pointerdown", (ev) => {
    const [px, py] = at(ev);
    const hit = hitAt(px, py);
    if (hit && hit.step > 0) { on.select(hit); return; }
    if (locked || !plot.view) return;  // embedded with lock=1: the start point stays put
    dragging = true;
    from = [...get.scene().start];
    canvas.setPointerCapture(ev.pointerId);
    on.moveStart(startAt(px, py), true);
  });
  canvas.addEventListener("pointermove", (ev) => {
    const [px, py] = at(ev);
    if (dragging) { moved = true; on.moveStart(startAt(px, py), false); return; }
    const hit = hitAt(px, py);
    const changed = JSON.stringify(hit) !== JSON.stringify(hover);
    hover = hit;
    showTooltip(tooltip, hit && get.result().runs[hit.run], hit, hit && labels()[hit.run], [px, py], canvas);
    if (changed) on.hover(hit);
  });
  const endDrag = () => {
    if (dragging) on.endDrag(moved, from);
    dragging = moved = false;
    from = null;
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; on.hover(null); });
  canvas.addEventListener("keydown", (ev) => {
    if (ev.shiftKey) {
      const start = !locked && keyMove(ev.key, get.fn().domain, get.scene().start);
      if (start) { ev.preventDefault(); on.nudge(start); }
      return;
    }
    if (ev.key === " ") { ev.preventDefault(); on.togglePlay(); return; }
    if (ev.key === "Escape" && get.scene().selected) { ev.preventDefault(); on.select(null); return; }
    const next = keySelect(ev.key, get.result(), get.scene());
    if (next) { ev.preventDefault(); on.select(next); }
  });

  return { get dragging() { return dragging; } };
}

// The drawn point of a path nearest to (px, py), within HOVER_PX: {run, step}, or null.
function nearest(result, view, scene, px, py) {
  if (!result || !view) return null;
  const t = scene.step ?? scene.steps;
  let best = null, bestD = HOVER_PX * HOVER_PX;
  result.runs.forEach((r, i) => {
    const last = Math.min(t, r.path.length - 1);
    for (let k = 0; k <= last; k++) {
      const dx = view.X(r.path[k][0]) - px, dy = view.Y(r.path[k][1]) - py, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = { run: i, step: k }; }
    }
  });
  return best;
}

// The selection a key leads to: {run, step}, or null when the key is not a selection key.
// With nothing selected, the first key selects run 1 at the timeline's step.
function keySelect(key, result, scene) {
  if (!result || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(key)) return null;
  const runs = result.runs, last = (run) => runs[run].path.length - 1;
  const sel = scene.selected;
  if (!sel || !runs[sel.run]) return { run: 0, step: Math.min(scene.step ?? scene.steps, last(0)) };
  let { run, step } = sel;
  if (key === "ArrowLeft") step -= 1;
  if (key === "ArrowRight") step += 1;
  if (key === "Home") step = 0;
  if (key === "End") step = last(run);
  if (key === "ArrowUp" || key === "ArrowDown") run = (run + (key === "ArrowDown" ? 1 : runs.length - 1)) % runs.length;
  return { run, step: Math.max(0, Math.min(step, last(run))) };
}

// The tooltip next to the pointer, inside the canvas: flipped to the left of the pointer
// or above it where it would spill over the canvas's edge.
function showTooltip(tooltip, run, hit, label, [px, py], canvas) {
  tooltip.hidden = !hit;
  if (!hit) return;
  const [x, y] = run.path[hit.step];
  tooltip.textContent = `${label} · step ${hit.step} · f = ${fmt(run.loss[hit.step], 4)} · (${fmt(x, 4)}, ${fmt(y, 4)})`;
  const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
  const W = canvas.clientWidth, H = canvas.clientHeight;
  let left = px + TOOLTIP_GAP;
  if (left + w > W) left = px - TOOLTIP_GAP - w;
  let top = py + TOOLTIP_GAP;
  if (top + h > H) top = py - TOOLTIP_GAP - h;
  tooltip.style.left = `${Math.max(0, Math.min(left, W - w))}px`;
  tooltip.style.top = `${Math.max(0, top)}px`;
}

// Shift + an arrow key moves the start by a fiftieth of the function's domain; -> the new start or null.
function keyMove(key, domain, start) {
  const dx = (domain[0][1] - domain[0][0]) / 50, dy = (domain[1][1] - domain[1][0]) / 50;
  const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
  if (!Object.hasOwn(moves, key)) return null;
  return [+(start[0] + moves[key][0]).toPrecision(4), +(start[1] + moves[key][1]).toPrecision(4)];
}
