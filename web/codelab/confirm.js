// Code from a link or an embedding page is shown before any of it runs: the learner reads
// every custom entry's label and full code, then chooses "Run this code" or "Don't run".
// Code the learner wrote, or accepted once in this tab, is trusted (trust.js) and not asked
// about again.
import { h, newId } from "../lib/dom.js";
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
export async function confirmCode(entries) {
  const titleId = newId("confirm-title");
  const blocks = await Promise.all(entries.map((e) => codeBlock(String(e.code))));
  const run = h("button", { type: "button", class: "button", "data-keep-enabled": "" }, "Run this code");
  const decline = h("button", { type: "button", class: "button secondary", "data-keep-enabled": "" }, "Don't run");
  const dialog = h("dialog", { class: "confirm-code-dialog", "aria-labelledby": titleId, "aria-modal": "true" },
    h("h2", { id: titleId }, entries.length === 1 ? "This link carries code: run it?" : `This link carries code for ${entries.length} optimizers: run it?`),
    h("p", {}, "It was written by whoever made the link or the page that embeds this lab. It runs in a worker without network or storage, "
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

// A scene's optimizer list (edited in place): any untrusted code is shown and confirmed
// first. Accepted code is trusted for this tab; declined entries are removed (all custom
// entries, so nothing unread runs). Resolves {declined: number of entries removed}.
export async function confirmSceneCode(list) {
  const unread = await untrustedEntries(list);
  if (!unread.length) return { declined: 0 };
  if (await confirmCode(unread)) {
    await Promise.all(unread.map((o) => trustCode(String(o.code))));
    return { declined: 0 };
  }
  const before = list.length;
  for (let i = list.length - 1; i >= 0; i--) if (isCustom(list[i]) && unread.includes(list[i])) list.splice(i, 1);
  return { declined: before - list.length };
}

// An embedding page's run spec: every custom entry's code confirmed, or an error for the
// host naming the first entry's code field.
export async function confirmSpecCode(spec) {
  const list = spec && typeof spec === "object" && Array.isArray(spec.optimizers) ? spec.optimizers : [];
  const unread = await untrustedEntries(list);
  if (!unread.length) return;
  if (await confirmCode(unread)) {
    await Promise.all(unread.map((o) => trustCode(String(o.code))));
    return;
  }
  const e = new Error("The learner chose not to run the code this page sent (\u201cDon't run\u201d); nothing of it ran");
  e.kind = "Declined";
  e.field = `optimizers[${list.indexOf(unread[0])}].code`;
  throw e;
}
