// The "predict, then run" card of a lesson: the question with one button per run (named as
// everywhere in the page), then, once the learner has committed, whether the guess was right
// and why, with this run's numbers, and one change to try next. The card sits in the scene
// panel right under the lesson's text; on a phone that panel comes right after the plot.
import { h } from "../../lib/dom.js";
import { runLabels } from "../../lib/labels.js";
import { rightAnswer } from "../../lessons.js";

// on: {answer(i), tryIt()}
export function lessonCard({ catalog, locked, on }) {
  const el = h("div", { class: "predict lesson-card", hidden: true, "aria-live": "polite" });

  // shown: {result, revealed, choice, verdict}; lesson: the scene's lesson or undefined
  function show({ lesson, scene, shown }) {
    el.hidden = !lesson || !lesson.predict;
    if (el.hidden) { el.replaceChildren(); return; }
    const labels = runLabels(scene.optimizers, catalog);
    if (!shown.revealed) {
      el.replaceChildren(h("p", { class: "predict-question" }, h("strong", {}, "Predict first: "), lesson.predict.question),
        h("div", { class: "predict-choices" }, ...labels.map((label, i) => h("button", { type: "button", class: "button secondary",
          "data-choice": String(i), onclick: () => on.answer(i) }, label))));
      return;
    }
    if (!shown.verdict && shown.result) shown.verdict = verdict(lesson, shown.result.runs, labels, shown.choice, scene);
    const v = shown.verdict;
    if (!v) { el.replaceChildren(h("p", {}, "Computing the runs…")); return; }
    el.replaceChildren(
      h("p", { class: `verdict ${v.right ? "right" : "wrong"}` }, h("strong", {}, v.head), " ", v.said),
      h("p", { class: "explain" }, v.explain),
      locked || !lesson.predict.tryIt ? "" : h("p", { class: "try-it" }, h("strong", {}, "Try it yourself: "),
        h("button", { type: "button", class: "button secondary", onclick: on.tryIt }, lesson.predict.tryIt.text)));
  }

  return { el, show };
}

// What the card says once the learner chose run `choice`: decided by this run's numbers.
function verdict(lesson, runs, labels, choice, scene) {
  const label = (i) => labels[i] ?? `run ${i + 1}`;
  const k = runs.length === lesson.scene.optimizers.length ? rightAnswer(lesson, runs) : null;
  if (k === null || !sameAsLesson(scene, lesson)) {
    return { right: false, head: "This scene no longer matches the lesson's.",
      said: `You chose ${label(choice)}.`, explain: "The settings were changed before you answered, so the lesson cannot judge your guess: pick the lesson again to start over." };
  }
  const right = k === choice;
  return {
    right,
    head: right ? "✓ Right." : "✗ Not quite.",
    said: right ? `You chose ${label(choice)}, and so it is.` : `You chose ${label(choice)}; the answer is ${label(k)}.`,
    explain: lesson.predict.explain(runs, label),
  };
}

// Whether the scene is still the lesson's own (its explanation's numbers are the lesson's).
function sameAsLesson(scene, lesson) {
  const s = lesson.scene;
  const key = (x) => JSON.stringify([x.function, x.function_params, x.start, x.steps, x.optimizers.map((o) => [o.name, o.params])]);
  return key(scene) === key(s);
}
