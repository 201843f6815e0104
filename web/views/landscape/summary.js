// A compact, read-only account of the scene, for an embedding page that locked the controls
// (lock=1): the locked fields are hidden (style.css) and this says what they hold, in a few lines.
import { h, fmt } from "../../lib/dom.js";
import { cssColour } from "../../lib/canvas.js";
import { runLabels } from "../../lib/labels.js";
import { LESSONS } from "../../lessons.js";

// locked: the page is a locked embed, the only one that shows the summary (style.css hides
// it elsewhere), so only there is it written: a drag rewrote it on every pointer move.
export function sceneSummary({ catalog, scene, locked = true }) {
  const el = h("div", { class: "scene-summary", "aria-label": "Scene (read-only)" });
  function show() {
    if (!locked) return;
    const fn = catalog.functions.find((f) => f.name === scene.function);
    const params = Object.entries(scene.function_params || {}).map(([k, v]) => `${k} ${fmt(v, 4)}`).join(", ");
    const labels = runLabels(scene.optimizers, catalog);
    const lesson = LESSONS.find((l) => l.id === scene.lesson);
    el.replaceChildren(
      lesson ? h("p", {}, "Lesson: ", h("strong", {}, lesson.title)) : "",
      h("p", {}, h("strong", {}, fn ? fn.title : scene.function), params ? ` (${params})` : "",
        ` · start (${fmt(scene.start[0], 4)}, ${fmt(scene.start[1], 4)}) · ${scene.steps} steps`),
      h("ul", { class: "summary-runs" }, ...scene.optimizers.map((o, i) => h("li", {},
        h("span", { class: "swatch", style: { background: cssColour(o.color, i) } }), labels[i],
        Object.keys(o.params || {}).length ? h("span", { class: "muted" }, ` — ${Object.entries(o.params).map(([k, v]) => `${k} ${fmt(v, 4)}`).join(", ")}`) : ""))));
  }
  show();
  return { el, show };
}
