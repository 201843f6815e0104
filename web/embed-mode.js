// Descent Lab inside a course page (an iframe). Options come from the page URL's query,
// before the hash that holds the scene:
//
//   index.html?embed=1#landscape?lesson=valley     one view, no header or navigation
//   ...&lock=1                                      scene controls disabled; the view stays
//                                                   playable (timeline, hover, inspector,
//                                                   "predict" answers, Train in the network view)
//   ...&origins=https://a.example,https://b.example only these host origins may send messages
//
// Messages this page POSTS to its parent (only ever to the parent's own origin, never "*";
// the origin is location.ancestorOrigins[0] or the referrer's, else the origin of the
// first accepted message from the parent; with ?origins= it must be one of them):
//   {type: "descentlab:height", height}    on load and whenever the content's height changes
//   {type: "descentlab:ready", version, build}   once the Python runtime is ready
//
// Messages it ACCEPTS (from any origin unless ?origins= is given; messages from other
// origins, and from opaque "null" origins, are ignored). Each reply goes to event.source
// with targetOrigin = event.origin:
//   {type: "descentlab:ready?"}                      -> {type: "descentlab:ready", version, build}
//   {type: "descentlab:run", id, spec, progress?}    -> {type: "descentlab:progress", id, done, total}*
//                                                       (when progress is true), then
//                                                       {type: "descentlab:result", id, result}
//                                                    or {type: "descentlab:error", id, error: {kind, field, message}}
//                                                    A spec with the learner's code ({"name": "custom", ...}
//                                                    optimizers) is shown in the page first; "Don't run"
//                                                    answers kind "Declined", field "optimizers[i].code"
//   {type: "descentlab:cancel", id}                  stops run `id` (its reply is an error, kind "Cancelled")
//   {type: "descentlab:load-lesson", id, lesson}     shows that lesson in the landscape view ->
//                                                       {type: "descentlab:result", id, result: {view, lesson}}
//   {type: "descentlab:hello"}                       no reply; tells the page its parent's origin
// web/embed.js is the host-side helper for all of this.
//
// Who may stop or replace what: any frame on the host page can post to this one (an ad,
// another widget), so by default a message may cancel only a run that the same window
// (event.source) started, and only the window that embeds the lab (or opened it) may
// replace its scene with load-lesson; anyone else gets an error of kind "NotAllowed".
// A host that names origins in ?origins= trusts every window of those origins for both.
// (Run ids are also unguessable: web/embed.js draws them with crypto.)
import { LESSONS } from "./lessons.js";
import { serialize } from "./lib/urlstate.js";
import { confirmSpecCode } from "./codelab/confirm.js";

const TRUE = new Set(["1", "true", "yes", "on"]);

function originOf(text) {
  try {
    const origin = new URL(text).origin;
    return origin && origin !== "null" ? origin : null;
  } catch {
    return null;
  }
}

export function readEmbedOptions(search = location.search) {
  const q = new URLSearchParams(search);
  const flag = (k) => TRUE.has((q.get(k) || "").trim().toLowerCase());
  const origins = (q.get("origins") || "").split(",").map((s) => s.trim()).filter(Boolean).map(originOf).filter(Boolean);
  return { embed: flag("embed"), lock: flag("lock"), origins };
}

function errorOf(err) {
  return {
    kind: (err && err.kind) || "Error",
    field: err && err.field !== undefined ? err.field : null,
    message: String((err && err.message) || err),
  };
}

// Disable every control of the scene panels; the predict buttons (and anything marked
// data-keep-enabled) stay usable. Views re-render their panels, so new controls are
// disabled as they appear.
function lockControls(root) {
  const SELECTOR = ".panel.side :is(input, select, textarea, button), .panel.regime :is(input, select, textarea, button)";
  const apply = () => {
    for (const el of root.querySelectorAll(SELECTOR)) {
      if (el.disabled || el.closest(".predict, [data-keep-enabled]")) continue;
      el.disabled = true;
      el.dataset.locked = "1";
    }
  };
  new MutationObserver(apply).observe(root, { childList: true, subtree: true });
  apply();
}

export function startEmbedding({ api, options, root }) {
  const allowed = (origin) => !!origin && origin !== "null" && (!options.origins.length || options.origins.includes(origin));
  if (options.embed) {
    document.documentElement.classList.add("embed");
    document.body.classList.add("embed");
  }
  if (options.lock) {
    document.body.classList.add("locked");
    lockControls(root);
  }
  const parent = parentChannel(api, allowed);
  hostPost = parent.post;
  window.addEventListener("message", hostListener({ api, options, allowed, parent }));
  return { options, get parentOrigin() { return parent.origin; } };
}

let hostPost = () => false;
// Post `msg` to the page that embeds this one (its own origin only, as every message to the
// parent). Returns whether it was sent: false when not framed or the parent's origin is unknown.
export function postToHost(msg) {
  return hostPost(msg);
}

