// The projection view's side panel: which network's weights are projected (with a button
// to take the Network view's last experiment), the t-SNE and loss-plane settings, and
// which runs are shown. A control edits its field of the scene and calls on.changed().
import { h } from "../../lib/dom.js";
import { numberControl, selectControl } from "../../lib/controls.js";

const TARGET_LABELS = [["trajectories", "Weight trajectories (t-SNE + PCA)"], ["activations", "Hidden-layer activations (t-SNE)"],
  ["data", "The data itself (t-SNE)"]];

// "hidden layer 2 (the last)": the layer a spec's `layer` (an index, -1 the last) names.
export function layerName(layer, nHidden) {
  const k = layer === undefined || layer < 0 ? nHidden + (layer ?? -1) : layer;
  return `hidden layer ${k + 1}${k === nHidden - 1 ? " (the last)" : ""}`;
}

// on: {changed(), shownRuns() (a run was shown or hidden), takeNetwork()}
export function projectionSettings({ catalog, scene, colourOf, title, on }) {
  const netInfo = h("div", { class: "hint" });
  const controls = h("div", {});
  const showBox = h("div", {});
  const showHead = h("h2", {}, "Show");
  const msg = h("div", { class: "message", role: "alert", hidden: true });
  const el = h("aside", { class: "panel side", "aria-label": "Projection settings" },
    h("h2", {}, "Weights to project"), msg, netInfo,
    h("button", { type: "button", class: "button secondary", onclick: on.takeNetwork }, "Use the Network view's experiment"),
    h("h2", {}, "Settings"), controls,
    showHead, showBox,
    h("details", { class: "note" }, h("summary", {}, "What t-SNE distances mean (and don't)"),
      h("p", {}, "t-SNE keeps neighbours together: snapshots that are close in weight space stay close on the map. It does not preserve large distances, the sizes of clusters, or the spacing between them, and a different seed or perplexity can rearrange the map. Read it as \"these steps were near each other\", never as \"this optimizer travelled twice as far\"."),
      h("p", {}, "The PCA plane is a faithful linear projection, but only of the share of the variance the meter shows; the loss contours are the true loss on that plane, while the paths themselves also move off it.")));
  const set = (k) => (v) => { scene[k] = v; on.changed(); };

  function describeNetwork() {
    const n = scene.network;
    const ds = n.dataset.name || (n.dataset.recipe ? "a recipe" : "uploaded points");
    const every = n.snapshot_every === "auto" ? "snapshots spaced by the core" : `snapshot every ${n.snapshot_every || 10} steps`;
    netInfo.replaceChildren(`${ds}, hidden ${JSON.stringify(n.model.hidden)} ${n.model.activation || "tanh"}, ${n.loss || "cross_entropy"}, ${n.epochs ?? 50} epochs, ${every}:`,
      h("ul", {}, n.optimizers.map((o, i) => h("li", {}, h("span", { class: "swatch", style: { background: colourOf(i) } }),
        `${title(o)}${o.lr !== undefined ? ` (lr ${o.lr})` : ""}`))));
  }

  function buildControls() {
    controls.replaceChildren(
      selectControl({ label: "Project", name: "target", value: scene.target, options: TARGET_LABELS,
        onChange: (v) => { scene.target = v; buildControls(); on.changed(); } }).el,
      scene.target === "activations" ? selectControl({ label: "Of the run", name: "run", value: String(scene.run),
        options: scene.network.optimizers.map((o, i) => [String(i), `${i + 1}. ${title(o)}`]),
        onChange: (v) => { scene.run = +v; on.changed(); } }).el : "",
      scene.target === "activations" ? selectControl({ label: "Hidden layer", name: "layer", value: String(scene.layer),
        options: scene.network.model.hidden.map((w, k) => [String(k), `${layerName(k, scene.network.model.hidden.length)}: ${w} units`]),
        onChange: (v) => { scene.layer = +v; on.changed(); } }).el : "",
      numberControl({ label: "Perplexity", name: "perplexity", value: scene.perplexity, lo: 1, hi: 100, onChange: set("perplexity") }).el,
      numberControl({ label: "t-SNE iterations", name: "max_iter", value: scene.max_iter, lo: 250, hi: 2000, kind: "int", onChange: set("max_iter") }).el,
      numberControl({ label: "Seed", name: "seed", value: scene.seed, lo: 0, hi: 2 ** 32 - 1, kind: "int", onChange: set("seed") }).el,
      scene.target === "trajectories" ? numberControl({ label: "Loss grid (points per side)", name: "grid", value: scene.grid, lo: 5, hi: 41,
        kind: "int", onChange: set("grid") }).el : "");
    // activations and data are coloured by class (the map's own key says which): only the
    // weight paths are drawn per run, so only they can be shown or hidden
    const paths = scene.target === "trajectories";
    showHead.hidden = showBox.hidden = !paths;
    showBox.replaceChildren(...!paths ? [] : scene.network.optimizers.map((o, i) => {
      const id = `show-${i}`;
      const box = h("input", { type: "checkbox", id, checked: !scene.hide.includes(i) });
      box.addEventListener("change", () => { scene.hide = box.checked ? scene.hide.filter((k) => k !== i) : [...scene.hide, i]; on.shownRuns(); });
      return h("div", { class: "control control-bool" }, box, h("label", { for: id }, h("span", { class: "swatch", style: { background: colourOf(i) } }), `${i + 1}. ${title(o)}`));
    }));
  }

  return {
    el,
    // everything shown, after the network changed
    showNetwork() { describeNetwork(); buildControls(); },
    showMessage(text) { msg.hidden = !text; msg.textContent = text || ""; },
  };
}
