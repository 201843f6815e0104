// The network view's model and training settings: hidden layer widths, activation, loss,
// batch size, epochs, L2, validation fraction and seed. Each edits its field of the scene
// and calls onChange (the link is written; nothing runs until Train).
import { h } from "../../lib/dom.js";
import { numberControl, selectControl } from "../../lib/controls.js";

export function modelControls({ catalog, scene, onChange }) {
  const L = catalog.limits.network;
  const set = (k) => (v) => { scene[k] = v; onChange(); };
  const setModel = (k) => (v) => { scene.model[k] = v; onChange(); };
  return h("div", {},
    hiddenLayers(L, scene, setModel("hidden")),
    selectControl({ label: "Activation", name: "model.activation", value: scene.model.activation,
      options: catalog.activations.map((a) => [a, a]), onChange: setModel("activation") }).el,
    selectControl({ label: "Loss", name: "loss", value: scene.loss, options: catalog.losses.map((a) => [a, a]), onChange: set("loss") }).el,
    numberControl({ label: "Batch size", name: "batch_size", value: scene.batch_size, lo: 1, hi: L.max_samples, kind: "int", onChange: set("batch_size") }).el,
    numberControl({ label: "Epochs", name: "epochs", value: scene.epochs, lo: 1, hi: L.max_epochs, kind: "int", onChange: set("epochs") }).el,
    numberControl({ label: "L2", name: "l2", value: scene.l2, lo: 0, hi: 1, onChange: set("l2") }).el,
    numberControl({ label: "Validation fraction", name: "dataset.val_fraction", value: scene.val_fraction,
      lo: L.min_val_fraction, hi: L.max_val_fraction, onChange: set("val_fraction") }).el,
    numberControl({ label: "Seed (weights and batches)", name: "seed", value: scene.seed, lo: 0, hi: 2 ** 32 - 1, kind: "int", onChange: set("seed") }).el);
}

// "16, 16": up to max_layers whole widths, each from 1 to max_width; a bad list is named
// next to the field and the last good one kept.
function hiddenLayers(L, scene, onChange) {
  const input = h("input", { type: "text", value: scene.model.hidden.join(", "), "data-field": "model.hidden", "aria-describedby": "hidden-err", id: "hidden-input" });
  const err = h("span", { class: "field-error", id: "hidden-err", role: "alert" });
  input.addEventListener("change", () => {
    const widths = input.value.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
    if (widths.some((v) => !Number.isInteger(v) || v < 1 || v > L.max_width) || widths.length > L.max_layers) {
      err.textContent = `hidden layers must be up to ${L.max_layers} whole numbers between 1 and ${L.max_width}, separated by commas`;
      input.setAttribute("aria-invalid", "true");
      return;
    }
    err.textContent = ""; input.setAttribute("aria-invalid", "false");
    onChange(widths);
  });
  return h("div", { class: "control" }, h("label", { for: "hidden-input" }, "Hidden layer widths"), input, err);
}
