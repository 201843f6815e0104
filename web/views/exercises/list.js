// The exercises in course order, each with its passed mark, and the progress file's
// Export / Import buttons under them.
import { h } from "../../lib/dom.js";
import { downloadJSON } from "../../lib/download.js";
import { parseImport, exportObject, ProgressError, MAX_FILE_BYTES } from "./progress.js";

export const EXPORT_FILENAME = "descentlab-exercises.json";

export function exerciseList({ exercises, store, onSelect, beforeExport, onImported }) {
  const items = h("ol", { class: "ex-items" });
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

  function render() {
    items.replaceChildren(...exercises.map((ex, i) => {
      const passed = store.entry(ex.id).passed;
      return h("li", {},
        h("button", { type: "button", class: "ex-item", "data-exercise": ex.id, "aria-current": ex.id === current ? "true" : undefined,
          onclick: () => onSelect(ex.id) },
        h("span", { class: "ex-num" }, `${i + 1}.`), h("span", { class: "ex-name" }, ex.title),
        h("span", { class: `ex-mark${passed ? " passed" : ""}`, "aria-label": passed ? "passed" : "not passed yet",
          title: passed ? "passed" : "not passed yet" }, passed ? "✓" : "")));
    }));
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
