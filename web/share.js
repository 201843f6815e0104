// "Share / embed" dialog: a link to the current scene and an iframe snippet for course
// pages (embed=1, optionally lock=1), each with a copy button. The scene is the URL hash,
// so both reproduce exactly what is on screen.
import { h, newId } from "./lib/dom.js";

const escapeAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function pageURL() {
  const u = new URL(location.href);
  u.search = "";
  u.hash = "";
  return u;
}

export function shareLink() {
  return pageURL().href + location.hash;
}

export function embedURL({ lock = false } = {}) {
  const u = pageURL();
  if (u.pathname.endsWith("/")) u.pathname += "index.html";
  u.search = lock ? "?embed=1&lock=1" : "?embed=1";
  return u.href + location.hash;
}

export function embedSnippet({ lock = false, view = "landscape" } = {}) {
  const src = embedURL({ lock });
  const script = new URL("embed.js", pageURL()).href;
  return `<iframe src="${escapeAttr(src)}" data-descentlab title="Descent Lab: ${escapeAttr(view)}"\n` +
    `        width="100%" height="720" style="border:0" loading="lazy"\n` +
    `        sandbox="allow-scripts allow-same-origin"></iframe>\n` +
    `<script src="${escapeAttr(script)}" async></script>`;
}

function copyButton(field, label) {
  const status = h("span", { class: "copy-status", role: "status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "button secondary" }, label);
  button.addEventListener("click", async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied.";
    } catch {
      field.focus();
      field.select();
      status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
    setTimeout(() => { status.textContent = ""; }, 4000);
  });
  return { button, status };
}

export function setupShare({ button }) {
  if (!button) return null;
  const ui = shareDialog();
  const { dialog, link, code, lock } = ui;
  document.body.append(dialog);

  function refresh() {
    const isFile = location.protocol === "file:";
    ui.fileNote.hidden = !isFile;
    ui.offline.hidden = isFile;
    ui.embedPart.hidden = isFile;     // an iframe cannot point at a file on the learner's disk
    link.value = shareLink();
    code.value = embedSnippet({ lock: lock.checked, view: window.descentlab && window.descentlab.viewName || "landscape" });
  }

  lock.addEventListener("change", refresh);
  ui.closeBtn.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => button.focus());
  // a click on the backdrop closes it too
  dialog.addEventListener("click", (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) dialog.close();
  });
  window.addEventListener("descentlab:scene", () => { if (dialog.open) refresh(); });
  window.addEventListener("hashchange", () => { if (dialog.open) refresh(); });
  button.addEventListener("click", () => {
    refresh();
    dialog.showModal();
    link.focus();
    link.select();
  });
  return { dialog, refresh };
}

// The dialog's elements: the link, the iframe snippet with its lock box, the notes.
function shareDialog() {
  const titleId = newId("share-title");
  const linkId = newId("share-link");
  const codeId = newId("share-code");
  const lockId = newId("share-lock");
  const link = h("input", { id: linkId, type: "text", readonly: true, class: "share-field", spellcheck: "false" });
  const code = h("textarea", { id: codeId, readonly: true, rows: 5, class: "share-field share-code", spellcheck: "false" });
  const lock = h("input", { id: lockId, type: "checkbox", "data-field": "share.lock" });
  const copyLink = copyButton(link, "Copy link");
  const copyCode = copyButton(code, "Copy snippet");
  const fileNote = h("p", { class: "hint share-file-note", hidden: true },
    "This copy runs from a file, so its address only works on this computer. To embed Descent Lab in a course page, host the dist/ folder on a web server; to share it offline, share this one file.");
  const offline = h("p", { class: "hint" },
    "Offline: ", h("a", { href: "descentlab.html", download: "descentlab.html", class: "share-download" }, "download Descent Lab as one HTML file"),
    " — it works from a USB stick, no server or network needed.");
  const closeBtn = h("button", { type: "button", class: "button", value: "close" }, "Close");
  const embedPart = h("div", { class: "share-embed" },
    h("label", { for: codeId, class: "share-label" }, "Embed in a course page (iframe + auto-height script)"),
    code,
    h("div", { class: "share-row" },
      h("span", { class: "control-bool" }, lock, h("label", { for: lockId }, "Lock the controls (the view stays playable)")),
      copyCode.button, copyCode.status),
    h("p", { class: "hint" }, "The script resizes the iframe to its content and gives the page a postMessage API; add ",
      h("code", {}, "&origins=https://your.site"), " to the iframe address to accept messages from your site only. See README, \"For teachers\"."));
  const dialog = h("dialog", { class: "share-dialog", "aria-labelledby": titleId },
    h("h2", { id: titleId }, "Share / embed"),
    h("p", { class: "hint" }, "Both reproduce the current scene exactly: it is all in the address."),
    fileNote,
    h("label", { for: linkId, class: "share-label" }, "Link to this scene"),
    h("div", { class: "share-row" }, link, copyLink.button, copyLink.status),
    embedPart,
    offline,
    h("div", { class: "share-actions" }, closeBtn));
  return { dialog, link, code, lock, fileNote, offline, embedPart, closeBtn };
}
