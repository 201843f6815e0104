// The network view's inspector: one optimizer step of one run, re-run by Python under a
// tracer (descentlab.trace with param = [layer, index]): the update rule, then the real
// source of the optimizer's update with the value each line computed for one weight or bias.
// It follows the last finished training (the "descentlab:network-result" event). "Fork from
// step k" adds a run that follows the selected one up to step k, then goes on with its own
// settings (issue #16 item 5), and trains again.
import { h, fmt } from "../../lib/dom.js";
import { traceView } from "../../lib/tracelisting.js";
import { runLabels } from "../../lib/labels.js";
import { MAX_OPTIMIZERS } from "../../lib/optlist.js";

const HINT = "Train, then choose an optimizer, a step and a parameter to see the code that updated it.";

const hasCode = (spec) => spec.optimizers.some((o) => o.name === "custom");

// catalog: for the runs' labels; fork(run, step): add a fork of that run from that step to the
// experiment and train (the view's), returning a message when it could not
export function networkInspector({ api, catalog, fork }) {
  const runSel = h("select", { name: "inspect-run" });
  const stepIn = h("input", { type: "number", name: "inspect-step", min: 1, step: 1, value: 1 });
  const layerSel = h("select", { name: "inspect-layer" });
  const indexIn = h("input", { type: "number", name: "inspect-index", min: 0, step: 1, value: 0 });
  const status = h("p", { class: "hint", "aria-live": "polite" }, HINT);
  // "what if I had changed something at step k?": a fork follows this run up to step k
  const forkBtn = h("button", { type: "button", class: "button secondary small fork-button",
    title: "Add a run that follows this one up to this step, then goes on with its own settings (edit them in its panel), and train again",
    onclick: () => forkHere() }, "Fork from step 1");
  const forkLine = h("p", { class: "fork-from", hidden: true }, forkBtn);
  const out = h("div", { class: "trace-box" });
  const controls = h("div", { class: "controls", hidden: true },
    h("label", {}, "Optimizer", runSel), h("label", {}, "Step", stepIn),
    h("label", {}, "Parameter", layerSel), h("label", {}, "Index", indexIn));
  const el = h("section", { class: "panel net-inspector", "aria-label": "Inspector" },
    h("h2", {}, "Inspector"), controls, forkLine, status, out);
  let shown = null;     // {spec, result} of the last training
  let labels = [];      // its runs' names, as the charts' keys say them
  let arrays = null;    // the network's parameter arrays, from the first trace: [{name, shape, offset}]
  let token = 0;
  let initShown = false;

  function onResult(e) {
    shown = e.detail;
    arrays = null;
    labels = forkLabels(runLabels(shown.result.runs, catalog), shown.result.runs);
    runSel.replaceChildren(...labels.map((label, i) => h("option", { value: i }, `${i + 1}. ${label}`)));
    controls.hidden = false;
    limits();
    show();
  }

  // The last step a run can show: its steps run, or the step where it diverged.
  function limits() {
    const r = shown.result.runs[+runSel.value || 0];
    const last = Math.max(1, r.diverged_at || r.steps_run);
    stepIn.max = last;
    if (+stepIn.value > last || +stepIn.value < 1) stepIn.value = last;
    showFork();
  }

  // A learner's code cannot be forked (as on the landscape); a full list has no room.
  function showFork() {
    const run = +runSel.value || 0;
    const entry = shown.spec.optimizers[run];
    forkLine.hidden = !entry || entry.name === "custom";
    forkBtn.textContent = `Fork from step ${Math.trunc(+stepIn.value) || 1}`;
  }

  function forkHere() {
    if (!shown) return;
    const run = +runSel.value || 0;
    const step = Math.max(1, Math.trunc(+stepIn.value) || 1);
    if (shown.spec.optimizers.length >= MAX_OPTIMIZERS) { status.textContent = `At most ${MAX_OPTIMIZERS} optimizers in one experiment: remove one to fork.`; return; }
    const said = fork(run, step);
    if (said) status.textContent = said;
  }

  function sizeOf(i) { return arrays[i].shape.reduce((a, b) => a * b, 1); }

  // param: [layer, index] asked for, else the controls' (before the first trace: W1[0, 0])
  function show(param = null) {
    if (!shown) return;
    const run = +runSel.value || 0;
    const step = Math.trunc(+stepIn.value);
    const [layer, index] = param || (arrays ? [+layerSel.value, Math.trunc(+indexIn.value)] : [0, 0]);
    const t0 = ++token;
    status.textContent = "Replaying the training up to this step, then re-running it under a tracer…";
    const ask = hasCode(shown.spec) ? "callCode" : "call";   // learner code is traced in the code worker only
    const asked = typeof api[ask] === "function" ? api[ask]("trace", shown.spec, run, step, [layer, index])
      : Promise.reject(new Error("This page cannot trace learner code."));
    asked.then(async (t) => {
      if (t0 !== token) return;
      if (!arrays) {
        arrays = t.arrays;
        layerSel.replaceChildren(...arrays.map((a, i) => h("option", { value: i }, `${a.name} (${a.shape.join(" × ")})`)));
      }
      layerSel.value = t.param.layer;
      indexIn.value = t.param.index;
      indexIn.max = sizeOf(t.param.layer) - 1;
      const view = await traceView(t, { what: t.param.name, initShown, onInit: (on) => { initShown = on; } });
      if (t0 !== token) return;
      status.replaceChildren(h("strong", {}, labels[run] || t.title), ` — step ${t.step}, parameter `,
        h("span", { class: "param-name", "data-param": JSON.stringify([t.param.layer, t.param.index]) }, t.param.name),
        `: θ = ${fmt(t.params, 6)}, g = ${fmt(t.grads, 6)}`);
      out.replaceChildren(view);
    }, (err) => {
      if (t0 === token) { status.textContent = err.field ? `${err.field}: ${err.message}` : err.message; out.replaceChildren(); }
    });
  }

  runSel.addEventListener("change", () => { limits(); show(); });
  stepIn.addEventListener("change", () => { showFork(); show(); });
  layerSel.addEventListener("change", () => { indexIn.value = 0; show(); });
  indexIn.addEventListener("change", () => show());
  window.addEventListener("descentlab:network-result", onResult);

  return {
    el,
    destroy() { window.removeEventListener("descentlab:network-result", onResult); },
    // for tests and tools: trace this choice (as the controls would)
    select({ run = 0, step = 1, layer = 0, index = 0 } = {}) {
      runSel.value = run; limits(); stepIn.value = step; showFork();
      show([layer, index]);
    },
  };
}

// Labels that say a run is a fork even when its settings already tell it apart
// ("Adam lr=0.03" forked from run 1 at step 40 reads "Adam lr=0.03, fork of run 1 at step 40").
export function forkLabels(labels, entries) {
  return labels.map((label, i) => {
    const f = entries[i] && entries[i].fork;
    return f && !label.includes("fork of run") ? `${label}, fork of run ${f.run + 1} at step ${f.step}` : label;
  });
}
