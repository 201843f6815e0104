// Naming a refused field by the control that sets it. The core names a field as the spec
// does ("batch_size", "model.hidden[1]", "optimizers[0].lr"); the page names it by the
// control's label, and marks that control. A field no control sets is named by the
// control that drives it: the page never names a field it does not offer.

const DRIVEN_BY = {
  snapshot_every: "epochs", boundary_size: "epochs", dataset: "dataset.name", "dataset.points": "dataset.csv",
  "dataset.labels": "dataset.csv", "dataset.label_column": "dataset.csv", recipe: "dataset.recipe",
};
const FIELD_LABELS = {   // controls that may be on another tab just now
  "dataset.name": "Preset", "dataset.seed": "Data seed", "dataset.recipe": "Recipe", "dataset.describe": "Description",
  "dataset.csv": "CSV file", "dataset.n": "Number of points", "dataset.noise": "Noise", "dataset.classes": "Classes",
};

// errorText(err) -> the message to show, with the control marked (aria-invalid).
export function fieldErrors(root) {
  let marked = null;

  function controlOf(field) {
    for (let f = String(field); f;) {
      const key = DRIVEN_BY[f] || f;
      for (const k of [key, `${key}.name`]) {
        const el = root.querySelector(`[data-field="${CSS.escape(k)}"]`);
        if (el) return { el, key: k };
        if (FIELD_LABELS[k]) return { el: null, key: k };
      }
      const cut = f.search(/(\.[^.[\]]*|\[\d+\])$/);   // drop the last ".name" or "[i]"
      f = cut > 0 ? f.slice(0, cut) : "";
    }
    return { el: root.querySelector('[data-field="epochs"]'), key: "epochs" };
  }

  return function errorText(err) {
    if (marked) { marked.removeAttribute("aria-invalid"); marked = null; }
    if (!err.field) return err.message;
    const control = controlOf(err.field);
    if (control.el) { control.el.setAttribute("aria-invalid", "true"); marked = control.el; }
    return `${labelOf(control)}: ${err.message}`;
  };
}

function labelOf({ el, key }) {
  const opt = /^optimizers\[(\d+)\]\.(.+)$/.exec(key);
  if (opt) return `Optimizer ${+opt[1] + 1}${opt[2] === "name" ? "" : ` ${opt[2]}`}`;
  if (el && el.labels && el.labels[0]) return el.labels[0].textContent;
  return (el && el.getAttribute("aria-label")) || FIELD_LABELS[key] || key;
}
