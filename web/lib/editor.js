// The code editor: CodeMirror 5 behind a small API, with a plain <textarea> fallback.
//
// CodeMirror's files come from dist/vendor/codemirror/, fetched with npm and sha256-pinned
// at build time (buildtool/editor.py). CodeMirror 5 rather than 6: it is a few classic
// scripts that set window.CodeMirror, so no bundler or import map of packages is needed.
// The single-file app inlines those scripts and styles before any module runs; this module
// then finds window.CodeMirror (and the inline styles) instead of loading files.
//
//   import { createEditor, highlightPython, editorReady } from "../lib/editor.js";
//   const ed = createEditor(parent, { value, label: "Code of My Adam", onChange(text) {}, readOnly: false, minLines: 12 });
//   ed.el; ed.getValue(); ed.setValue(text); ed.focus(); ed.markLine(3, "message"); ed.markLine(null); ed.destroy();
//   highlightPython(source) -> <code class="py cm-s-default"> with CodeMirror's token spans
//   await editorReady  // true: CodeMirror is in use; false: it could not load, editors are textareas
//
// An editor made before CodeMirror has loaded starts as a textarea and turns into CodeMirror
// when it arrives (value, focus and marked line carried over); highlightPython's output too.
// Keyboard: Tab / Shift-Tab indent and dedent by 4 spaces; Esc then Tab (or Shift-Tab) moves
// the focus out, so a keyboard user is never trapped. The first Esc is kept from an enclosing
// dialog; a second Esc goes through (e.g. to close it).

const VENDOR = "vendor/codemirror/";           // relative to dist/ (this module is in lib/)
// In load order, each with how to tell it is already there (inlined by the single-file build).
const SCRIPTS = [
  ["codemirror.js", () => typeof window.CodeMirror === "function"],
  ["python.js", () => Boolean(window.CodeMirror.modes && window.CodeMirror.modes.python)],
  ["runmode.js", () => typeof window.CodeMirror.runMode === "function"],
  ["matchbrackets.js", () => "matchBrackets" in window.CodeMirror.defaults],
];
const STYLES = [VENDOR + "codemirror.css", "lib/editor.css"];

const INDENT = 4;                 // spaces per indentation level (PEP 8)
const MIN_LINES = 8;              // default visible height
const MAX_LINES = 30;             // the editor grows with its text up to this, then scrolls
export const LEAVE_HINT = "Esc then Tab to leave the editor";

let uid = 0;

// ------------------------------------------------------------------ loading CodeMirror

/** The URL of a dist/ file, or null in the single-file app (modules are data: URLs there). */
function distUrl(rel) {
  try {
    return new URL("../" + rel, import.meta.url).href;
  } catch {
    return null;
  }
}

function loadStyle(rel) {
  if (document.querySelector(`style[data-descentlab-inline="${rel}"]`)) return Promise.resolve(true);
  const href = distUrl(rel);
  if (!href) return Promise.resolve(false);
  const existing = [...document.querySelectorAll('link[rel="stylesheet"]')].find((l) => l.href === href);
  if (existing && existing.sheet) return Promise.resolve(true);
  const link = existing || document.head.appendChild(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
  return new Promise((resolve) => {
    link.addEventListener("load", () => resolve(true), { once: true });
    link.addEventListener("error", () => resolve(false), { once: true });
  });
}

function loadScript(rel) {
  const src = distUrl(rel);
  if (!src) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = Object.assign(document.createElement("script"), { src, async: false });
    s.dataset.descentlabVendor = rel;
    s.addEventListener("load", () => resolve(true), { once: true });
    s.addEventListener("error", () => resolve(false), { once: true });
    document.head.appendChild(s);
  });
}

async function loadCodeMirror() {
  try {
    const styles = Promise.all(STYLES.map(loadStyle));   // in parallel with the scripts
    for (const [name, present] of SCRIPTS) {
      if (!safe(present) && !(await loadScript(VENDOR + name))) return false;
      if (!safe(present)) return false;
    }
    await styles;       // an editor measured before its CSS would get its line heights wrong
    return true;
  } catch {
    return false;
  }
}

function safe(test) {
  try {
    return test();
  } catch {
    return false;
  }
}

/** Resolves to true once CodeMirror is loaded, to false when it cannot be (never rejects). */
export const editorReady = loadCodeMirror();
let cmReady = false;
editorReady.then((ok) => { cmReady = ok; });

// ------------------------------------------------------------------ read-only highlighting

/** `source` coloured as Python: a <code class="py cm-s-default"> of CodeMirror's token spans
 * (class "cm-keyword", "cm-def", ...). Plain text until CodeMirror is there, then coloured. */
export function highlightPython(source) {
  const code = document.createElement("code");
  code.className = "py cm-s-default";
  const text = String(source ?? "");
  const colour = () => window.CodeMirror.runMode(text, "python", code, { tabSize: INDENT });
  if (cmReady) colour();
  else {
    code.textContent = text;
    editorReady.then((ok) => ok && colour());
  }
  return code;
}

