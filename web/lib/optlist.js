// The list of optimizers a scene compares: name, colour and every hyper-parameter,
// with the catalog's ranges. Shared by the landscape and network views.
import { h } from "./dom.js";
import { PALETTE, cssColour } from "./canvas.js";
import { numberControl, boolControl, selectControl } from "./controls.js";

export const MAX_OPTIMIZERS = 12;

// opts: [{name, params: {non-default hyper-parameters}, color}], edited in place.
export function optimizerList({ catalog, opts, onChange, onColour, onOpen, badge = () => "" }) {
  const optById = Object.fromEntries(catalog.optimizers.map((o) => [o.name, o]));
  const el = h("div", { class: "opt-list" });

  function render() {
    el.replaceChildren(...opts.map((o, i) => {
      const meta = optById[o.name];
      const body = h("div", { class: "opt-params" });
      for (const [k, def] of Object.entries(meta.defaults)) {
        const [lo, hi, kind] = meta.ranges[k];
        const val = o.params[k] ?? def;
        const set = (v) => { if (v === def) delete o.params[k]; else o.params[k] = v; onChange(); };
        body.append(kind === "bool"
          ? boolControl({ label: k, name: `optimizers[${i}].${k}`, value: val, onChange: set }).el
          : numberControl({ label: k, name: `optimizers[${i}].${k}`, value: val, lo, hi, kind, onChange: set }).el);
      }
      const nameSel = selectControl({ label: "Optimizer", name: `optimizers[${i}].name`, value: o.name,
        options: catalog.optimizers.map((m) => [m.name, m.title]),
        onChange: (name) => { o.name = name; o.params = {}; render(); onChange(); } });
      const color = h("input", { type: "color", value: cssColour(o.color, i), "aria-label": `Colour of run ${i + 1}`,
        oninput: (e) => { o.color = e.target.value; (onColour || onChange)(); } });
      const remove = h("button", { type: "button", class: "icon-button", "aria-label": `Remove run ${i + 1}`,
        disabled: opts.length <= 1, onclick: () => { opts.splice(i, 1); render(); onChange(); } }, "✕");
      const details = h("details", { class: "opt-item", open: opts.length <= 3 },
        h("summary", {}, h("span", { class: "swatch", style: { background: cssColour(o.color, i) } }), `${i + 1}. ${meta.title}`, badge(i)),
        h("div", { class: "opt-head" }, nameSel.el, color, remove), body);
      if (onOpen) details.addEventListener("toggle", () => { if (details.open) onOpen(i); });
      return details;
    }));
  }

  function add(name = "adam", params = {}) {
    if (opts.length >= MAX_OPTIMIZERS) return false;
    const used = new Set(opts.map((o) => o.color));
    opts.push({ name, params, color: PALETTE.find((c) => !used.has(c)) || PALETTE[opts.length % PALETTE.length] });
    render();
    return true;
  }

  // Called for every scene while the start point is dragged: touch the DOM only where a
  // badge's text or kind changed, so the page is not laid out and repainted for nothing.
  function refreshBadges() {
    el.querySelectorAll(".opt-item").forEach((d, i) => {
      const old = d.querySelector(".badge");
      const b = badge(i);
      if (old && b && old.className === b.className && old.textContent === b.textContent) return;
      if (old) old.remove();
      if (b) d.querySelector("summary").append(b);
    });
  }

  render();
  return { el, render, add, refreshBadges };
}

// Colours for a list the page wrote itself (a lesson, a default scene): palette colours in
// order. A list from a link goes through urlstate's optimizers() reader instead.
export function normalizeOpts(list) {
  return list.slice(0, MAX_OPTIMIZERS).map((o, i) => ({ name: o.name, params: { ...(o.params || {}) }, color: PALETTE[i % PALETTE.length] }));
}

// The optimizers as the core reads them. The name comes last, so no hyper-parameter can
// replace it: what the list shows is what is computed.
export function optimizerSpecs(opts) {
  return opts.map((o, i) => ({ ...o.params, name: o.name, color: cssColour(o.color, i) }));
}
