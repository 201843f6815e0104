// What each event does to the landscape's scene: the first step of the view's one-way
// flow. A control, the pointer, a lesson or a regime cell changes the scene here, then
// asks for its result (requests.changed) or, when nothing computed changes, redraws.
import { MAX_OPTIMIZERS } from "../../lib/optlist.js";
import { lessonOf, applyLesson } from "./scene.js";

// parts: {panel, stage, inspector, requests}, filled in once they exist
export function sceneActions({ catalog, scene, shown, notify, parts }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const changed = (keep) => parts.requests.changed(keep);
  const remember = () => parts.requests.remember();
  const render = () => parts.stage.render();
  const showInspector = () => parts.inspector.show({ result: shown.result, selected: scene.selected, optimizers: scene.optimizers });

  return {
    showInspector,
    edited: () => changed(),
    lesson(id) {
      const lesson = lessonOf(id);
      scene.lesson = id || "";
      if (lesson) { applyLesson(scene, lesson); shown.revealed = !lesson.predict; }
      scene.selected = null;
      parts.panel.showScene(); parts.panel.renderOptimizers(); parts.panel.showLesson(shown.revealed); changed();
    },
    function(name) {
      Object.assign(scene, { function: name, function_params: {}, start: [...fnById[name].start], lesson: "" });
      parts.panel.showScene(); changed();
    },
    optimizersEdited() { scene.selected = null; changed(); },
    colour() { render(); remember(); },
    open: (i) => parts.inspector.showInfo(scene.optimizers, i),
    add() {
      if (!parts.panel.addOptimizer()) { parts.panel.showMessage(`At most ${MAX_OPTIMIZERS} optimizers in one scene.`); return; }
      changed();
    },
    predict(choice) {
      shown.revealed = true;
      notify(`Your prediction: ${choice}. Now watch the runs and check it.`);
      parts.panel.refreshBadges(); parts.stage.showStatus(); scene.step = 0; parts.stage.timeline.play(true); render();
    },
    select(hit) { scene.selected = hit; showInspector(); render(); remember(); },
    // a new start point makes new paths: nothing stays selected. While dragging (keep is
    // false) the inputs follow the drawn scenes (see the view's showResult), not every move.
    moveStart(start, keep) {
      scene.start = start;
      if (keep) parts.panel.showStart(start);
      scene.step = null; scene.selected = null;
      changed(keep);
    },
    // a drag's scenes came without a digest: compute the whole last one; a click has it already
    endDrag(moved) {
      if (moved) { parts.panel.showStart(scene.start); changed(); } else remember();
    },
    nudge(start) { scene.start = start; parts.panel.showStart(start); scene.step = null; changed(); },
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
