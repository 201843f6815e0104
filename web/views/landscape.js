// Landscape view: optimizers racing on a 2-D test function.
// Python computes everything (paths, losses, grid shading, contours, regime map, the
// inspector's traced steps); the parts in ./landscape/ each do one job and mount() wires
// them. Changes flow one way: an event updates the scene (actions.js, scene.js), the scene
// asks the worker for its result (requests.js), the result is drawn (stage.js, draw.js,
// inspector.js, lesson.js).
import { h, fmt } from "../lib/dom.js";
import { problemBox } from "../lib/urlstate.js";
import { runLabels } from "../lib/labels.js";
import { MAX_OPTIMIZERS } from "../lib/optlist.js";
import { readScene, lessonOf, landscapeSpec } from "./landscape/scene.js";
import { tunePanel } from "./landscape/tune.js";
import { sceneActions } from "./landscape/actions.js";
import { sceneRequests } from "./landscape/requests.js";
import { scenePanel } from "./landscape/panel.js";
import { landscapeStage } from "./landscape/stage.js";
import { attachPointer } from "./landscape/pointer.js";
import { inspectorPanel } from "./landscape/inspector.js";
import { RegimeMap } from "./landscape/regime.js";
import { lessonCard } from "./landscape/lesson.js";
import { sceneSummary } from "./landscape/summary.js";
import { markOnce } from "../instant.js";

