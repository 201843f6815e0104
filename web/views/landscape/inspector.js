// The inspector: one step of one run. Its header (θ, f, η_t), the optimizer state Python
// recorded, and the step re-run by Python under a tracer (descentlab.trace): the update
// rule from the optimizer's docstring, then the real source of its update with the value
// each line computed for x or y beside it. And the "About the optimizer" panel (equations,
// summary, paper from the catalog).
import { h, fmt, newId } from "../../lib/dom.js";
import { cssColour } from "../../lib/canvas.js";
import { traceView } from "../../lib/tracelisting.js";
import { runLabel } from "../../lib/labels.js";

const HINT = "Hover over a trajectory to see a step; click it to inspect the optimizer's state and code at that step.";
const COORDS = [["x", "x"], ["y", "y"], ["both", "x and y"]];

// The spec of a landscape result, as descentlab.trace reads it: the same function, start,
// steps and optimizer entries (hyper-parameters, schedule, learner code) as the runs.
export function specOfResult(result) {
  const optimizers = result.runs.map((r) => (r.name === "custom"
    ? { name: "custom", label: r.label, code: r.code, hyper: r.params }
    : { name: r.name, ...r.params, ...entryFields(r), ...(r.base ? { base: { ...r.base.params, ...entryFields(r.base), name: r.base.name } } : {}) }));
  const fn = result.function;
  return { kind: "landscape", function: fn.name, function_params: fn.params,
    ...(fn.expression !== undefined ? { expression: fn.expression, domain: fn.domain } : {}),
    ...(result.noise ? { noise: result.noise } : {}),
    start: result.start, steps: result.steps, optimizers };
}

// A run's fields beside its hyper-parameters, as the result echoes them.
const ENTRY_FIELDS = ["schedule", "clip_grad_norm", "clip_grad_value", "fork"];
const entryFields = (r) => Object.fromEntries(ENTRY_FIELDS.filter((k) => r[k] !== undefined && r[k] !== null).map((k) => [k, r[k]]));
// The schedule a run's lr follows: its own, or its base optimizer's (SAM).
const scheduleOf = (r) => r.schedule || (r.base && r.base.schedule);
const clipOf = (r) => (r.clip_grad_norm !== undefined && r.clip_grad_norm !== null ? `norm ≤ ${fmt(r.clip_grad_norm, 4)}`
  : r.clip_grad_value !== undefined && r.clip_grad_value !== null ? `each |g| ≤ ${fmt(r.clip_grad_value, 4)}` : null);

export const hasCode = (spec) => spec.optimizers.some((o) => o.name === "custom");

