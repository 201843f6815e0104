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
const MB = 1024 * 1024;

// els: the panel's elements; data: the last "dataset" result shown; uploaded: a CSV's
// points and labels (too big for the link).
export class DatasetPanel {
  // on: {changed()} once scene.dataset changed (the link is written); llm: llm.js's asker
  constructor({ api, catalog, scene, llm, errorText, showMessage, alive, on }) {
    Object.assign(this, { api, catalog, scene, llm, errorText, showMessage, alive, on });
    this.box = h("div", { class: "ds-controls" });
    this.preview = h("canvas", { class: "scatter", role: "img", "aria-label": "The dataset: points coloured by class" });
    this.previewInfo = h("p", { class: "hint", "aria-live": "polite" });
    this.images = h("div", { class: "digit-samples" });
    this.els = [this.box, this.preview, this.previewInfo, this.images];
    this.tab = scene.dataset.recipe ? "describe" : "preset";
    this.uploaded = null;   // {text, points, labels, columns, label}
    this.data = null;
    this.token = 0;         // counts datasets asked for: an older answer is dropped
  }

  render() {
    const tabs = h("div", { class: "tabs", role: "tablist" },
      ...TABS.map(([id, label]) => h("button", { type: "button", role: "tab", class: "tab", "aria-selected": String(this.tab === id),
        onclick: () => { this.tab = id; this.render(); } }, label)));
    const controls = { preset: () => this.presetControls(), describe: () => this.describeControls(), csv: () => this.csvControls() }[this.tab]();
    this.box.replaceChildren(tabs, h("div", { role: "tabpanel" }, ...controls));
  }

  refresh() {
    this.on.changed();
    const mine = ++this.token;
    const { val_fraction, ...ds } = datasetSpec(this.scene, this.uploaded);
    this.api.run({ kind: "dataset", dataset: ds }).then((r) => { if (mine === this.token && this.alive()) { this.showMessage(""); this.show(r); } },
      (err) => { if (mine === this.token) this.showMessage(this.errorText(err)); });
  }

  show(r) {
    this.data = r;
    const pca = r.projection.method === "pca"
      ? ` — shown on its first two principal components (${(100 * (r.projection.explained_variance_ratio[0] + r.projection.explained_variance_ratio[1])).toFixed(0)}% of the variance)` : "";
    this.previewInfo.textContent = `${r.n} points, ${r.d} feature${r.d > 1 ? "s" : ""}, ${r.classes} classes${pca}`;
    drawScatter(this.preview, r.projection.points, r.y, 260);
    this.images.replaceChildren(...(r.images || []).map(digitFigure));
  }

