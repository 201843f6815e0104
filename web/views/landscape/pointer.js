// Pointer and keyboard on the landscape canvas. Hovering names the point of a path under
// the pointer; a click on a path selects that step for the inspector; a drag, or an arrow
// key, moves the start point; space plays and pauses. This module finds what is under the
// pointer and says what happened (`on`); the view decides what that does to the scene.
import { fmt } from "../../lib/dom.js";

const HOVER_PX = 10;

// on: {select(hit), moveStart([x, y], keep), endDrag(moved), nudge([x, y]), hover(hit or null), togglePlay()}
// get: {result(), scene(), fn()}: what is drawn now
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

  function nearest(px, py) {
    const result = get.result(), view = plot.view, scene = get.scene();
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

  function showTooltip(hit, px, py) {
    tooltip.hidden = !hit;
    if (!hit) return;
    const r = get.result().runs[hit.run];
    tooltip.textContent = `${r.label || r.name} · step ${hit.step} · f = ${fmt(r.loss[hit.step], 4)} · (${fmt(r.path[hit.step][0], 4)}, ${fmt(r.path[hit.step][1], 4)})`;
    tooltip.style.left = `${Math.min(px + 14, canvas.clientWidth - 220)}px`;
    tooltip.style.top = `${py + 14}px`;
  }

  canvas.addEventListener("pointerdown", (ev) => {
    const [px, py] = at(ev);
    const hit = nearest(px, py);
    if (hit && hit.step > 0) { on.select(hit); return; }
    if (locked) return;  // embedded with lock=1: the start point stays put
    dragging = true;
    canvas.setPointerCapture(ev.pointerId);
    on.moveStart(startAt(px, py), true);
  });
  canvas.addEventListener("pointermove", (ev) => {
    const [px, py] = at(ev);
    if (dragging) { moved = true; on.moveStart(startAt(px, py), false); return; }
    const hit = nearest(px, py);
    const changed = JSON.stringify(hit) !== JSON.stringify(hover);
    hover = hit;
    showTooltip(hit, px, py);
    if (changed) on.hover(hit);
  });
  const endDrag = () => {
    if (dragging) on.endDrag(moved);
    dragging = moved = false;
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; on.hover(null); });
  canvas.addEventListener("keydown", (ev) => onKey(ev));

  function onKey(ev) {
    const f = get.fn(), start = get.scene().start;
    const dx = (f.domain[0][1] - f.domain[0][0]) / 50, dy = (f.domain[1][1] - f.domain[1][0]) / 50;
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (moves[ev.key] && !locked) {
      ev.preventDefault();
      on.nudge([+(start[0] + moves[ev.key][0]).toPrecision(4), +(start[1] + moves[ev.key][1]).toPrecision(4)]);
    } else if (ev.key === " ") { ev.preventDefault(); on.togglePlay(); }
  }

  return { get dragging() { return dragging; } };
}
