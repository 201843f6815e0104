// The scene panel beside the landscape: lesson (with its text; the "predict first" card is
// lesson.js, which the view places right under that text), function and its parameters,
// start point, steps and the optimizers.
// A control edits its field of the scene and tells the view (`on`), which asks for the
// new result; choices that change several fields (a lesson, a function) are the view's.
import { h } from "../../lib/dom.js";
import { numberControl, selectControl } from "../../lib/controls.js";
import { optimizerList } from "../../lib/optlist.js";
import { LESSONS } from "../../lessons.js";
import { lessonOf } from "./scene.js";
import { CUSTOM, customControls, noiseControls } from "./dynamics.js";

// on: {lesson(id), function(name), edited(), optimizersEdited(), colour(), open(i), add()}
export function scenePanel({ api, catalog, scene, on, badge }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const msg = h("div", { class: "message", role: "alert", "aria-live": "assertive", hidden: true });
  const lessonBox = h("div", { class: "lesson-text", "aria-live": "polite" });
  const fnControls = h("div", { class: "fn-controls" });
  const edit = (change) => (v) => { change(v); on.edited(); };

  const lessonSelect = selectControl({
    label: "Lesson", name: "lesson", value: scene.lesson || "",
    options: [["", "— free play —"], ...LESSONS.map((l) => [l.id, l.title])],
    onChange: (id) => on.lesson(id),
  });
  const fnSelect = selectControl({
    label: "Function", name: "function", value: scene.function,
    options: catalog.functions.map((f) => [f.name, f.title]), onChange: (name) => on.function(name),
  });
  const startX = numberControl({ label: "Start x", name: "start[0]", value: scene.start[0], lo: -1e4, hi: 1e4,
    onChange: edit((v) => { scene.start[0] = v; }) });
  const startY = numberControl({ label: "Start y", name: "start[1]", value: scene.start[1], lo: -1e4, hi: 1e4,
    onChange: edit((v) => { scene.start[1] = v; }) });
  const stepsCtl = numberControl({ label: "Steps", name: "steps", value: scene.steps, lo: 1, hi: catalog.limits.landscape.max_steps,
    kind: "int", onChange: edit((v) => { scene.steps = v; }) });
  const optUI = optimizerList({ api, catalog, opts: scene.optimizers, onChange: on.optimizersEdited,
    onColour: on.colour, onOpen: on.open, badge, view: "landscape", steps: () => scene.steps });
  const noise = noiseControls({ h, numberControl, catalog, scene, edit });
  const el = h("aside", { class: "panel side", "aria-label": "Scene controls" },
    h("h2", {}, "Scene"), msg, lessonSelect.el, lessonBox,
    fnSelect.el, fnControls, startX.el, startY.el, stepsCtl.el, ...noise.els,
    h("h2", {}, "Optimizers"), optUI.el, ...(optUI.note ? [optUI.note] : []),
    h("div", { class: "opt-add" }, h("button", { type: "button", class: "button secondary", onclick: on.add }, "+ Add optimizer"), optUI.writeOwn));

  const showStart = ([x, y]) => { startX.set(x); startY.set(y); };

  // The function's controls, and every control that shows a field a new scene may change.
  function showScene() {
    const f = fnById[scene.function];
    lessonSelect.select.value = scene.lesson || "";
    fnSelect.select.value = scene.function;
    fnControls.replaceChildren(h("p", { class: "hint" }, f.description), ...(scene.function === CUSTOM
      ? customControls({ h, numberControl, catalog, scene, edit }) : functionParamControls(f, scene, edit)));
    showStart(scene.start); stepsCtl.set(scene.steps); noise.show();
  }

  return {
    el, showScene, showStart,
    // the lesson's text (nothing for free play)
    showLesson() { lessonBox.textContent = lessonOf(scene.lesson)?.text || ""; },
    showMessage(text) { msg.hidden = !text; msg.textContent = text || ""; },
    renderOptimizers: () => optUI.render(),
    refreshBadges: () => optUI.refreshBadges(),
    addOptimizer: (name, params) => optUI.add(name, params),
    codeError: (err) => optUI.codeError(err),   // a run's error about the learner's code, in its panel
    closeCode: () => optUI.closeCode(),
  };
}

function functionParamControls(f, scene, edit) {
  return Object.entries(f.params).map(([k, p]) => numberControl({
    label: k, name: `function_params.${k}`, value: scene.function_params[k] ?? p.default, lo: p.min, hi: p.max, title: p.description,
    onChange: edit((v) => { scene.function_params[k] = v; }),
  }).el);
}
