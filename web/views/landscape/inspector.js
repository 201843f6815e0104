// The inspector: one step of one run as Python recorded it (θ, f, the optimizer's state)
// and the update rule with that step's numbers, which Python substitutes (explain); and
// the "About the optimizer" panel (equations, summary, paper from the catalog).
import { h, fmt } from "../../lib/dom.js";
import { cssColour } from "../../lib/canvas.js";

const HINT = "Hover over a trajectory to see a step; click it to inspect the optimizer's state at that step.";

// needState(): the result has no recorded state yet; ask for a run that records it.
export function inspectorPanel({ api, catalog, needState }) {
  const optById = Object.fromEntries(catalog.optimizers.map((o) => [o.name, o]));
  const el = h("div", { class: "inspector", "aria-live": "polite" });
  const info = h("div", { class: "opt-info" });
  let infoShown = null;   // the optimizer the "About" panel describes: rebuilt only on a change
  let explainToken = 0;   // only the newest explanation is shown

  function show({ result, selected, optimizers }) {
    if (!result || !selected || !result.runs[selected.run]) {
      if (!el.querySelector(":scope > .hint:only-child")) el.replaceChildren(h("p", { class: "hint" }, HINT));
      showInfo(optimizers, selected ? selected.run : 0);
      return;
    }
    const r = result.runs[selected.run];
    const k = Math.min(selected.step, r.path.length - 1);
    showInfo(optimizers, selected.run);
    const head = h("p", {}, h("span", { class: "swatch", style: { background: cssColour(optimizers[selected.run]?.color, selected.run) } }),
      h("strong", {}, `${r.label || optById[r.name].title}`), ` — step ${k}`,
      h("br"), `θ = (${fmt(r.path[k][0], 6)}, ${fmt(r.path[k][1], 6)}),  f = ${fmt(r.loss[k], 6)}`);
    if (k === 0) { el.replaceChildren(head, h("p", { class: "hint" }, "Step 0 is the start point: no update yet.")); return; }
    if (!r.state) {
      el.replaceChildren(head, h("p", { class: "hint" }, "Loading the optimizer state…"));
      needState();
      return;
    }
    const eq = h("div", { class: "equations" }, h("p", { class: "hint" }, "Computing the equations…"));
    el.replaceChildren(head, stateTable(r.state, k), eq);
    explain(r, k, eq);
  }

  function explain(r, k, eq) {
    const token = ++explainToken;
    const at = (i) => Object.fromEntries(Object.entries(r.state).map(([key, v]) => [key, v[i]]));
    api.call("explain", r.name, r.params, k, at(k - 1), k > 1 ? at(k - 2) : null, r.path[k - 1]).then((lines) => {
      if (token !== explainToken) return;
      eq.replaceChildren(h("h3", {}, "This step, with its numbers"),
        ...lines.map((l) => h("div", { class: "eq-line" }, h("code", { class: "eq-sym" }, l.equation),
          h("code", { class: "eq-num" }, `x: ${l.values[0]}`), h("code", { class: "eq-num" }, `y: ${l.values[1]}`))));
    }, (err) => { if (token === explainToken) eq.textContent = err.message; });
  }

  function showInfo(optimizers, i) {
    const o = optimizers[i] || optimizers[0];
    const meta = optById[o.name];
    if (infoShown === meta && info.childElementCount) return;
    infoShown = meta;
    info.replaceChildren(h("h3", {}, meta.title), h("pre", { class: "equations-text" }, meta.equations),
      h("p", {}, meta.summary), h("p", { class: "paper" }, meta.paper));
  }

  return { el, info, show, showInfo };
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
