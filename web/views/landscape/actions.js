// What each event does to the landscape's scene: the first step of the view's one-way
// flow. A control, the pointer, the keyboard, a lesson or a regime cell changes the scene
// here, then asks for its result (requests.changed) or, when nothing computed changes, redraws.
import { MAX_OPTIMIZERS } from "../../lib/optlist.js";
import { lessonOf, applyLesson } from "./scene.js";

// parts: {panel, stage, inspector, requests, regime, card, summary, view}, filled in once they exist
export function sceneActions({ catalog, scene, shown, parts }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const changed = (keep) => { parts.summary.show(); parts.regime.refresh(); parts.requests.changed(keep); };
  const remember = () => parts.requests.remember();
  const render = () => parts.stage.render();
  const showInspector = () => {
    parts.inspector.show({ result: shown.result, selected: scene.selected, optimizers: scene.optimizers });
    parts.stage.showSelection();
  };
  // The lesson's text (the panel's box; its own question box is never used: the card asks),
  // and the card. Before an answer, the view is "veiled": nothing that gives the answer away.
  function showLesson(panelToo = true) {
    if (panelToo) parts.panel.showLesson(true);
    parts.card.show({ lesson: lessonOf(scene.lesson), scene, shown });
    parts.view?.classList.toggle("veiled", !shown.revealed);
  }

  // the start moved by the keyboard, or put back by Undo
  function nudge(start) { scene.start = start; parts.panel.showStart(start); scene.step = null; scene.selected = null; changed(); }

  return {
    showInspector, showLesson,
    edited: () => changed(),
    lesson(id) {
      const lesson = lessonOf(id);
      scene.lesson = id || "";
      if (lesson) applyLesson(scene, lesson);
      Object.assign(shown, { revealed: !lesson?.predict, choice: null, verdict: null });
      scene.selected = null;
      parts.panel.showScene(); parts.panel.renderOptimizers(); showLesson(); changed();
    },
    function(name) {
      Object.assign(scene, { function: name, function_params: {}, start: [...fnById[name].start], lesson: "" });
      Object.assign(shown, { revealed: true, choice: null, verdict: null });
      parts.panel.showScene(); showLesson(); changed();
    },
    optimizersEdited() { scene.selected = null; changed(); },
    colour() { render(); remember(); parts.summary.show(); },
    open: (i) => parts.inspector.showInfo(scene.optimizers, i),
    add() {
      if (!parts.panel.addOptimizer()) { parts.panel.showMessage(`At most ${MAX_OPTIMIZERS} optimizers in one scene.`); return; }
      changed();
    },
    // The learner committed to run `choice`: reveal the runs and play them from the start.
    predict(choice) {
      Object.assign(shown, { revealed: true, choice, verdict: null });
      showLesson(false);
      parts.panel.refreshBadges(); parts.stage.showStatus(); scene.step = 0; parts.stage.timeline.play(true); render();
    },
    // The lesson's "try it yourself" change: a new scene, still under the lesson's name.
    tryIt() {
      const lesson = lessonOf(scene.lesson);
      if (!lesson?.predict?.tryIt) return;
      lesson.predict.tryIt.apply(scene);
      scene.selected = null; scene.step = 0;
      parts.panel.showScene(); parts.panel.renderOptimizers(); changed();
      setTimeout(() => parts.stage.timeline.play(true), 50);
    },
    select(hit) { scene.selected = hit; showInspector(); render(); remember(); },
    // a new start point makes new paths: nothing stays selected. While dragging (keep is
    // false) the inputs follow the drawn scenes (see the view's showResult), not every move.
    moveStart(start, keep) {
      if (keep) parts.stage.offerUndo(null);   // a new press: the old undo is gone
      scene.start = start;
      if (keep) parts.panel.showStart(start);
      scene.step = null; scene.selected = null;
      changed(keep);
    },
    // a drag's scenes came without a digest: compute the whole last one; a click has it already.
    // from: the start before the press, which Undo restores (a click beside a path moves it too).
    endDrag(moved, from) {
      if (moved) { parts.panel.showStart(scene.start); changed(); } else remember();
      if (from) parts.stage.offerUndo(from, () => nudge(from));
    },
    nudge,
    hover(hit) { shown.hover = hit; render(); },
    togglePlay: () => parts.stage.timeline.play(),
    cell({ name, params }) {
      if (scene.optimizers.length >= MAX_OPTIMIZERS) scene.optimizers.pop();
      parts.panel.addOptimizer(name, params);
      scene.step = 0;
      changed();
      setTimeout(() => parts.stage.timeline.play(true), 50);
    },
  };
}
