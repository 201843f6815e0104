// The exercise's code editor: the lab's editor (web/lib/editor.js, CodeMirror) when it
// loads, else a plain <textarea> with the same small API, so the exercises work either way.
//   ed = await codeEditor(parent, {value, label, onChange})
//   ed.getValue(), ed.setValue(text), ed.focus(), ed.markLine(n | null, message), ed.destroy()
import { h } from "../../lib/dom.js";

const MIN_LINES = 14;

let editorModule = null;
async function loadEditor() {
  if (!editorModule) {
    editorModule = import("../../lib/editor.js").then(async (mod) => {
      if (mod.editorReady) await mod.editorReady;
      return mod;
    }, () => null);
  }
  return editorModule;
}

export async function codeEditor(parent, { value, label, onChange }) {
  const mod = await loadEditor();
  if (mod && mod.createEditor) {
    try {
      return mod.createEditor(parent, { value, label, onChange, minLines: MIN_LINES });
    } catch (e) {
      console.warn("descentlab: the code editor could not start; a plain text box is used", e);
    }
  }
  return textareaEditor(parent, { value, label, onChange });
}

// The fallback: Tab indents (four spaces) and Esc then Tab leaves, as in the lab's editor.
function textareaEditor(parent, { value, label, onChange }) {
  const area = h("textarea", { class: "ex-textarea", spellcheck: "false", autocapitalize: "off", autocomplete: "off",
    "aria-label": `${label} (Tab indents; press Esc, then Tab, to leave the editor)`, rows: MIN_LINES });
  area.value = value;
  let escaped = false;
  area.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key === "Tab" && !escaped && !e.shiftKey) {
      e.preventDefault();
      area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
      onChange?.(area.value);
    }
    escaped = false;
  });
  area.addEventListener("input", () => onChange?.(area.value));
  const note = h("p", { class: "ex-line-note", hidden: true });
  const el = h("div", { class: "ex-editor-fallback" }, area, note);
  parent.append(el);
  return {
    el,
    getValue: () => area.value,
    setValue(text) { area.value = text; },
    focus: () => area.focus(),
    markLine(n, message) {
      note.hidden = n === null || n === undefined;
      note.textContent = note.hidden ? "" : `Line ${n}: ${message || ""}`;
      if (note.hidden) return;
      // select the line, so it is where the learner looks
      const lines = area.value.split("\n");
      const start = lines.slice(0, n - 1).reduce((s, l) => s + l.length + 1, 0);
      area.setSelectionRange(start, start + (lines[n - 1] || "").length);
    },
    destroy() { el.remove(); },
  };
}
