// The editor panel for one custom optimizer: the learner's code in the editor (editor.js;
// a plain textarea until it loads or if it cannot), "Save and run" and "Cancel". Saving
// first asks the code worker to describe the code (api.callCode("learner_describe")):
// an error is shown with the learner's own line, marked in the editor; good code is
// trusted for this tab and handed to onSave with update's keyword defaults.
import { h, newId } from "../lib/dom.js";
import { MAX_CODE_CHARS, MAX_LABEL_CHARS } from "../lib/urlstate.js";
import { trustCode } from "./trust.js";

// "Add your own": the contract in a few comments, and plain gradient descent to start from.
export const BLANK_TEMPLATE = `# Your optimizer. The lab calls:
#   state = init(params)                       params: the parameters (NumPy array)
#   updates, state = update(grads, state, params, <hyper-parameters>)
# and adds updates to params. Each keyword argument of update with a default is a
# hyper-parameter: the page shows a control for it.
# The state may be a NamedTuple, a tuple or a dict of arrays and numbers.
# np (NumPy) and K (deterministic kernels: K.sqrt, K.exp, K.log, ...) are available.


def init(params):
    return (0,)  # the step count; add arrays such as np.zeros_like(params)


def update(grads, state, params, lr=0.01):
    (step,) = state
    updates = -lr * grads
    return updates, (step + 1,)
`;

// "Edit a copy": the built-in's own source as learner code (descentlab.optimizers.copy).
// base: SAM's base optimizer (the copy is SAM's probe over the base's code); choices: the
// entry's text defaults (Sophia's hessian_distribution), which the copy's signature carries.
// The catalog may carry a plain copy; else the worker is asked.
export async function sourceCopy(api, catalog, name, { base = null, choices = null } = {}) {
  const chosen = choices && Object.keys(choices).length ? choices : null;
  if (base === null && chosen === null) {
    const meta = catalog.optimizers.find((o) => o.name === name);
    if (meta && typeof meta.source_copy === "string") return meta.source_copy;
    return api.call("source_copy", name);
  }
  return api.call("source_copy", name, base, chosen);
}

// The line of the learner's code an error names: {line} from describe, else "line N" in
// a run's message ("update at step 3: line 7: ZeroDivisionError: ...").
export function errorLine(err) {
  if (err && Number.isInteger(err.line)) return err.line;
  const m = /\bline (\d+)\b/.exec(String((err && err.message) || ""));
  return m ? +m[1] : null;
}

// update's hyper-parameters and their defaults, or the error that stops the code: {hyper, error}.
export async function describeCode(api, code) {
  if (code.length > MAX_CODE_CHARS) {
    return { hyper: null, error: { line: null, message: `the code is ${code.length.toLocaleString("en")} characters long; at most ${MAX_CODE_CHARS.toLocaleString("en")} (an optimizer fits in a page)` } };
  }
  if (typeof api.callCode !== "function") {
    return { hyper: null, error: { line: null, message: "this build of the page has no code worker, so your code cannot run here" } };
  }
  try {
    const out = await api.callCode("learner_describe", code);
    return { hyper: out.hyper || null, error: out.error || null };
  } catch (err) {
    return { hyper: null, error: { line: errorLine(err), message: err.message || String(err) } };
  }
}

// A textarea with the editor's API, for when editor.js is not there.
function plainEditor(parent, { value, label, onChange }) {
  const area = h("textarea", { class: "code-fallback", spellcheck: "false", autocomplete: "off", "aria-label": label, rows: 18 });
  area.value = value;
  area.addEventListener("input", () => onChange && onChange(area.value));
  parent.append(area);
  return {
    el: area, getValue: () => area.value, setValue(t) { area.value = t; }, focus: () => area.focus(),
    markLine(n) { area.toggleAttribute("aria-invalid", n !== null && n !== undefined); }, destroy: () => area.remove(),
  };
}

async function makeEditor(parent, options) {
  try {
    const mod = await import("../lib/editor.js");
    return mod.createEditor(parent, options);
  } catch {
    return plainEditor(parent, options);
  }
}