// ------------------------------------------------------------------ the editor

/**
 * An editor for Python source in `parent`.
 * @param {HTMLElement} parent  where the editor's root element is appended
 * @param {object} options
 *   value     the initial text
 *   label     its accessible name, e.g. "Code of My Adam"
 *   onChange  called with the whole text after each edit by the user (not after setValue)
 *   readOnly  true to show code that cannot be edited
 *   minLines  lines of height at least (it grows with the text up to MAX_LINES, then scrolls)
 */
export function createEditor(parent, { value = "", label = "Python code", onChange = null, readOnly = false,
  minLines = MIN_LINES } = {}) {
  const id = `dl-editor-${++uid}`;
  const root = document.createElement("div");
  root.className = "dl-editor";
  const host = document.createElement("div");
  host.className = "dl-editor-host";
  const hint = document.createElement("p");
  hint.className = "dl-editor-hint";
  hint.id = `${id}-hint`;
  hint.textContent = readOnly ? LEAVE_HINT : `Tab indents, Shift-Tab dedents. ${LEAVE_HINT}.`;
  const message = document.createElement("p");
  message.className = "dl-editor-message";
  message.id = `${id}-message`;
  message.hidden = true;
  root.append(host, message, hint);
  parent.appendChild(root);

  const config = { label, readOnly, minLines: Math.max(1, minLines | 0), describedBy: `${hint.id} ${message.id}`,
    changed: (text) => onChange && onChange(text) };
  let marked = null;            // [line, message] shown now
  let destroyed = false;
  let backend = cmReady ? cmBackend(host, String(value), config) : textareaBackend(host, String(value), config);
  if (!cmReady) {
    editorReady.then((ok) => {
      if (!ok || destroyed) return;
      const text = backend.getValue();
      const hadFocus = root.contains(document.activeElement);
      backend.destroy();
      backend = cmBackend(host, text, config);
      if (marked) backend.markLine(marked[0]);
      if (hadFocus) backend.focus();
    });
  }

  const editor = {
    el: root,
    getValue: () => backend.getValue(),
    setValue(text) {
      backend.setValue(String(text ?? ""));
    },
    focus: () => backend.focus(),
    /** Mark learner line `line` (1-based) as the error line, with `text` shown under the editor; null clears. */
    markLine(line, text = "") {
      if (line === null || line === undefined) {
        marked = null;
        backend.markLine(null);
        message.hidden = true;
        message.textContent = "";
        return;
      }
      const n = Math.min(Math.max(1, Math.trunc(Number(line)) || 1), backend.lineCount());
      marked = [n, text];
      backend.markLine(n);
      message.textContent = text ? `Line ${n}: ${text}` : `Line ${n}`;
      message.hidden = false;
    },
    destroy() {
      destroyed = true;
      backend.destroy();
      root.remove();
    },
    /** "codemirror" or "textarea": what is editing now. */
    get kind() {
      return backend.kind;
    },
  };
  return editor;
}

/** Esc then Tab leaves: the state both backends keep. */
function leaveState() {
  let armed = false;
  return {
    arm: () => { armed = true; },
    disarm: () => { armed = false; },
    get armed() {
      return armed;
    },
  };
}

function visibleLines(count, minLines) {
  return Math.min(Math.max(count, minLines), Math.max(minLines, MAX_LINES));
}

