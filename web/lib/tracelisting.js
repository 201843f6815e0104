// The inspector's listing: an optimizer's real Python source as descentlab.trace returns
// it, one table row per line (line number, code, values), with beside each line the
// values that line computed at the traced step. Nothing here computes: values are shown
// as Python sent them, compactly, with the exact number in data-value and the tooltip.
import { h, fmt } from "./dom.js";

const DIGITS = 4;                  // significant digits shown; the exact value is in data-value
const DOC_QUOTES = /^\s*[rRuU]?("""|''')/;

// Python's spelling of a JSON scalar, and the exact text of a number (-0 keeps its sign).
export function exact(v) {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  return v === null ? "None" : String(v);
}
// A number in DIGITS significant digits, without an exponent's trailing zeros (1e-8, not 1.000e-8).
const short = (v) => (typeof v === "number" ? fmt(v, DIGITS).replace(/\.?0+e/, "e") : exact(v));

// A traced value's leaves: [{name, value}], a tuple as name[i], a state as name.field.
// `pair(v)` says whether v is one value per coordinate (a landscape's [x, y]) and `pick`
// chooses what to show of it.
function leaves(name, v, pair, pick) {
  if (Array.isArray(v) && pair(v)) return [{ name, value: pick(v) }];
  if (Array.isArray(v)) return v.flatMap((item, i) => leaves(`${name}[${i}]`, item, pair, pick));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, item]) => leaves(`${name}.${k}`, item, pair, pick));
  return [{ name, value: v }];
}

// update returns (updates, new_state): the names of the contract, not "return[0]"
const RETURN_NAMES = ["updates", "new_state"];
function label(name) {
  const m = /^return\[(\d)\](.*)$/.exec(name);
  return m && RETURN_NAMES[+m[1]] ? RETURN_NAMES[+m[1]] + m[2] : name;
}

// One value chip: "m = −31.36", the exact value in data-value (and the tooltip).
function chip({ name, value }) {
  const both = Array.isArray(value);
  const text = both ? `(${value.map(short).join(", ")})` : short(value);
  const full = both ? value.map(exact).join(", ") : exact(value);
  return h("span", { class: "tv", "data-name": name, "data-value": full, title: `${label(name)} = ${full}` },
    h("span", { class: "tv-name" }, label(name)), " = ", h("span", { class: "tv-num" }, text));
}

// line number -> [{name, value}] of the values assigned there (the last time it ran)
function valuesByLine(trace, pair, pick) {
  const out = new Map();
  for (const { line, values } of trace.lines) {
    const byName = new Map((out.get(line) || []).map((l) => [l.name, l]));
    for (const [k, v] of Object.entries(values)) for (const leaf of leaves(k, v, pair, pick)) byName.set(leaf.name, leaf);
    out.set(line, [...byName.values()]);
  }
  return out;
}

// The rows of a docstring (from its opening line to its closing quotes), to fold them.
function docstringRows(lines) {
  const rows = new Set();
  for (let i = 0; i < lines.length; i++) {
    const m = DOC_QUOTES.exec(lines[i]);
    if (!m || i === 0 || !/^\s*def\s/.test(lines[i - 1])) continue;
    let j = i;
    const rest = lines[i].slice(lines[i].indexOf(m[1]) + 3);
    if (!rest.includes(m[1])) while (j + 1 < lines.length && !lines[++j].includes(m[1]));
    for (let k = i; k <= j; k++) rows.add(k);
  }
  return rows;
}

// Highlighted lines: the editor's colouring (web/lib/editor.js) of the whole text, cut at
// its newlines; plain text when the editor module is missing or fails.
async function highlightedLines(lines) {
  try {
    const editor = await import("./editor.js");
    if (editor.editorReady) await editor.editorReady;
    const code = editor.highlightPython(lines.join("\n"));
    const out = [[]];
    for (const node of code.childNodes) {
      const parts = node.textContent.split("\n");
      parts.forEach((part, i) => {
        if (i > 0) out.push([]);
        if (!part) return;
        out[out.length - 1].push(node.nodeType === Node.TEXT_NODE ? part : h("span", { class: node.className }, part));
      });
    }
    if (out.length === lines.length) return out;
  } catch { /* no editor module: plain text below */ }
  return lines.map((line) => [line]);
}

// A listing table of `lines` (the traced source or init's), with values when given.
// options: {caption, values: Map line -> leaves | null, first: number of the first line}
export async function listingTable(lines, { caption, values = null, first = 1, fold = true }) {
  const coloured = await highlightedLines(lines);
  const docs = fold ? docstringRows(lines) : new Set();
  // Values sit beside their line; in a narrow listing (CSS container query) they move to a
  // row under it instead. Only one of the two is displayed, so a screen reader reads them once.
  const rows = lines.flatMap((line, i) => {
    const n = first + i;
    const vals = values && values.get(n);
    const cls = [vals ? "ran" : "", docs.has(i) ? "doc" : ""].join(" ").trim() || null;
    const row = h("tr", { "data-line": n, class: cls, hidden: docs.has(i) },
      h("th", { scope: "row", class: "ln" }, String(n)),
      h("td", { class: "src" }, h("code", { class: "py cm-s-default" }, ...coloured[i])),
      h("td", { class: "vals" }, ...(vals || []).map(chip)));
    if (!vals) return [row];
    return [row, h("tr", { class: "below", "data-below": n, "aria-label": `values of line ${n}` },
      h("td", { class: "ln" }), h("td", { colspan: 2 }, h("div", { class: "chips" }, ...vals.map(chip))))];
  });
  const table = h("table", { class: "trace-listing" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "line"), h("th", { scope: "col" }, "code"),
      h("th", { scope: "col" }, values ? "values at this step" : ""))),
    h("tbody", {}, rows));
  // the caption, also shown above the scrolling table so that it wraps to the visible width
  const scroller = [h("p", { class: "listing-caption", "aria-hidden": "true" }, caption), h("div", { class: "listing-scroll" }, table)];
  if (!docs.size) return h("div", { class: "listing-wrap" }, scroller);
  const toggle = h("button", { type: "button", class: "button secondary small doc-toggle", "aria-expanded": "false" },
    `Show the docstrings (${docs.size} lines)`);
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide the docstrings" : `Show the docstrings (${docs.size} lines)`;
    for (const tr of table.querySelectorAll("tr.doc")) tr.hidden = !open;
  });
  return h("div", { class: "listing-wrap" }, toggle, scroller);
}

// The traced step: equations (from the optimizer's docstring, as the catalog's), the
// update's listing with its values, and init's listing on request.
// options: {pair(v), pick(v), what: text naming whose values are shown, initShown, onInit(shown),
// wide: whether to offer the "Wide view" dialog (the panel's view does; the dialog's does not)}
export async function traceView(trace, options) {
  const { pair = () => false, pick = (v) => v, what, initShown = false, onInit = () => {}, wide = true } = options;
  const values = valuesByLine(trace, pair, pick);
  const listing = await listingTable(trace.source, { values,
    caption: `${trace.title}: the code that ran at step ${trace.step}, with the values of ${what}` });
  const eqs = trace.equations.length
    ? h("div", { class: "trace-equations", role: "group", "aria-label": "Update rule" },
      ...trace.equations.map((line) => h("div", { class: "eq-line" }, h("code", { class: "eq-sym" }, line))))
    : h("p", { class: "hint" }, "Your own code: its equations are the code itself.");
  const initBox = h("div", { class: "trace-init", hidden: !initShown });
  const initToggle = h("label", { class: "check" }, h("input", { type: "checkbox", checked: initShown, name: "show-init" }), " Show init");
  initToggle.querySelector("input").addEventListener("change", async (e) => {
    initBox.hidden = !e.target.checked;
    onInit(e.target.checked);
    if (e.target.checked && !initBox.childElementCount) initBox.append(await initListing(trace));
  });
  if (initShown) initBox.append(await initListing(trace));
  const wideBtn = wide && h("button", { type: "button", class: "button secondary small wide-open" }, "Wide view");
  if (wideBtn) wideBtn.addEventListener("click", () => openWide(trace, { ...options, wide: false }, wideBtn));
  return h("div", { class: "trace-view" }, h("h3", {}, "Update rule"), eqs,
    h("div", { class: "trace-tools" }, h("h3", {}, "The code, with this step's numbers"),
      h("span", { class: "trace-buttons" }, initToggle, wideBtn)), initBox, listing);
}

// The same traced step in a modal dialog as wide as the window: values beside long lines.
async function openWide(trace, options, opener) {
  const close = h("button", { type: "button", class: "button secondary small" }, "Close");
  const dialog = h("dialog", { class: "trace-dialog", "aria-label": `${trace.title}, step ${trace.step}: the traced code` },
    h("div", { class: "trace-dialog-head" }, h("h2", {}, `${trace.title} — step ${trace.step}`), close),
    await traceView(trace, options));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { dialog.remove(); opener.focus(); });
  document.body.append(dialog);
  dialog.showModal();
}

function initListing(trace) {
  return listingTable(trace.init_source.length ? trace.init_source : ["# no init found"], {
    caption: "init(params): the state before step 1 (it runs once)", fold: false });
}