// entry: {label, code} (a new entry is not in the list yet). onSave({label, code, defaults})
// may return a promise; the panel stays open after it so the learner can keep editing.
// Returns {el, showError(err), showStatus(text), close()}.
// (catalog: the contract passes it; the panel needs nothing from it yet.)
export function codePanel({ api, entry, onSave, onClose }) {
  const titleId = newId("code-title");
  const labelId = newId("code-label");
  const hintId = newId("code-hint");
  const title = h("h2", { id: titleId }, `Code of ${entry.label}`);
  const labelInput = h("input", { id: labelId, type: "text", maxlength: MAX_LABEL_CHARS, value: entry.label, autocomplete: "off" });
  const status = h("p", { class: "code-status", role: "status", "aria-live": "polite" });
  const errorBox = h("div", { class: "code-error", role: "alert", hidden: true });
  const host = h("div", { class: "code-editor-host", "aria-describedby": hintId });
  const save = h("button", { type: "button", class: "button" }, "Save and run");
  const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
  const closeX = h("button", { type: "button", class: "icon-button", "aria-label": "Close the code panel" }, "✕");
  const el = h("section", { class: "code-panel", role: "region", "aria-labelledby": titleId },
    h("div", { class: "code-panel-head" }, title, closeX),
    h("div", { class: "control" }, h("label", { for: labelId }, `Label (at most ${MAX_LABEL_CHARS} characters)`), labelInput),
    h("p", { class: "hint", id: hintId }, "Define init(params) and update(grads, state, params, lr=…), which returns (updates, new_state). ",
      // a copy of SAM: its probe is part of the contract too (learner.py)
      ...(/^def probe\(/m.test(entry.code || "") ? ["probe(grads, params, rho=…) returns an offset ε; update then gets the gradient at params + ε. "] : []),
      h("code", {}, "np"), " and ", h("code", {}, "K"), " are available."),
    host, errorBox, status, h("div", { class: "code-actions" }, save, cancel));
  document.body.append(el);
  let ed = null;
  let closed = false;
  const ready = makeEditor(host, { value: entry.code, label: `Code of ${entry.label}`, minLines: 12,
    onChange: () => { if (ed) ed.markLine(null); } }).then((e) => {
    ed = e;
    el.codeEditor = e;   // for tests and tools: the panel's editor (getValue, setValue)
    if (closed) ed.destroy(); else ed.focus();
    return e;
  });

  // An error with a line is marked in the editor, with its message under it; the alert box
  // then only announces it (visually hidden), else it shows the message itself.
  function showError(err) {
    const line = errorLine(err);
    const text = err ? (err.message || String(err)) : "";
    const inEditor = Boolean(err && line && ed);
    errorBox.hidden = !err;
    errorBox.classList.toggle("announce-only", inEditor);
    errorBox.textContent = err ? (line && !/\bline \d+/.test(text) ? `Line ${line}: ${text}` : text) : "";
    if (ed) ed.markLine(inEditor ? line : null, text.replace(/\bline \d+: /, ""));
    if (err) status.textContent = "";
  }

  function close() {
    if (closed) return;
    closed = true;
    if (ed) ed.destroy();
    el.remove();
    if (onClose) onClose();
  }

  save.addEventListener("click", async () => {
    const editor = await ready;
    const code = editor.getValue();
    const label = labelInput.value.trim().slice(0, MAX_LABEL_CHARS) || "My optimizer";
    save.disabled = true;
    showError(null);
    status.textContent = "Checking your code…";
    const { hyper, error } = await describeCode(api, code);
    save.disabled = false;
    if (closed) return;
    if (error) { showError(error); return; }
    await trustCode(code);   // the learner wrote it: a link to this scene opens without asking
    title.textContent = `Code of ${label}`;
    status.textContent = "Saved: the race runs with your code.";
    await onSave({ label, code, defaults: hyper || {} });
  });
  cancel.addEventListener("click", close);
  closeX.addEventListener("click", close);
  el.addEventListener("keydown", (e) => { if (e.key === "Escape" && e.target === labelInput) close(); });

  return { el, showError, showStatus(text) { status.textContent = text; }, close, ready };
}
