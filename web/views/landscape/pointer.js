// Pointer and keyboard on the landscape canvas. Hovering names the point of a path under
// the pointer; a click on a path selects that step for the inspector; a drag, or an arrow
// key, moves the start point; space plays and pauses. This module finds what is under the
// pointer and says what happened (`on`); the view decides what that does to the scene.
import { fmt } from "../../lib/dom.js";

const HOVER_PX = 10;

// on: {select(hit), moveStart([x, y], keep), endDrag(moved), nudge([x, y]), hover(hit or null), togglePlay()}
// get: {result(), scene(), fn()}: what is drawn now; plot.view maps it to pixels
export function attachPointer({ canvas, tooltip, plot, locked, get, on }) {
  let hover = null;          // {run, step} under the pointer
  let dragging = false;
  let moved = false;
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
    if (locked) return;  // embedded with lock=1: the start point stays put
    dragging = true;
    canvas.setPointerCapture(ev.pointerId);
    on.moveStart(startAt(px, py), true);
  });
  canvas.addEventListener("pointermove", (ev) => {
    const [px, py] = at(ev);
    if (dragging) { moved = true; on.moveStart(startAt(px, py), false); return; }
    const hit = hitAt(px, py);
    const changed = JSON.stringify(hit) !== JSON.stringify(hover);
    hover = hit;
    showTooltip(tooltip, hit && get.result().runs[hit.run], hit, [px, py], canvas.clientWidth);
    if (changed) on.hover(hit);
  });
  const endDrag = () => {
    if (dragging) on.endDrag(moved);
    dragging = moved = false;
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; on.hover(null); });
  canvas.addEventListener("keydown", (ev) => {
    const start = !locked && keyMove(ev.key, get.fn().domain, get.scene().start);
    if (start) { ev.preventDefault(); on.nudge(start); } else if (ev.key === " ") { ev.preventDefault(); on.togglePlay(); }
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

function showTooltip(tooltip, run, hit, [px, py], width) {
  tooltip.hidden = !hit;
  if (!hit) return;
  tooltip.textContent = `${run.label || run.name} · step ${hit.step} · f = ${fmt(run.loss[hit.step], 4)} · (${fmt(run.path[hit.step][0], 4)}, ${fmt(run.path[hit.step][1], 4)})`;
  tooltip.style.left = `${Math.min(px + 14, width - 220)}px`;
  tooltip.style.top = `${py + 14}px`;
}

// An arrow key moves the start by a fiftieth of the function's domain; -> the new start or null.
function keyMove(key, domain, start) {
  const dx = (domain[0][1] - domain[0][0]) / 50, dy = (domain[1][1] - domain[1][0]) / 50;
  const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
  if (!Object.hasOwn(moves, key)) return null;
  return [+(start[0] + moves[key][0]).toPrecision(4), +(start[1] + moves[key][1]).toPrecision(4)];
}
