// The network view's dataset: a preset with its parameters, a description in words turned
// into an editable recipe (by Python's parser or the learner's own model), or a CSV file.
// Each change sets scene.dataset, asks Python for the points (kind "dataset") and shows
// them; only the newest dataset's answer is shown.
import { h } from "../../lib/dom.js";
import { fitCanvas } from "../../lib/canvas.js";
import { numberControl, selectControl } from "../../lib/controls.js";
import { download } from "../../lib/download.js";
import { datasetSpec } from "./scene.js";
import { drawScatter } from "./draw.js";

const TABS = [["preset", "Preset"], ["describe", "Describe in words"], ["csv", "Upload CSV"]];

// on: {changed()} once scene.dataset changed (the link is written); llm: llm.js's asker
export function datasetPanel({ api, catalog, scene, llm, errorText, showMessage, alive, on }) {
  const box = h("div", { class: "ds-controls" });
  const preview = h("canvas", { class: "scatter", role: "img", "aria-label": "The dataset: points coloured by class" });
  const previewInfo = h("p", { class: "hint", "aria-live": "polite" });
  const images = h("div", { class: "digit-samples" });
  let tab = scene.dataset.recipe ? "describe" : "preset";
  let uploaded = null;      // {text, points, labels, columns, label} from a CSV: too big for the URL
  let data = null;          // the last "dataset" result shown
  let token = 0;            // counts datasets asked for: an older answer is dropped

  function render() {
    const tabs = h("div", { class: "tabs", role: "tablist" },
      ...TABS.map(([id, label]) => h("button", { type: "button", role: "tab", class: "tab", "aria-selected": String(tab === id),
        onclick: () => { tab = id; render(); } }, label)));
    const controls = { preset: presetControls, describe: describeControls, csv: csvControls }[tab]();
    box.replaceChildren(tabs, h("div", { role: "tabpanel" }, ...controls));
  }

  function refresh() {
    on.changed();
    const mine = ++token;
    const { val_fraction, ...ds } = datasetSpec(scene, uploaded);
    api.run({ kind: "dataset", dataset: ds }).then((r) => { if (mine === token && alive()) { showMessage(""); show(r); } },
      (err) => { if (mine === token) showMessage(errorText(err)); });
  }

  function show(r) {
    data = r;
    const pca = r.projection.method === "pca"
      ? ` — shown on its first two principal components (${(100 * (r.projection.explained_variance_ratio[0] + r.projection.explained_variance_ratio[1])).toFixed(0)}% of the variance)` : "";
    previewInfo.textContent = `${r.n} points, ${r.d} feature${r.d > 1 ? "s" : ""}, ${r.classes} classes${pca}`;
    drawScatter(preview, r.projection.points, r.y, 260);
    images.replaceChildren(...(r.images || []).map(digitFigure));
  }

  function presetControls() {
    const presets = catalog.datasets;
    const name = scene.dataset.name && !scene.dataset.recipe ? scene.dataset.name : "moons";
    const meta = presets.find((p) => p.name === name) || presets[0];
    const set = (k) => (v) => { scene.dataset[k] = v; refresh(); };
    const out = [selectControl({ label: "Preset", name: "dataset.name", value: meta.name, options: presets.map((p) => [p.name, p.title]),
      onChange: (v) => { scene.dataset = { name: v, seed: scene.dataset.seed || 0 }; render(); refresh(); } }).el,
      h("p", { class: "hint" }, meta.description)];
    for (const [k, p] of Object.entries(meta.params)) {
      if (k === "seed") continue;
      out.push(numberControl({ label: k, name: `dataset.${k}`, value: scene.dataset[k] ?? p.default, lo: p.min,
        hi: Math.min(p.max, catalog.limits.network.max_samples), kind: k === "n" || k === "classes" ? "int" : "float", onChange: set(k) }).el);
    }
    out.push(numberControl({ label: "data seed", name: "dataset.seed", value: scene.dataset.seed ?? 0, lo: 0, hi: 2 ** 32 - 1, kind: "int",
      onChange: set("seed") }).el);
    return out;
  }

  function describeControls() {
    const text = h("textarea", { rows: 3, "aria-label": "Describe the dataset in words", "data-field": "dataset.describe",
      placeholder: "e.g. three interleaved spirals with a little noise, 600 points" }, scene.describe || "");
    const recipeBox = h("textarea", { rows: 8, class: "recipe", "aria-label": "Recipe (JSON, editable)", "data-field": "dataset.recipe", spellcheck: "false" },
      scene.dataset.recipe ? JSON.stringify(scene.dataset.recipe, null, 1) : "");
    const words = h("p", { class: "hint llm-words", "aria-live": "polite" });
    const make = (fromModel) => makeRecipe({ text, recipeBox, words, fromModel });
    const apply = () => {
      let recipe;
      try { recipe = JSON.parse(recipeBox.value); } catch (e) { showMessage(`Recipe: not valid JSON (${e.message})`); return; }
      useRecipe(recipe);
    };
    return [text,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button", onclick: () => make(false) }, "Make dataset"), ...llm.buttons(() => make(true))),
      words,
      h("label", { class: "hint" }, "Recipe — edit it and apply, save it to a file, or keep it in the link:"), recipeBox,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button secondary", onclick: apply }, "Apply recipe"),
        h("button", { type: "button", class: "button secondary", onclick: () => download("recipe.json", new Blob([recipeBox.value], { type: "application/json" })) }, "Save recipe")),
      llm.settings()];
  }

  // A recipe from the words: the learner's model first when asked (falling back to
  // Python's parser), then shown in the editable box and used. The dataset this is for:
  // if another one is made meanwhile (a preset, a recipe, a file), that one wins.
  async function makeRecipe({ text, recipeBox, words, fromModel }) {
    scene.describe = text.value;
    const mine = token;
    const stale = () => !alive() || token !== mine;
    try {
      let asked = { note: "" };
      if (fromModel) {
        words.textContent = "Asking your model… (Cancel stops it.)";
        asked = await llm.ask(text.value);
        if (stale()) {
          if (asked.recipe) words.textContent = "Your model's answer arrived after the dataset had changed, so it was not used.";
          return;
        }
        if (asked.stopped !== undefined) { if (asked.stopped) words.textContent = asked.stopped; return; }
        if (asked.recipe) words.textContent = asked.note;
      }
      let recipe = asked.recipe;
      if (!recipe) {
        const r = await api.run({ kind: "dataset", dataset: { describe: text.value } });
        if (stale()) return;
        recipe = r.recipe;
        words.textContent = (asked.note ? `${asked.note} ` : "") +
          `Understood: ${r.understood.join(", ") || "—"}. Not understood: ${r.ignored.join(", ") || "none"}.` +
          (r.notes.length ? ` ${r.notes.join(" ")}` : "");
      }
      recipeBox.value = JSON.stringify(recipe, null, 1);
      useRecipe(recipe);
    } catch (err) { if (!stale()) showMessage(errorText(err)); }
  }

  function useRecipe(recipe) {
    scene.dataset = { recipe };
    refresh();
  }

  function csvControls() {
    const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", "aria-label": "CSV file", "data-field": "dataset.csv" });
    const labelSel = h("select", { "aria-label": "Label column", disabled: !uploaded });
    const info = h("p", { class: "hint" }, `A header row, numeric feature columns and one label column. At most ${catalog.limits.network.max_samples} rows, ` +
      `${catalog.limits.network.max_features} features, 2 MB. Uploaded data stays in this tab (it is not put in the link).`);
    const columns = () => labelSel.replaceChildren(...uploaded.columns.map((c) => h("option", { value: c, selected: c === uploaded.label }, c)));
    const load = async (text, label) => {
      if (await loadCSV(text, label)) { columns(); labelSel.disabled = false; }
    };
    file.addEventListener("change", async () => { if (file.files[0]) load(await file.files[0].text()); });
    labelSel.addEventListener("change", () => uploaded && load(uploaded.text, labelSel.value));
    if (uploaded) columns();
    return [info, file, h("label", {}, "Label column ", labelSel)];
  }

  // The newest dataset: a preview or a model's answer still on its way is dropped.
  async function loadCSV(text, label) {
    const mine = ++token;
    try {
      const r = await api.run({ kind: "dataset", dataset: { csv: text, ...(label ? { label_column: label } : {}) } });
      if (mine !== token || !alive()) return false;
      uploaded = { text, points: r.X, labels: r.y, columns: [...r.columns, r.label_column], label: r.label_column };
      scene.dataset = { upload: true };
      showMessage("");
      show(r);
      return true;
    } catch (err) { if (mine === token) showMessage(errorText(err)); return false; }
  }

  return { els: [box, preview, previewInfo, images], render, refresh, get data() { return data; }, get uploaded() { return uploaded; } };
}

function digitFigure(im) {
  const c = h("canvas", { class: "digit", role: "img", "aria-label": `digit ${im.label}` });
  const ctx = fitCanvas(c, 32, 32);
  const px = im.pixels;
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
    const v = 255 - Math.round((px[i][j] / 16) * 255);
    ctx.fillStyle = `rgb(${v},${v},${v})`; ctx.fillRect(j * 4, i * 4, 4, 4);
  }
  return h("figure", {}, c, h("figcaption", {}, String(im.label)));
}