function cmBackend(host, value, { label, readOnly, minLines, describedBy, changed }) {
  const CM = window.CodeMirror;
  const leave = leaveState();
  let silent = false;           // setValue: not an edit by the user
  let markedLine = null;        // a CodeMirror LineHandle
  const cm = CM(host, {
    value,
    mode: "python",
    lineNumbers: true,
    indentUnit: INDENT,
    tabSize: INDENT,
    indentWithTabs: false,
    smartIndent: true,
    matchBrackets: true,
    readOnly,
    inputStyle: "contenteditable",   // what screen readers read best in CodeMirror 5
    screenReaderLabel: label,
    viewportMargin: 10,              // draw only what is near the view: a 1 MB paste stays fast
    extraKeys: {
      // each indent its own undo step (CodeMirror would merge it with the typing around it)
      Tab: (ed) => indentStep(ed, () => {
        if (ed.somethingSelected()) ed.indentSelection("add");
        else ed.replaceSelection(" ".repeat(INDENT - (ed.getCursor().ch % INDENT)), "end", "+input");
      }),
      "Shift-Tab": (ed) => indentStep(ed, () => ed.indentSelection("subtract")),
    },
  });
  const input = cm.getInputField();
  input.setAttribute("aria-label", label);
  input.setAttribute("aria-describedby", describedBy);
  // Before CodeMirror's own key handling: an ignored event keeps the browser's default
  // (Tab moves the focus) and reaches enclosing elements (a dialog's Esc).
  cm.on("keydown", (ed, e) => {
    const plain = !(e.ctrlKey || e.altKey || e.metaKey);
    if (e.key === "Tab" && plain && (leave.armed || ed.getOption("readOnly"))) e.codemirrorIgnore = true;
    else if (e.key === "Escape" && leave.armed) e.codemirrorIgnore = true;  // a second Esc: for a dialog
    else if (e.key === "Escape") leave.arm();
    else if (e.key !== "Shift") leave.disarm();
  });
  cm.on("blur", () => leave.disarm());
  cm.on("mousedown", () => leave.disarm());

  const fit = () => {
    const lines = visibleLines(cm.lineCount(), minLines);
    cm.setSize(null, lines * cm.defaultTextHeight() + 2 * 4 /* CodeMirror-lines padding */ + 2);
  };
  fit();
  cm.on("changes", () => {
    fit();
    if (!silent) changed(cm.getValue());
  });
  // laid out while hidden (e.g. a closed panel): measure again once visible
  const seen = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && (cm.refresh(), fit()));
  seen.observe(host);

  return {
    kind: "codemirror",
    cm,
    getValue: () => cm.getValue(),
    setValue(text) {
      silent = true;
      try {
        cm.setValue(text);
      } finally {
        silent = false;
      }
    },
    focus: () => cm.focus(),
    lineCount: () => cm.lineCount(),
    markLine(n) {
      if (markedLine !== null) {
        cm.removeLineClass(markedLine, "wrap", "dl-editor-error-line");
        cm.removeLineClass(markedLine, "gutter", "dl-editor-error-gutter");
        markedLine = null;
      }
      if (n === null) return;
      markedLine = cm.addLineClass(n - 1, "wrap", "dl-editor-error-line");
      cm.addLineClass(n - 1, "gutter", "dl-editor-error-gutter");
      cm.scrollIntoView({ line: n - 1, ch: 0 }, cm.defaultTextHeight() * 2);
    },
    destroy() {
      seen.disconnect();
      host.replaceChildren();
    },
  };
}

function indentStep(cm, edit) {
  cm.changeGeneration(true);
  edit();
  cm.changeGeneration(true);
}

function textareaBackend(host, value, { label, readOnly, minLines, describedBy, changed }) {
  const leave = leaveState();
  const ta = document.createElement("textarea");
  ta.className = "dl-editor-fallback";
  Object.assign(ta, { value, readOnly, spellcheck: false });
  ta.setAttribute("wrap", "off");
  ta.setAttribute("autocapitalize", "off");
  ta.setAttribute("autocomplete", "off");
  ta.setAttribute("aria-label", label);
  ta.setAttribute("aria-describedby", describedBy);
  const fit = () => { ta.rows = visibleLines(ta.value.split("\n").length, minLines); };
  fit();
  ta.addEventListener("input", () => {
    fit();
    changed(ta.value);
  });
  ta.addEventListener("blur", () => leave.disarm());
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      if (!leave.armed) {
        leave.arm();
        e.preventDefault();
      }
      return;
    }
    if (e.key !== "Tab") {
      if (e.key !== "Shift") leave.disarm();
      return;
    }
    if (leave.armed || ta.readOnly || e.ctrlKey || e.altKey || e.metaKey) return;  // the browser moves the focus
    e.preventDefault();
    indentTextarea(ta, e.shiftKey ? -1 : 1);
  });
  host.appendChild(ta);
  return {
    kind: "textarea",
    getValue: () => ta.value,
    setValue(text) {
      ta.value = text;
      fit();
    },
    focus: () => ta.focus(),
    lineCount: () => ta.value.split("\n").length,
    markLine(n) {
      ta.classList.toggle("dl-editor-has-error", n !== null);
    },
    destroy: () => ta.remove(),
  };
}

/** Tab (direction 1) or Shift-Tab (-1) in the textarea, as CodeMirror does it: spaces to the
 * next indent stop at a caret, whole lines in and out for a selection across lines. */
function indentTextarea(ta, direction) {
  const { value, selectionStart: a, selectionEnd: b } = ta;
  const lineStart = value.lastIndexOf("\n", a - 1) + 1;
  if (direction > 0 && !value.slice(a, b).includes("\n")) {
    replaceRange(ta, a, b, " ".repeat(INDENT - ((a - lineStart) % INDENT)));
    return;
  }
  const lineEnd = value.indexOf("\n", b - (b > a && value[b - 1] === "\n" ? 1 : 0));
  const end = lineEnd === -1 ? value.length : lineEnd;
  const lines = value.slice(lineStart, end).split("\n");
  const out = lines.map((line) => (direction > 0
    ? " ".repeat(INDENT) + line
    : line.replace(new RegExp(`^ {1,${INDENT}}`), "")));
  replaceRange(ta, lineStart, end, out.join("\n"));
  ta.setSelectionRange(lineStart, lineStart + out.join("\n").length);
}

/** Replace [a, b) keeping the browser's own undo history when it can. */
function replaceRange(ta, a, b, text) {
  ta.setSelectionRange(a, b);
  if (!(document.execCommand && document.execCommand("insertText", false, text))) {
    ta.setRangeText(text, a, b, "end");
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
