// The exercises in course order, each with its passed mark, and the progress file's
// Export / Import buttons under them.
import { h } from "../../lib/dom.js";
import { downloadJSON } from "../../lib/download.js";
import { parseImport, exportObject, ProgressError, MAX_FILE_BYTES } from "./progress.js";

export const EXPORT_FILENAME = "descentlab-exercises.json";

export function exerciseList({ exercises, store, onSelect, beforeExport, onImported }) {
  const items = h("div", { class: "ex-groups" });
  const status = h("p", { class: "ex-file-status", role: "status", "aria-live": "polite" });
  const file = h("input", { type: "file", accept: ".json,application/json", hidden: true, "aria-label": "Progress file to import",
    onchange: () => { if (file.files[0]) importFile(file.files[0]); file.value = ""; } });
  const button = (label, onclick) => h("button", { type: "button", class: "button secondary", onclick }, label);
  const el = h("nav", { class: "panel ex-list", "aria-label": "Exercises" },
    h("h2", {}, "Exercises"), items,
    h("div", { class: "ex-file" },
      button("Export progress", exportFile), button("Import progress", () => file.click()), file),
    status);
  let current = null;

  // One heading and numbered list per group ("The classics", "Modern optimizers"), numbered on
  // through the groups as the course goes; a title "Lion: the sign of ..." shows its name, and
  // the rest smaller under it (hidden on a phone, where the list is a grid of names).
  function render() {
    const groups = [];
    exercises.forEach((ex, i) => {
      const key = ex.group || "";
      if (!groups.length || groups.at(-1).key !== key) groups.push({ key, title: ex.group_title, start: i + 1, items: [] });
      groups.at(-1).items.push(item(ex, i));
    });
    items.replaceChildren(...groups.map((g) => {
      const id = `ex-group-${g.key || "all"}`;
      return h("section", { class: "ex-group", "aria-labelledby": g.title ? id : undefined },
        g.title ? h("h3", { class: "ex-group-title", id }, g.title) : null,
        h("ol", { class: "ex-items", start: String(g.start) }, ...g.items));
    }));
  }

  function item(ex, i) {
    const passed = store.entry(ex.id).passed;
    const cut = ex.title.indexOf(": ");
    const name = cut > 0 ? ex.title.slice(0, cut) : ex.title;
    return h("li", {},
      h("button", { type: "button", class: "ex-item", "data-exercise": ex.id, "aria-current": ex.id === current ? "true" : undefined,
        onclick: () => onSelect(ex.id) },
      h("span", { class: "ex-num" }, `${i + 1}.`),
      h("span", { class: "ex-label" }, h("span", { class: "ex-name" }, name),
        cut > 0 ? h("span", { class: "ex-sub" }, ex.title.slice(cut + 2)) : null),
      h("span", { class: `ex-mark${passed ? " passed" : ""}`, "aria-label": passed ? "passed" : "not passed yet",
        title: passed ? "passed" : "not passed yet" }, passed ? "✓" : "")));
  }

  function exportFile() {
    beforeExport();
    downloadJSON(EXPORT_FILENAME, exportObject(store.progress));
    status.textContent = `Exported your progress as ${EXPORT_FILENAME}.`;
  }

  async function importFile(f) {
    status.classList.remove("error");
    try {
      if (f.size > MAX_FILE_BYTES) throw new ProgressError("(file)", `is ${Math.ceil(f.size / 1024)} KB; at most ${MAX_FILE_BYTES / 1024} KB`);
      const imported = parseImport(await f.text(), exercises.map((e) => e.id));
      const saved = store.merge(imported);
      const n = Object.keys(imported.exercises).length;
      status.textContent = `Imported progress for ${n} exercise${n === 1 ? "" : "s"}${saved ? "" : " (not saved in this browser: see the notice)"}.`;
      render();
      onImported();
    } catch (e) {
      if (!(e instanceof ProgressError)) throw e;
      status.classList.add("error");
      status.textContent = `Not imported: ${e.message}`;
    }
  }

  return { el, render, select(id) { current = id; render(); } };
}