// ------------------------------------------------------------ to the parent
// What this page posts to the page that embeds it: its height, whenever it changes, and
// "ready" once. Only ever to the parent's own origin; until that is known, nothing.
function parentChannel(api, allowed) {
  const framed = window.parent !== window;
  let origin = null;
  if (framed) {
    const guess = (location.ancestorOrigins && location.ancestorOrigins[0]) || originOf(document.referrer);
    if (allowed(guess)) origin = guess;
  }
  let lastHeight = 0;
  let announced = false;
  const toParent = (data) => { if (framed && origin) window.parent.postMessage(data, origin); };
  function postHeight(force = false) {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (!force && height === lastHeight) return;
    lastHeight = height;
    toParent({ type: "descentlab:height", height });
  }
  function announce() {
    if (announced || !origin) return;
    api.ready.then(() => {
      if (announced) return;
      announced = true;
      toParent({ type: "descentlab:ready", version: api.version, build: api.build });
    }, () => {});
  }
  if (framed) {
    let queued = false;
    const observer = new ResizeObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; postHeight(); });
    });
    observer.observe(document.body);
    observer.observe(document.documentElement);
    window.addEventListener("load", () => postHeight(true));
    postHeight(true);
    announce();
  }
  return {
    framed,
    get origin() { return origin; },
    post(data) { if (!framed || !origin) return false; toParent(data); return true; },
    // the parent's first accepted message tells its origin when nothing else did
    heardFrom(event) {
      if (!framed || event.source !== window.parent || origin === event.origin) return;
      origin = event.origin;
      postHeight(true);
      announce();
    },
  };
}

// ------------------------------------------------------------ from host pages
// Runs by the window that started them, then by its message id: a cancel is looked up
// under its own sender only, so no other frame can reach (or overwrite) a run.
function hostListener({ api, options, allowed, parent }) {
  const runs = new Map();   // event.source -> Map(id -> {cancel()})
  const trusted = (event) => options.origins.includes(event.origin);
  // The window whose page put the lab here, and so owns its scene.
  const owner = parent.framed ? window.parent : window.opener;
  return (event) => {
    const msg = event.data;
    if (!msg || typeof msg !== "object" || typeof msg.type !== "string" || !msg.type.startsWith("descentlab:")) return;
    if (!event.source || event.source === window || !allowed(event.origin)) return;  // ignored
    parent.heardFrom(event);
    const reply = (data) => event.source.postMessage(data, event.origin);
    const { id } = msg;
    const fail = (err) => reply({ type: "descentlab:error", id, error: errorOf(err) });
    switch (msg.type) {
      case "descentlab:ready?":
        api.ready.then(() => reply({ type: "descentlab:ready", version: api.version, build: api.build }), fail);
        break;
      case "descentlab:run":
        startRun(api, runs, event.source, msg, { reply, fail });
        break;
      case "descentlab:cancel": {
        // the sender's own run; a trusted origin may stop anyone's
        const found = runs.has(event.source) && runs.get(event.source).has(id) ? runs.get(event.source).get(id)
          : trusted(event) ? [...runs.values()].map((m) => m.get(id)).find(Boolean) : null;
        if (found) found.cancel();
        break;
      }
      case "descentlab:load-lesson":
        if (event.source !== owner && !trusted(event)) { fail(notAllowed("Loading a lesson")); break; }
        loadLesson(api, msg.lesson).then((result) => reply({ type: "descentlab:result", id, result }), fail);
        break;
      default:
        break;   // "descentlab:hello", and the types this page sends itself
    }
  };
}

// A host's run, kept under its sender until it ends; progress only when asked for. Code in
// the spec (a custom optimizer) is shown to the learner first: nothing of it runs unless
// they choose "Run this code"; "Don't run" answers an error of kind "Declined".
function startRun(api, runs, source, msg, { reply, fail }) {
  const { id } = msg;
  const onProgress = msg.progress ? ({ done, total }) => reply({ type: "descentlab:progress", id, done, total }) : undefined;
  const stop = new AbortController();
  const run = confirmSpecCode(msg.spec).then(() => api.run(msg.spec, { onProgress, signal: stop.signal }));
  const handle = { cancel: () => stop.abort() };
  if (!runs.has(source)) runs.set(source, new Map());
  const mine = runs.get(source);
  mine.set(id, handle);
  run.then((result) => reply({ type: "descentlab:result", id, result }), fail).finally(() => {
    if (mine.get(id) === handle) mine.delete(id);
    if (!mine.size && runs.get(source) === mine) runs.delete(source);
  });
}

function notAllowed(what) {
  const e = new Error(`${what} is allowed only to the page that embeds the lab, or to origins it lists in ?origins=`);
  e.kind = "NotAllowed";
  return e;
}

// Show a lesson in the landscape view; resolves once the view shows it.
function loadLesson(api, lessonId) {
  const lesson = LESSONS.find((l) => l.id === lessonId);
  if (!lesson) {
    const e = new Error(`unknown lesson ${JSON.stringify(lessonId)}; one of: ${LESSONS.map((l) => l.id).join(", ")}`);
    e.kind = "SpecError";
    e.field = "lesson";
    return Promise.reject(e);
  }
  const hash = serialize("landscape", { lesson: lessonId });
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const check = () => {
      const view = window.descentlab.view;
      if (window.descentlab.viewName === "landscape" && view && view.scene && view.scene.lesson === lessonId) {
        resolve({ view: "landscape", lesson: lessonId });
      } else if (performance.now() - t0 > 30000) {
        reject(new Error("the landscape view did not show the lesson within 30 s"));
      } else setTimeout(check, 50);
    };
    api.ready.then(check, reject);
  });
}
