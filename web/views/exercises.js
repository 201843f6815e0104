// The exercises view (#exercises?exercise=adam): write an optimizer, and a check in the
// code worker runs it beside Descent Lab's own on the same gradients and names the first
// difference. The parts in ./exercises/ each do one job: the list and the progress file
// (list.js), one exercise (detail.js), the verdict in words (verdict.js), the progress in
// localStorage (progress.js), the race on the landscape (race.js).
//
// Learner code never runs in the page: api.callCode runs the check in the code worker,
// which has no network or storage and is restarted when the code loops for ever.
import { h } from "../lib/dom.js";
import { readParams, choice, problemBox } from "../lib/urlstate.js";
import { postToHost } from "../embed-mode.js";
import { progressStore } from "./exercises/progress.js";
import { exerciseList } from "./exercises/list.js";
import { exerciseDetail } from "./exercises/detail.js";
import { verdictView, failureView, errorLine, verdictText } from "./exercises/verdict.js";
import { raceIt } from "./exercises/race.js";

const SAVE_DELAY_MS = 400;   // typing is saved once the learner pauses

export function mount(root, { api, params, setParams, notify }) {
  let alive = true;
  const view = { exercises: null, store: null, list: null, detail: null, current: null, saveTimer: 0 };
  root.replaceChildren(h("p", { class: "hint ex-loading" }, "Loading the exercises…"));

  const started = loadList(api).then((exercises) => {
    if (!alive) return;
    view.exercises = exercises;
    const ids = exercises.map((e) => e.id);
    const { values, problems } = readParams(params, { exercise: choice(ids) });
    view.store = progressStore(ids, notify);
    view.store.load();
    view.list = exerciseList({ exercises, store: view.store, onSelect: select, beforeExport: flushSave,
      onImported: () => select(view.current, { force: true }) });
    view.main = h("div", { class: "ex-main" });
    root.replaceChildren(problemBox(problems), h("div", { class: "ex-view" }, view.list.el, view.main));
    return select(values.exercise || ids[0]);
  }, (err) => {
    if (alive) root.replaceChildren(h("p", { class: "ex-error", role: "alert" }, `The exercises could not be loaded: ${err.message}`));
  });

  function exerciseOf(id) { return view.exercises.find((e) => e.id === id); }

  async function select(id, { force = false } = {}) {
    if (!force && view.detail && view.current === id) return;
    flushSave();
    view.detail?.destroy();
    view.current = id;
    view.lastPass = null;
    setParams({ exercise: id });
    view.list.select(id);
    const ex = exerciseOf(id);
    const entry = view.store.entry(id);
    const detail = exerciseDetail(ex, view.exercises.indexOf(ex), { ...entry,
      on: { check: (source) => check(ex, source), change: (text) => scheduleSave(id, text) } });
    view.detail = detail;
    view.main.replaceChildren(detail.el);
    await detail.ready;
  }

  function scheduleSave(id, text) {
    clearTimeout(view.saveTimer);
    view.pending = { id, text };
    view.saveTimer = setTimeout(flushSave, SAVE_DELAY_MS);
  }

  function flushSave() {
    clearTimeout(view.saveTimer);
    if (view.pending) view.store.update(view.pending.id, { code: view.pending.text });
    view.pending = null;
  }

  async function check(ex, source) {
    const detail = view.detail;
    if (!detail.editor) return;
    detail.checking(true);
    let result = null, failure = null;
    try {
      if (typeof api.callCode !== "function") throw Object.assign(new Error("this page has no code worker to run your code"), { kind: "Error" });
      result = await api.callCode("exercises_check", ex.id, source);
    } catch (err) {
      failure = err;
    }
    if (!alive) return;
    const entry = view.store.entry(ex.id);
    const passed = !!(result && result.passed);
    // a verdict or an endless loop stopped is an attempt; a worker that could not start is not
    const counted = !!result || (failure && failure.kind === "CodeTimeout");
    const attempts = entry.attempts + (counted ? 1 : 0);
    view.pending = null;
    view.store.update(ex.id, { code: source, attempts, passed: entry.passed || passed });
    view.list.render();
    if (counted) report(ex.id, passed, attempts);
    if (detail !== view.detail) return;   // the learner moved on to another exercise meanwhile
    detail.checking(false);
    detail.showAttempts(attempts);
    detail.showPassed(entry.passed || passed);
    if (result) {
      const line = errorLine(result);
      detail.showVerdict(verdictView(result), line, line ? result.hint : undefined);
      detail.showRace(passed ? () => raceIt(ex, source) : null);
    } else {
      detail.showVerdict(failureView(failure), null);
    }
  }

  return {
    unmount() {
      alive = false;
      flushSaveIfReady();
      view.detail?.destroy();
    },
    ready: started,
    get exercise() { return view.current; },
    get progress() { return view.store ? structuredClone(view.store.progress) : null; },
    // for tests and tools: the code in the editor, whichever editor is in use
    get code() { return view.detail?.editor?.getValue() ?? null; },
    setCode(text) {
      view.detail.editor.setValue(text);
      scheduleSave(view.current, text);
    },
    verdictText,
  };

  function flushSaveIfReady() { if (view.store) flushSave(); }
}

// The list comes from the main worker; a page whose main worker does not offer it yet asks
// the code worker, which does.
async function loadList(api) {
  try {
    return await api.call("exercises_list");
  } catch (err) {
    if (typeof api.callCode === "function") return api.callCode("exercises_list");
    throw err;
  }
}

// In a course page (?embed=1 in an iframe), each check's outcome goes to the host, which
// may record it. A fresh random id per message, as web/embed.js draws its run ids.
function report(exercise, passed, attempts) {
  if (!document.documentElement.classList.contains("embed")) return;
  postToHost({ type: "descentlab:exercise", id: randomId(), exercise, passed, attempts });
}

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