// needState(): the result has no recorded state yet; ask for a run that records it.
// fork(run, step): add a fork of that run from that step to the scene (null: not offered).
export function inspectorPanel({ api, catalog, needState, fork = null }) {
  const optById = Object.fromEntries([...catalog.optimizers, ...(catalog.extra_optimizers || [])].map((o) => [o.name, o]));
  const el = h("div", { class: "inspector", "aria-live": "polite" });
  const info = h("div", { class: "opt-info" });
  let infoShown = null;   // the optimizer the "About" panel describes: rebuilt only on a change
  let traceToken = 0;     // only the newest trace is shown
  let traced = { key: null, promise: null };  // the last step asked for: a redraw asks again for nothing
  const prefs = { coord: "x", init: false };  // the learner's choices, kept from step to step

  function show({ result, selected, optimizers }) {
    if (!result || !selected || !result.runs[selected.run]) {
      if (!el.querySelector(":scope > .hint:only-child")) el.replaceChildren(h("p", { class: "hint" }, HINT));
      showInfo(optimizers, selected ? selected.run : 0);
      return;
    }
    const r = result.runs[selected.run];
    const k = Math.min(selected.step, r.path.length - 1);
    showInfo(optimizers, selected.run);
    const head = header(r, k, optimizers[selected.run], selected.run, labelOf(result, optimizers, selected.run));
    // "what if I had changed something at step k?": a fork follows this run up to step k
    const forkBtn = fork && r.name !== "custom" ? [h("p", { class: "fork-from" }, h("button", { type: "button", class: "button secondary small fork-button",
      title: "Add a run that follows this one up to this step, then goes on with its own settings (change them in its panel)",
      onclick: () => fork(selected.run, k) }, `Fork from step ${k}`))] : [];
    if (k === 0) { el.replaceChildren(head, ...forkBtn, h("p", { class: "hint" }, "Step 0 is the start point: no update yet.")); return; }
    const table = r.state ? stateTable(r.state, k) : h("p", { class: "hint" }, "Loading the optimizer state…");
    if (!r.state) needState();
    const code = h("div", { class: "trace-box" }, h("p", { class: "hint" }, "Re-running this step under a tracer…"));
    el.replaceChildren(head, ...forkBtn, table, code);
    traceStep(result, selected.run, k, head, code);
  }

  function traceStep(result, run, k, head, box) {
    const token = ++traceToken;
    const spec = specOfResult(result);
    const key = JSON.stringify([spec, run, k]);
    if (traced.key !== key) {
      const ask = hasCode(spec) ? "callCode" : "call";   // learner code is traced in the code worker only
      traced = { key, promise: typeof api[ask] === "function" ? api[ask]("trace", spec, run, k)
        : Promise.reject(new Error("This page cannot trace learner code.")) };
      traced.promise.catch(() => { if (traced.key === key) traced = { key: null, promise: null }; });
    }
    traced.promise.then(async (t) => {
      if (token !== traceToken) return;
      const r = result.runs[run];
      if (t.hyper && scheduleOf(r)) {
        head.append(h("br"), h("span", { class: "eta-t", "data-value": String(t.hyper.lr) }, `η_t = ${fmt(t.hyper.lr, 6)} at step ${k} (${scheduleOf(r).name} schedule)`));
      }
      const clip = clipOf(r);
      if (clip && t.grads_raw && t.grads) {
        const pair = (g) => `(${fmt(g[0], 6)}, ${fmt(g[1], 6)})`;
        head.append(h("br"), h("span", { class: "grad-clip" }, `gradient ${pair(t.grads_raw)} → clipped (${clip}) ${pair(t.grads)}`));
      }
      const view = await render(t);
      if (token === traceToken) box.replaceChildren(view);
    }, (err) => { if (token === traceToken) box.replaceChildren(h("p", { class: "message" }, err.message)); });
  }

  // The traced step with a coordinate choice; a change redraws from the same trace.
  async function render(t) {
    const pick = (v) => (prefs.coord === "both" ? v : v[prefs.coord === "x" ? 0 : 1]);
    const name = newId("inspector-coord");
    const radios = h("fieldset", { class: "coord-choice" }, h("legend", {}, "Values for"),
      ...COORDS.map(([value, text]) => h("label", {}, h("input", { type: "radio", name, value, checked: prefs.coord === value }), ` ${text}`)));
    const wrap = h("div", { class: "trace-wrap" });
    radios.addEventListener("change", async (e) => {
      prefs.coord = e.target.value;
      const again = await render(t);
      wrap.replaceWith(again);
    });
    const view = await traceView(t, { pair: isPair, pick, what: prefs.coord === "both" ? "x and y" : prefs.coord,
      initShown: prefs.init, onInit: (on) => { prefs.init = on; } });
    wrap.replaceChildren(radios, view);
    return wrap;
  }

  function showInfo(optimizers, i) {
    const o = optimizers[i] || optimizers[0];
    const meta = optById[o.name];
    if (!meta) { infoShown = null; info.replaceChildren(h("h3", {}, o.label || "Your optimizer"), h("p", {}, "Your own code: its source is in the inspector.")); return; }
    if (infoShown === meta && info.childElementCount) return;
    infoShown = meta;
    const about = [h("pre", { class: "equations-text" }, meta.equations), h("p", {}, meta.summary), h("p", { class: "paper" }, meta.paper)];
    // Embedded in a course page the lab keeps to about a screen and a half (issue #15,
    // item 11): the description folds under the optimizer's name, one click away.
    info.replaceChildren(...(document.body.classList.contains("embed")
      ? [h("details", { class: "opt-info-more" }, h("summary", {}, h("strong", {}, meta.title)), ...about)]
      : [h("h3", {}, meta.title), ...about]));
  }

  // The run's name as the legend and the list say it: from the scene's entries while they
  // are the result's, else from the result's runs (the list was edited since).
  function labelOf(result, optimizers, i) {
    const same = optimizers.length === result.runs.length && optimizers.every((o, j) => o.name === result.runs[j].name);
    const entries = same ? optimizers : result.runs;
    return runLabel(entries[i], catalog, entries);
  }

  return { el, info, show, showInfo };
}

// A landscape value with one number per coordinate: [x, y].
const isPair = (v) => v.length === 2 && v.every((x) => typeof x === "number");

function header(r, k, opt, run, label) {
  return h("p", { class: "inspector-head" }, h("span", { class: "swatch", style: { background: cssColour(opt?.color, run) } }),
    h("strong", {}, label), ` — step ${k}`,
    h("br"), `θ = (${fmt(r.path[k][0], 6)}, ${fmt(r.path[k][1], 6)}),  f = ${fmt(r.loss[k], 6)}`);
}

// The state after step k: each recorded quantity's x and y (exact values in data-value).
function stateTable(state, k) {
  const cell = (v) => h("td", { "data-value": String(v) }, fmt(v, 6));
  const rows = Object.entries(state).map(([key, vals]) => h("tr", {}, h("th", { scope: "row" }, key),
    cell(vals[k - 1][0]), cell(vals[k - 1][1])));
  return h("table", { class: "state-table" },
    h("caption", {}, `State after step ${k} (recorded by Python)`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "quantity"), h("th", { scope: "col" }, "x"), h("th", { scope: "col" }, "y"))),
    h("tbody", {}, rows));
}