export function mount(root, { api, catalog, params, setParams, notify, locked = false }) {
  const { scene, problems } = readScene(params, catalog);
  // What the worker returned for the scene, and how it is shown. A "predict first" lesson
  // hides its runs until answered (revealed); choice and verdict are the learner's answer.
  const shown = { result: null, spec: null, ms: 0, grid: null, heat: null, gridVersion: 0, hover: null,
    revealed: !lessonOf(scene.lesson)?.predict, choice: null, verdict: null };
  let alive = true;
  const isAlive = () => alive;
  const parts = {};
  const labels = () => runLabels(scene.optimizers, catalog);
  const actions = sceneActions({ catalog, scene, shown, notify, parts });
  const panel = parts.panel = scenePanel({ api, catalog, scene, on: actions, badge: (i) => runBadge(shown, i) });
  const stage = parts.stage = landscapeStage({ catalog, scene, shown, notify, labels, alive: isAlive, onSettle: () => requests.remember() });
  const inspector = parts.inspector = inspectorPanel({ api, catalog, needState: () => requests.needState(), fork: locked ? null : forkRun });
  const regime = parts.regime = new RegimeMap({ api, catalog, getScene: () => scene, getResult: () => shown.result, labels, onCell: actions.cell });
  const card = parts.card = lessonCard({ catalog, locked, on: { answer: actions.predict, tryIt: actions.tryIt } });
  const summary = parts.summary = sceneSummary({ catalog, scene, locked });
  // The predict card sits under the lesson's text (the card asks the question), and a locked
  // embed shows a summary of the scene instead of its disabled controls.
  const lessonText = panel.el.querySelector(".lesson-text");
  if (lessonText) lessonText.after(card.el); else panel.el.prepend(card.el);
  card.el.after(summary.el);
  const right = h("aside", { class: "panel right", "aria-label": "Inspector" },
    h("h2", {}, "Inspector"), inspector.el, h("h2", {}, "About the optimizer"), inspector.info);
  // "Tune learning rates": its best runs are drawn as the scene (every number from Python)
  const tune = tunePanel({ api, catalog, spec: () => landscapeSpec(scene, false), labels, showBest(result) {
    const sc = result.scene;
    shown.result = { kind: "landscape", function: sc.function, start: sc.start, steps: sc.steps, runs: result.tuned.map((t) => t.best_run) };
    shown.tuned = true;
    scene.selected = null; stage.timeline.setLength(sc.steps); scene.step = sc.steps;
    panel.refreshBadges(); stage.render(); actions.showInspector();
  } });
  const view = h("div", { class: "landscape-view" }, panel.el, stage.el, right, regime.el, ...(locked ? [] : [tune.el]));
  // the link's problems first: seen before anything else
  root.replaceChildren(problemBox(problems), view);
  parts.view = view;
  const pointer = attachPointer({ canvas: stage.canvas, tooltip: stage.tooltip, plot: stage.plot, locked, on: actions, labels,
    get: { result: () => (shown.revealed ? shown.result : null), scene: () => scene,
      fn: () => catalog.functions.find((f) => f.name === scene.function) } });
  // The first picture is drawn once, with the runs: a grid arriving before them (it usually
  // does, precomputed) waits for them instead of costing a whole render of its own first.
  let firstRuns = true;
  const requests = parts.requests = sceneRequests({ api, root, scene, shown, setParams, alive: isAlive, on: {
    result(spec, { drag, same }, live) {
      firstRuns = false;
      shown.precomputed = !live;   // computed at build time: the worker is still loading
      // (only mid-drag: a drag scene landing after the release must not undo the final start)
      const midDrag = drag && pointer.dragging;
      stage.timeline.setLength(spec.steps);
      // the canvas first: it reads the layout, which the text written below would dirty. The
      // live twin of the precomputed picture (same digest) is that picture: not drawn again,
      // which takes the page's thread ~60-100 ms just as the page becomes interactive.
      if (!same) stage.render({ midDrag });
      panel.showMessage("");
      if (midDrag) panel.showStart(spec.start);
      // Mid-drag, the words (status, badges, legend, inspector, lesson) wait for the drag's
      // end, whose whole scene writes them: each rewrite cost a layout per scene.
      else { stage.showStatus(); panel.refreshBadges(); actions.showInspector(); actions.showLesson(false); }
      // read by benchmarks and tests outside this repo: keep the names (web/instant.js)
      markOnce("firstScene");
      if (live) markOnce("interactive");
    },
    grid: () => { if (!firstRuns) stage.render(); },
    error(err) {
      if (firstRuns) { firstRuns = false; stage.render(); }   // the grid, at least
      panel.codeError(err);   // an error of the learner's code shows in its code panel too
      panel.showMessage(err.field ? `${err.field}: ${err.message}` : err.message); markField(root, err.field);
    },
  } });

  // The inspector's "Fork from step k": a copy of run i that follows it to step k, then
  // goes on with its own settings (issue #16 item 5); its panel opens for those settings.
  function forkRun(run, step) {
    const entry = scene.optimizers[run];
    if (!entry) return;
    if (!panel.addOptimizer({ ...structuredClone(entry), fork: { run, step } })) { panel.showMessage(`At most ${MAX_OPTIMIZERS} optimizers in one scene.`); return; }
    actions.optimizersEdited();
  }

  const onResize = () => { stage.render(); regime.draw(); };
  window.addEventListener("resize", onResize);
  panel.showScene(); actions.showLesson(); actions.showInspector();
  requests.changed();

  return {
    unmount() { alive = false; stage.timeline.stop(); window.removeEventListener("resize", onResize); panel.closeCode(); },
    get result() { return shown.result; },
    get spec() { return shown.spec; },
    get scene() { return structuredClone(scene); },
    get selected() { return scene.selected; },
    get regime() { return regime.regime; },
    get labels() { return labels(); },
    pixelOf(run, step) {  // for tests and tools: where a trajectory point is drawn, in CSS pixels
      const p = shown.result.runs[run].path[step];
      return [stage.plot.view.X(p[0]), stage.plot.view.Y(p[1])];
    },
  };
}

// The badge after a run's name in the optimizer list: its final loss, or where it diverged.
function runBadge(shown, i) {
  const r = shown.result && shown.result.runs[i];
  if (!r || !shown.revealed) return "";
  const clipped = r.clipped !== undefined ? ` · clipped ${r.clipped}×` : "";   // steps whose gradient was clipped
  return r.diverged_at ? h("span", { class: "badge danger" }, ` diverged at step ${r.diverged_at}${clipped}`)
    : h("span", { class: "badge" }, ` f = ${fmt(r.final_loss, 3)}${clipped}`);
}

// Mark the control of a field the core refused (and only that one).
function markField(root, field) {
  for (const el of root.querySelectorAll("[aria-invalid=true]")) el.setAttribute("aria-invalid", "false");
  const el = field && root.querySelector(`[data-field="${CSS.escape(field)}"]`);
  if (el) el.setAttribute("aria-invalid", "true");
}