  presetControls() {
    const { scene, catalog } = this;
    const presets = catalog.datasets;
    const name = scene.dataset.name && !scene.dataset.recipe ? scene.dataset.name : "moons";
    const meta = presets.find((p) => p.name === name) || presets[0];
    const set = (k) => (v) => { scene.dataset[k] = v; this.refresh(); };
    const out = [selectControl({ label: "Preset", name: "dataset.name", value: meta.name, options: presets.map((p) => [p.name, p.title]),
      onChange: (v) => { scene.dataset = { name: v, seed: scene.dataset.seed || 0 }; this.render(); this.refresh(); } }).el,
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

  describeControls() {
    const text = h("textarea", { rows: 3, "aria-label": "Describe the dataset in words", "data-field": "dataset.describe",
      placeholder: "e.g. three interleaved spirals with a little noise, 600 points" }, this.scene.describe || "");
    const recipeBox = h("textarea", { rows: 8, class: "recipe", "aria-label": "Recipe (JSON, editable)", "data-field": "dataset.recipe", spellcheck: "false" },
      this.scene.dataset.recipe ? JSON.stringify(this.scene.dataset.recipe, null, 1) : "");
    const words = h("p", { class: "hint llm-words", "aria-live": "polite" });
    const make = (fromModel) => this.makeRecipe({ text, recipeBox, words, fromModel });
    const apply = () => {
      let recipe;
      try { recipe = JSON.parse(recipeBox.value); } catch (e) { this.showMessage(`Recipe: not valid JSON (${e.message})`); return; }
      this.useRecipe(recipe);
    };
    const save = () => download("recipe.json", new Blob([recipeBox.value], { type: "application/json" }));
    return [text,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button", onclick: () => make(false) }, "Make dataset"), ...this.llm.buttons(() => make(true))),
      words,
      h("label", { class: "hint" }, "Recipe — edit it and apply, save it to a file, or keep it in the link:"), recipeBox,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button secondary", onclick: apply }, "Apply recipe"),
        h("button", { type: "button", class: "button secondary", onclick: save }, "Save recipe")),
      this.llm.settings()];
  }

  // A recipe from the words: the learner's model first when asked (falling back to
  // Python's parser), then shown in the editable box and used. The dataset this is for:
  // if another one is made meanwhile (a preset, a recipe, a file), that one wins.
  async makeRecipe({ text, recipeBox, words, fromModel }) {
    this.scene.describe = text.value;
    const mine = this.token;
    const stale = () => !this.alive() || this.token !== mine;
    try {
      let asked = { note: "" };
      if (fromModel) {
        words.textContent = "Asking your model… (Cancel stops it.)";
        asked = await this.llm.ask(text.value);
        if (stale()) {
          if (asked.recipe) words.textContent = "Your model's answer arrived after the dataset had changed, so it was not used.";
          return;
        }
        if (asked.stopped !== undefined) { if (asked.stopped) words.textContent = asked.stopped; return; }
        if (asked.recipe) words.textContent = asked.note;
      }
      let recipe = asked.recipe;
      if (!recipe) {
        const r = await this.api.run({ kind: "dataset", dataset: { describe: text.value } });
        if (stale()) return;
        recipe = r.recipe;
        words.textContent = (asked.note ? `${asked.note} ` : "") +
          `Understood: ${r.understood.join(", ") || "—"}. Not understood: ${r.ignored.join(", ") || "none"}.` +
          (r.notes.length ? ` ${r.notes.join(" ")}` : "");
      }
      recipeBox.value = JSON.stringify(recipe, null, 1);
      this.useRecipe(recipe);
    } catch (err) { if (!stale()) this.showMessage(this.errorText(err)); }
  }

  useRecipe(recipe) {
    this.scene.dataset = { recipe };
    this.refresh();
  }

  csvControls() {
    const L = this.catalog.limits.network;
    const MAX_CSV_BYTES = this.catalog.limits.csv.max_bytes;
    const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", "aria-label": "CSV file", "data-field": "dataset.csv" });
    const labelSel = h("select", { "aria-label": "Label column", disabled: !this.uploaded });
    const info = h("p", { class: "hint" }, `A header row, numeric feature columns and one label column. At most ${L.max_samples} rows, ` +
      `${L.max_features} features, ${MAX_CSV_BYTES / MB} MB. Uploaded data stays in this tab: a link cannot carry it.`);
    const loaded = h("p", { class: "hint csv-loaded", "aria-live": "polite" });
    const showLoaded = () => {
      loaded.textContent = this.uploaded ? `Loaded: ${this.uploaded.name} (${this.uploaded.points.length} rows, label column "${this.uploaded.label}").` : "No file loaded.";
    };
    const columns = () => labelSel.replaceChildren(...this.uploaded.columns.map((c) => h("option", { value: c, selected: c === this.uploaded.label }, c)));
    const load = async (text, name, label) => {
      if (await this.loadCSV(text, name, label)) { columns(); labelSel.disabled = false; }
      else file.value = "";   // the picker never names a file that was not loaded
      showLoaded();
    };
    file.addEventListener("change", async () => {
      const f = file.files[0];
      if (!f) return;
      if (f.size > MAX_CSV_BYTES) {   // refused by its size, in file terms, before reading it
        this.showMessage(`CSV file: ${f.name} is ${(f.size / MB).toFixed(1)} MB; at most ${MAX_CSV_BYTES / MB} MB ` +
          `(about ${L.max_samples} rows of ${L.max_features} features) can be uploaded. ${this.keptData()}`);
        file.value = ""; showLoaded();
        return;
      }
      load(await f.text(), f.name);
    });
    labelSel.addEventListener("change", () => this.uploaded && load(this.uploaded.text, this.uploaded.name, labelSel.value));
    if (this.uploaded) columns();
    showLoaded();
    return [info, file, loaded, h("label", {}, "Label column ", labelSel)];
  }

  // What stays in use when a file is refused.
  keptData() {
    if (this.scene.dataset.upload && this.uploaded) return `Still using ${this.uploaded.name}.`;
    const d = this.scene.dataset;
    return `The dataset is unchanged (${d.recipe ? "your recipe" : `preset ${d.name}`}).`;
  }

  // The newest dataset: a preview or a model's answer still on its way is dropped.
  async loadCSV(text, name, label) {
    const mine = ++this.token;
    try {
      const r = await this.api.run({ kind: "dataset", dataset: { csv: text, ...(label ? { label_column: label } : {}) } });
      if (mine !== this.token || !this.alive()) return false;
      this.uploaded = { text, name, points: r.X, labels: r.y, columns: [...r.columns, r.label_column], label: r.label_column };
      this.scene.dataset = { upload: true };
      this.on.changed();
      this.showMessage("");
      this.show(r);
      return true;
    } catch (err) {
      // nothing of the refused file is kept: the data, the picker and the link stay as they were
      if (mine === this.token) this.showMessage(`${this.errorText(err)} ${this.keptData()}`);
      return false;
    }
  }
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
