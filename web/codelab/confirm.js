// Code from a link or an embedding page is shown before any of it runs: the learner reads
// every custom entry's label and full code, then chooses "Run this code" or "Don't run".
// Code the learner wrote, or accepted once in this tab, is trusted (trust.js) and not asked
// about again.
import { h, newId } from "../lib/dom.js";
import { parse, serialize, json, MAX_CODE_CHARS, MAX_LABEL_CHARS } from "../lib/urlstate.js";
import { isTrusted, trustCode } from "./trust.js";

const isCustom = (o) => o && o.name === "custom";

// The read-only, highlighted code (editor.js's highlightPython when it loads, else plain text).
async function codeBlock(code) {
  try {
    const { highlightPython } = await import("../lib/editor.js");
    if (typeof highlightPython === "function") {
      const pre = h("pre", { class: "confirm-code", tabindex: 0 });
      pre.append(highlightPython(code));
      return pre;
    }
  } catch { /* the editor module is missing: plain text is just as readable */ }
  return h("pre", { class: "confirm-code", tabindex: 0 }, h("code", {}, code));
}

// A modal dialog listing each entry's label and code. Resolves true ("Run this code") or
// false ("Don't run", Escape, or the dialog closed any other way). Focus stays inside it.
// from: "link" (the page's own address) or "host" (a run an embedding page asked for).
export async function confirmCode(entries, { from = "link" } = {}) {
  const titleId = newId("confirm-title");
  const blocks = await Promise.all(entries.map((e) => codeBlock(String(e.code))));
  const run = h("button", { type: "button", class: "button", "data-keep-enabled": "" }, "Run this code");
  const decline = h("button", { type: "button", class: "button secondary", "data-keep-enabled": "" }, "Don't run");
  const dialog = h("dialog", { class: "confirm-code-dialog", "aria-labelledby": titleId, "aria-modal": "true" },
    h("h2", { id: titleId }, `${from === "host" ? "The page around this lab sent" : "This link carries"} code`
      + `${entries.length === 1 ? "" : ` for ${entries.length} optimizers`}: run it?`),
    h("p", {}, `It was written by whoever made ${from === "host" ? "the page that embeds this lab" : "the link"}. It runs in a worker without network or storage, `
      + "but read it first: nothing of it runs until you choose \u201cRun this code\u201d."),
    h("div", { class: "confirm-entries" }, entries.map((e, i) => h("section", { class: "confirm-entry" },
      h("h3", {}, `${i + 1}. ${e.label || "My optimizer"}`), blocks[i]))),
    h("div", { class: "confirm-actions" }, decline, run));
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answered = false;
    const finish = (ok) => {
      if (answered) return;
      answered = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(ok);
    };
    run.addEventListener("click", () => finish(true));
    decline.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); finish(false); });   // Escape
    dialog.addEventListener("close", () => finish(false));
    dialog.addEventListener("keydown", (e) => trapTab(e, dialog));
    dialog.showModal();
    decline.focus();   // the safe choice is the one Enter picks
    if (document.documentElement.classList.contains("embed")) dialog.scrollIntoView({ block: "start" });
  });
}

// Tab and Shift-Tab cycle through the dialog's own controls (the code blocks scroll too).
function trapTab(e, dialog) {
  if (e.key !== "Tab") return;
  const items = [...dialog.querySelectorAll("button, [tabindex]:not([tabindex='-1'])")].filter((el) => !el.disabled);
  if (!items.length) return;
  const first = items[0], last = items[items.length - 1];
  if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) { e.preventDefault(); last.focus(); }
  else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
}

// The custom entries of `list` whose code this tab has not seen and accepted.
export async function untrustedEntries(list) {
  const custom = (list || []).filter(isCustom);
  const trusted = await Promise.all(custom.map((o) => isTrusted(String(o.code))));
  return custom.filter((_, i) => !trusted[i]);
}

// An embedding page's run spec: every custom entry's code confirmed, or an error for the
// host naming the first entry's code field.
export async function confirmSpecCode(spec) {
  const list = spec && typeof spec === "object" && Array.isArray(spec.optimizers) ? spec.optimizers : [];
  const unread = await untrustedEntries(list);
  if (!unread.length) return;
  if (await confirmCode(unread, { from: "host" })) {
    await Promise.all(unread.map((o) => trustCode(String(o.code))));
    return;
  }
  const e = new Error("The learner chose not to run the code this page sent (\u201cDon't run\u201d); nothing of it ran");
  e.kind = "Declined";
  e.field = `optimizers[${list.indexOf(unread[0])}].code`;
  throw e;
}

// ------------------------------------------------------------------ links
// The optimizers of a link's scene as written (raw JSON text), or [] when it has none or
// they are not readable (urlstate then reports them; nothing of them runs).
function linkOptimizers(params) {
  if (typeof params.optimizers !== "string") return [];
  try {
    const list = json((v) => v)(params.optimizers);
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

// Custom entries a view would read from the link (code as text within the core's limit):
// code the view drops never runs, so it needs no question.
const runnable = (o) => o && typeof o === "object" && o.name === "custom" && typeof o.code === "string"
  && o.code.trim() && o.code.length <= MAX_CODE_CHARS;

// Whether the link `hash` may be shown now: its untrusted code is shown and confirmed first.
// Accepted code is trusted; declined code is taken out of the link (history.replaceState),
// so the view never reads it. Resolves true when the hash was rewritten.
export async function confirmLinkCode(hash) {
  const { view, params } = parse(hash);
  const list = linkOptimizers(params);
  const unread = await untrustedEntries(list.filter(runnable));
  if (!unread.length) return false;
  const shown = unread.map((o) => ({ label: typeof o.label === "string" ? o.label.slice(0, MAX_LABEL_CHARS) : "", code: o.code }));
  if (await confirmCode(shown)) {
    await Promise.all(unread.map((o) => trustCode(o.code)));
    return false;
  }
  const kept = list.filter((o) => !unread.includes(o));
  const rest = { ...params, optimizers: kept.length ? JSON.stringify(kept) : undefined };
  history.replaceState(null, "", serialize(view, rest));
  return true;
}

// The page's guard for links: before the views read the first hash, and on every hash
// change before the router sees it (this listener is added first, and holds the event back
// until the learner has answered). Returns a promise for the first hash's answer.
export function guardLinks() {
  let passing = false;
  window.addEventListener("hashchange", (event) => {
    if (passing) return;
    event.stopImmediatePropagation();
    confirmLinkCode(location.hash).finally(() => {
      passing = true;
      try { window.dispatchEvent(new HashChangeEvent("hashchange", { oldURL: event.oldURL, newURL: location.href })); } finally { passing = false; }
    });
  });
  return confirmLinkCode(location.hash);
}
