// The timeline under the landscape: play/pause, one step back or forward, a slider and
// the step label. It moves scene.step; onStep() redraws, onSettle() writes the link
// (once a move is over, not on every frame).
import { h } from "../../lib/dom.js";

const PLAY_SECONDS = 5;         // a whole run plays in about this long

export function timeline({ getScene, alive, onStep, onSettle }) {
  let playing = false;
  let raf = 0;
  const range = h("input", { type: "range", min: 0, max: 1, value: 0, step: 1, "aria-label": "Timeline step", class: "timeline-range" });
  const label = h("output", { class: "step-label" });
  const playBtn = h("button", { type: "button", class: "button", "aria-label": "Play", onclick: () => play() }, "▶ Play");
  const el = h("div", { class: "timeline" },
    playBtn,
    h("button", { type: "button", class: "button secondary", "aria-label": "Step back", onclick: () => stepBy(-1) }, "◀"),
    h("button", { type: "button", class: "button secondary", "aria-label": "Step forward", onclick: () => stepBy(1) }, "▶"),
    range, label);

  // play() toggles; play(true) starts (from the beginning when at the end).
  function play(force) {
    const scene = getScene();
    playing = force === true ? true : !playing;
    playBtn.textContent = playing ? "❚❚ Pause" : "▶ Play";
    playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
    if (!playing) { cancelAnimationFrame(raf); return; }
    if ((scene.step ?? scene.steps) >= scene.steps) scene.step = 0;
    let last = performance.now(), acc = 0;
    const tick = (now) => {
      if (!playing || !alive()) return;
      acc += ((now - last) / 1000) * (scene.steps / PLAY_SECONDS);
      last = now;
      const adv = Math.floor(acc);
      if (adv > 0) { acc -= adv; scene.step = Math.min(scene.steps, (scene.step ?? 0) + adv); onStep(); }
      if (scene.step >= scene.steps) { play(false); onSettle(); return; }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  }

  function stepBy(d) {
    const scene = getScene();
    if (playing) play(false);
    scene.step = Math.max(0, Math.min(scene.steps, (scene.step ?? scene.steps) + d));
    onStep(); onSettle();
  }

  range.addEventListener("input", () => { if (playing) play(false); getScene().step = +range.value; onStep(); });
  range.addEventListener("change", onSettle);

  function show() {
    const scene = getScene();
    const t = scene.step ?? scene.steps;
    range.value = t;
    label.textContent = `step ${t} / ${scene.steps}`;
  }

  return {
    el, play, show,
    setLength(steps) { range.max = steps; },
    stop() { playing = false; cancelAnimationFrame(raf); },
  };
}
