// Network view: the same small network trained with several optimizers side by side.
// Datasets come from presets, a description in words, or a CSV file; everything is
// generated, trained and evaluated by Python in the worker. This module draws.
import { h, fmt } from "../lib/dom.js";
import { fitCanvas, cssColour } from "../lib/canvas.js";
import { LineChart } from "../lib/chart.js";
import { numberControl, selectControl, boolControl } from "../lib/controls.js";
import { optimizerList, normalizeOpts, optimizerSpecs, MAX_OPTIMIZERS } from "../lib/optlist.js";
import { readParams, problemBox, choice, number, flag, json, optimizers, dataset, isObject, num, shown, Bad } from "../lib/urlstate.js";
import { downloadPNG, downloadCSV, downloadJSON, download, exportButtons } from "../lib/download.js";

const CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const LLM_STORAGE = "descentlab.llm";   // endpoint settings live in this browser only
const DEFAULT = {
  ds: { name: "moons", n: 300, noise: 0.2, seed: 0 },
  model: { hidden: [16, 16], activation: "tanh" },
  loss: "cross_entropy", bs: 32, epochs: 60, l2: 0, seed: 0, vf: 0.2,
  opts: [{ name: "sgd", p: { lr: 0.1 } }, { name: "momentum", p: { lr: 0.05 } }, { name: "adam", p: { lr: 0.01 } }],
};

export function mount(root, { api, catalog, params, setParams, notify }) {
  const L = catalog.limits.network;
  const { scene, problems } = readScene(params);
  let uploaded = null;       // {points, labels, columns} from a CSV: too big for the URL
  let data = null;           // last "dataset" result (preview)
  let result = null;         // last network result
  let live = null;           // runs being streamed: [{train_loss, epochs, boundary, diverged_at}]
  let lastSpec = null;
  let epochCursor = null;
  let training = null;
  let destroyed = false;
  let streamGrid = null;     // while training, the boundary grid arrives with the progress messages
  let trainingSpec = null;   // the spec being trained: run labels come from it, not from the controls

  // The experiment a link asks for: each parameter checked, a bad one reported by name and
  // its default used.
  function readScene(p) {
    const { values: v, problems } = readParams(p, {
      ds: json(dataset(catalog)),
      model: json(modelOf),
      loss: choice(catalog.losses),
      bs: number(1, L.max_samples, { integer: true }),
      epochs: number(1, L.max_epochs, { integer: true }),
      l2: number(0, 1),
      seed: number(0, L.max_seed, { integer: true }),
      vf: number(L.min_val_fraction, L.max_val_fraction),
      opts: json(optimizers(catalog, MAX_OPTIMIZERS)),
      train: flag(),
    });
    const s = structuredClone(DEFAULT);
    for (const [k, val] of Object.entries(v)) if (val !== undefined) s[k] = val;
    s.opts = v.opts || normalizeOpts(DEFAULT.opts);
    return { scene: s, problems };
  }

  function modelOf(x, ctx) {
    if (!isObject(x)) throw new Bad(`must be an object like {"hidden": [16, 16], "activation": "tanh"} (got ${shown(x)})`);
    const model = structuredClone(DEFAULT.model);
    for (const k of Object.keys(x)) {
      if (k !== "hidden" && k !== "activation") ctx.report(`.${k}`, "not a field of the model (hidden, activation); ignored");
    }
    if (x.hidden !== undefined) {
      try {
        if (!Array.isArray(x.hidden) || x.hidden.length > L.max_layers) {
          throw new Bad(`must be a list of at most ${L.max_layers} layer widths (got ${shown(x.hidden)})`);
        }
        model.hidden = x.hidden.map((w, i) => num(w, 1, L.max_width, `[${i}]`, true));
      } catch (e) {
        if (!(e instanceof Bad)) throw e;
        ctx.report(`.hidden${e.at}`, `${e.message}; the default is used`);
      }
    }
    if (x.activation !== undefined) {
      if (catalog.activations.includes(x.activation)) model.activation = x.activation;
      else ctx.report(".activation", `must be one of ${catalog.activations.join(", ")} (got ${shown(x.activation)}); the default is used`);
    }
    return model;
  }

  // ------------------------------------------------------------ layout
  const msg = h("div", { class: "message", role: "alert", hidden: true });
  const linkProblems = problemBox(problems);
  const dsBox = h("div", { class: "ds-controls" });
  const preview = h("canvas", { class: "scatter", role: "img", "aria-label": "The dataset: points coloured by class" });
  const previewInfo = h("p", { class: "hint", "aria-live": "polite" });
  const images = h("div", { class: "digit-samples" });
  const modelBox = h("div", {});
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Training progress" });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const trainBtn = h("button", { type: "button", class: "button", onclick: train }, "Train");
  const stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => training && api.cancel(training) }, "Stop");
  const logToggle = boolControl({ label: "log scale", name: "log", value: true, onChange: (v) => { lossChart.logY = v; valChart.logY = v; drawCharts(); } });
  const lossCanvas = h("canvas", { role: "img", "aria-label": "Training loss per step" });
  const valCanvas = h("canvas", { role: "img", "aria-label": "Validation loss per epoch" });
  const accCanvas = h("canvas", { role: "img", "aria-label": "Validation accuracy per epoch" });
  const lossChart = new LineChart(lossCanvas, { height: 170, logY: true, xLabel: "step", yLabel: "training loss" });
  const valChart = new LineChart(valCanvas, { height: 170, logY: true, xLabel: "epoch", yLabel: "validation loss" });
  const accChart = new LineChart(accCanvas, { height: 170, logY: false, xLabel: "epoch", yLabel: "validation accuracy" });
  const scrub = h("input", { type: "range", min: 0, max: 1, value: 1, step: 1, "aria-label": "Epoch", class: "timeline-range", disabled: true });
  const scrubLabel = h("output", { class: "step-label" });
  const boundaries = h("div", { class: "boundaries", "aria-label": "Decision boundaries, one per optimizer" });

  const optUI = optimizerList({ catalog, opts: scene.opts, onChange: pushState, onColour: () => { pushState(); drawAll(); }, badge: runBadge });

  const side = h("aside", { class: "panel side", "aria-label": "Dataset and model" },
    h("h2", {}, "Dataset"), msg, dsBox, preview, previewInfo, images,
    h("h2", {}, "Model"), modelBox,
    h("h2", {}, "Optimizers"), optUI.el,
    h("button", { type: "button", class: "button secondary", onclick: () => { if (optUI.add()) pushState(); } }, "+ Add optimizer"));
  const main = h("section", { class: "panel main", "aria-label": "Training" },
    h("div", { class: "timeline" }, trainBtn, stopBtn, progress, logToggle.el), status,
    h("div", { class: "charts" }, h("div", { class: "chart-wrap" }, lossCanvas), h("div", { class: "chart-wrap" }, valCanvas),
      h("div", { class: "chart-wrap" }, accCanvas)),
    h("div", { class: "timeline" }, h("span", {}, "Epoch"), scrub, scrubLabel),
    h("h2", {}, "Decision boundaries"), boundaries,
    exportButtons({ png: exportPNG, csv: exportCSV,
      json: () => result && downloadJSON("descentlab-network.json", { spec: lastSpec, result }),
      notify, copied: "Link copied: it reproduces this experiment." }));
  root.replaceChildren(linkProblems, h("div", { class: "network-view" }, side, main));

  function showMessage(text) { msg.hidden = !text; msg.textContent = text || ""; }

  // The core names a field as the spec does ("batch_size", "model.hidden[1]",
  // "optimizers[0].lr"); the page names it by the control that sets it, and marks that
  // control. A field no control sets is named by the control that drives it: the page
  // never names a field it does not offer.
  const DRIVEN_BY = {
    snapshot_every: "epochs", boundary_size: "epochs", dataset: "dataset.name", "dataset.points": "dataset.csv",
    "dataset.labels": "dataset.csv", "dataset.label_column": "dataset.csv", recipe: "dataset.recipe",
  };
  const FIELD_LABELS = {   // controls that may be on another tab just now
    "dataset.name": "Preset", "dataset.seed": "Data seed", "dataset.recipe": "Recipe", "dataset.describe": "Description",
    "dataset.csv": "CSV file", "dataset.n": "Number of points", "dataset.noise": "Noise", "dataset.classes": "Classes",
  };
  let marked = null;
  function controlOf(field) {
    for (let f = String(field); f;) {
      const key = DRIVEN_BY[f] || f;
      for (const k of [key, `${key}.name`]) {
        const el = root.querySelector(`[data-field="${CSS.escape(k)}"]`);
        if (el) return { el, key: k };
        if (FIELD_LABELS[k]) return { el: null, key: k };
      }
      const cut = f.search(/(\.[^.[\]]*|\[\d+\])$/);   // drop the last ".name" or "[i]"
      f = cut > 0 ? f.slice(0, cut) : "";
    }
    return { el: root.querySelector('[data-field="epochs"]'), key: "epochs" };
  }
  function labelOf({ el, key }) {
    const opt = /^optimizers\[(\d+)\]\.(.+)$/.exec(key);
    if (opt) return `Optimizer ${+opt[1] + 1}${opt[2] === "name" ? "" : ` ${opt[2]}`}`;
    if (el && el.labels && el.labels[0]) return el.labels[0].textContent;
    return (el && el.getAttribute("aria-label")) || FIELD_LABELS[key] || key;
  }
  function errText(err) {
    if (marked) { marked.removeAttribute("aria-invalid"); marked = null; }
    if (!err.field) return err.message;
    const control = controlOf(err.field);
    if (control.el) { control.el.setAttribute("aria-invalid", "true"); marked = control.el; }
    return `${labelOf(control)}: ${err.message}`;
  }

  // ------------------------------------------------------------ dataset source
  const presets = catalog.datasets;
  function source() { return scene.ds.recipe ? "recipe" : uploaded && scene.ds.upload ? "csv" : "preset"; }

  function buildDataset() {
    const tabs = h("div", { class: "tabs", role: "tablist" },
      ...[["preset", "Preset"], ["describe", "Describe in words"], ["csv", "Upload CSV"]].map(([id, label]) =>
        h("button", { type: "button", role: "tab", class: "tab", "aria-selected": String(tab === id), onclick: () => { tab = id; buildDataset(); } }, label)));
    const body = h("div", { role: "tabpanel" });
    if (tab === "preset") body.append(...presetControls());
    if (tab === "describe") body.append(...describeControls());
    if (tab === "csv") body.append(...csvControls());
    dsBox.replaceChildren(tabs, body);
  }
  let tab = scene.ds.recipe ? "describe" : "preset";

  function presetControls() {
    const name = scene.ds.name && !scene.ds.recipe ? scene.ds.name : "moons";
    const meta = presets.find((p) => p.name === name) || presets[0];
    const out = [selectControl({ label: "Preset", name: "dataset.name", value: meta.name, options: presets.map((p) => [p.name, p.title]),
      onChange: (v) => { scene.ds = { name: v, seed: scene.ds.seed || 0 }; buildDataset(); refreshData(); } }).el,
      h("p", { class: "hint" }, meta.description)];
    for (const [k, p] of Object.entries(meta.params)) {
      if (k === "seed") continue;
      out.push(numberControl({ label: k, name: `dataset.${k}`, value: scene.ds[k] ?? p.default, lo: p.min, hi: Math.min(p.max, catalog.limits.network.max_samples),
        kind: k === "n" || k === "classes" ? "int" : "float", onChange: (v) => { scene.ds[k] = v; refreshData(); } }).el);
    }
    out.push(numberControl({ label: "data seed", name: "dataset.seed", value: scene.ds.seed ?? 0, lo: 0, hi: 2 ** 32 - 1, kind: "int",
      onChange: (v) => { scene.ds.seed = v; refreshData(); } }).el);
    return out;
  }

  function describeControls() {
    const text = h("textarea", { rows: 3, "aria-label": "Describe the dataset in words", "data-field": "dataset.describe",
      placeholder: "e.g. three interleaved spirals with a little noise, 600 points" }, scene.describe || "");
    const recipeBox = h("textarea", { rows: 8, class: "recipe", "aria-label": "Recipe (JSON, editable)", "data-field": "dataset.recipe", spellcheck: "false" },
      scene.ds.recipe ? JSON.stringify(scene.ds.recipe, null, 1) : "");
    const words = h("p", { class: "hint llm-words", "aria-live": "polite" });
    const make = async (fromLLM) => {
      scene.describe = text.value;
      // The dataset this is for: if another one is made meanwhile (a preset, a recipe, a
      // file, the built-in parser), that one wins and this answer is dropped.
      const gen = dataToken;
      const stale = () => destroyed || dataToken !== gen;
      try {
        let recipe;
        let note = "";
        if (fromLLM) {
          words.textContent = "Asking your model… (Cancel stops it.)";
          const asked = await askLLM(text.value);
          if (stale()) {
            if (asked.recipe) words.textContent = "Your model's answer arrived after the dataset had changed, so it was not used.";
            return;
          }
          if (asked.stopped !== undefined) { if (asked.stopped) words.textContent = asked.stopped; return; }
          recipe = asked.recipe;
          note = asked.note;
          if (recipe) words.textContent = note;
        }
        if (!recipe) {
          const r = await api.run({ kind: "dataset", dataset: { describe: text.value } });
          if (stale()) return;
          recipe = r.recipe;
          words.textContent = (note ? `${note} ` : "") +
            `Understood: ${r.understood.join(", ") || "—"}. Not understood: ${r.ignored.join(", ") || "none"}.` +
            (r.notes.length ? ` ${r.notes.join(" ")}` : "");
        }
        recipeBox.value = JSON.stringify(recipe, null, 1);
        useRecipe(recipe);
      } catch (err) { if (!stale()) showMessage(errText(err)); }
    };
    const llm = llmSettings();
    askButton = h("button", { type: "button", class: "button secondary", onclick: () => make(true) }, "Ask my model");
    cancelButton = h("button", { type: "button", class: "button secondary", onclick: () => llmRequest && llmRequest.stop("cancel") }, "Cancel");
    showLLMState();
    return [text,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button", onclick: () => make(false) }, "Make dataset"),
        askButton, cancelButton),
      words,
      h("label", { class: "hint" }, "Recipe — edit it and apply, save it to a file, or keep it in the link:"), recipeBox,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button secondary", onclick: () => {
          let recipe;
          try { recipe = JSON.parse(recipeBox.value); } catch (e) { showMessage(`Recipe: not valid JSON (${e.message})`); return; }
          useRecipe(recipe);
        } }, "Apply recipe"),
        h("button", { type: "button", class: "button secondary", onclick: () => download("recipe.json", new Blob([recipeBox.value], { type: "application/json" })) }, "Save recipe")),
      llm];
  }

  function useRecipe(recipe) {
    scene.ds = { recipe };
    refreshData();
  }

  // ------------------------------------------------------------ "Ask my model"
  // One request at a time, with a timeout, a Cancel button and a cap on the answer's size
  // (it is read up to the cap and no further, and never handed to Python when over it).
  const LLM_TIMEOUT_S = 60;
  // describe.MAX_ANSWER_CHARS: Python refuses longer answers anyway
  const MAX_ANSWER_CHARS = (catalog.limits.describe && catalog.limits.describe.max_answer_chars) || 20000;
  // the HTTP body around the answer: JSON may escape each character as \uXXXX (6 bytes)
  const MAX_BODY_BYTES = 6 * MAX_ANSWER_CHARS + 64 * 1024;
  let llmRequest = null;     // {stop(why), why} while a request is out
  let askButton = null, cancelButton = null;

  function showLLMState() {
    if (askButton) askButton.disabled = !!llmRequest;
    if (cancelButton) cancelButton.hidden = !llmRequest;
  }

  function llmConfig() {
    try {
      const cfg = JSON.parse(localStorage.getItem(LLM_STORAGE) || "{}");
      return isObject(cfg) ? cfg : {};
    } catch { return {}; }
  }

  function timeoutOf(cfg) {
    const t = Number(cfg.timeout);
    return Number.isFinite(t) && t >= 1 && t <= 600 ? t : LLM_TIMEOUT_S;
  }

  function llmSettings() {
    const saved = llmConfig();
    const url = h("input", { type: "url", value: saved.url || "", placeholder: "http://localhost:11434/v1/chat/completions", "aria-label": "Chat completions URL" });
    const model = h("input", { type: "text", value: saved.model || "", placeholder: "llama3.2", "aria-label": "Model name" });
    const key = h("input", { type: "password", value: saved.key || "", placeholder: "API key (optional)", "aria-label": "API key" });
    const timeout = h("input", { type: "number", min: 1, max: 600, step: 1, value: String(timeoutOf(saved)), "aria-label": "Timeout in seconds" });
    const save = () => localStorage.setItem(LLM_STORAGE, JSON.stringify({ url: url.value, model: model.value, key: key.value,
      timeout: timeoutOf({ timeout: timeout.value }) }));
    for (const el of [url, model, key, timeout]) el.addEventListener("change", save);
    return h("details", { class: "llm" }, h("summary", {}, "Optional: use your own language model"),
      h("p", { class: "hint" }, `Any OpenAI-compatible chat-completions endpoint (a local Ollama or llama.cpp server, say). The key is kept in this browser's local storage only. The answer is treated as data: at most ${MAX_ANSWER_CHARS} characters, parsed and validated by Python, never executed.`),
      h("label", {}, "Endpoint URL", url), h("label", {}, "Model", model), h("label", {}, "Key", key),
      h("label", {}, "Give up after (seconds)", timeout));
  }

  // The body of `resp` as text, refusing (and no longer reading) more than `max` bytes.
  async function readCapped(resp, max) {
    const declared = Number(resp.headers.get("Content-Length"));
    const tooBig = () => new Error(`the answer is larger than ${Math.round(max / 1024)} KB; at most ${MAX_ANSWER_CHARS} characters are used`);
    if (declared > max) throw tooBig();
    const reader = resp.body.getReader();
    const parts = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) { reader.cancel().catch(() => {}); throw tooBig(); }
      parts.push(value);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const part of parts) { bytes.set(part, at); at += part.length; }
    return new TextDecoder().decode(bytes);
  }

  // -> {recipe, note} from the model, {note} to fall back to the built-in parser, or
  // {stopped: text} when it was cancelled or replaced by a newer question.
  async function askLLM(text) {
    const cfg = llmConfig();
    if (!cfg.url) return { note: "No model endpoint configured; used the built-in parser instead." };
    if (llmRequest) llmRequest.stop("replaced");
    const controller = new AbortController();
    const req = { why: null, stop(why) { if (!req.why) req.why = why; controller.abort(); } };
    llmRequest = req;
    showLLMState();
    const seconds = timeoutOf(cfg);
    const timer = setTimeout(() => req.stop("timeout"), seconds * 1000);
    try {
      const prompt = await api.call("llm_prompt");
      if (req.why) throw new Error(req.why);
      const resp = await fetch(cfg.url, {
        method: "POST",
        signal: controller.signal,
        headers: { "Content-Type": "application/json", ...(cfg.key ? { Authorization: `Bearer ${cfg.key}` } : {}) },
        body: JSON.stringify({ model: cfg.model || undefined, messages: [{ role: "system", content: prompt }, { role: "user", content: text }], temperature: 0 }),
      });
      if (!resp.ok) throw new Error(`the endpoint answered HTTP ${resp.status}`);
      let body;
      try { body = JSON.parse(await readCapped(resp, MAX_BODY_BYTES)); } catch (e) {
        if (e instanceof SyntaxError) throw new Error("the endpoint's answer is not JSON");
        throw e;
      }
      clearTimeout(timer);
      const content = body && body.choices && body.choices[0] && body.choices[0].message ? body.choices[0].message.content : "";
      const answer = typeof content === "string" ? content : String(content ?? "");
      if (answer.length > MAX_ANSWER_CHARS) {
        throw new Error(`the answer is ${answer.length} characters long; at most ${MAX_ANSWER_CHARS} are used`);
      }
      const recipe = await api.call("parse_llm_answer", answer);
      return { recipe, note: "Recipe from your model (validated by Python)." };
    } catch (err) {
      if (req.why === "cancel") return { stopped: "Cancelled: your model's answer will not be used." };
      if (req.why === "replaced") return { stopped: "" };
      if (req.why === "timeout") return { note: `Your model did not answer within ${seconds} s; here is the built-in parser's recipe instead.` };
      return { note: `The model's answer could not be used (${errText(err)}); here is the built-in parser's recipe instead.` };
    } finally {
      clearTimeout(timer);
      if (llmRequest === req) { llmRequest = null; showLLMState(); }
    }
  }

  function csvControls() {
    const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", "aria-label": "CSV file", "data-field": "dataset.csv" });
    const labelSel = h("select", { "aria-label": "Label column", disabled: !uploaded });
    const info = h("p", { class: "hint" }, `A header row, numeric feature columns and one label column. At most ${catalog.limits.network.max_samples} rows, ` +
      `${catalog.limits.network.max_features} features, 2 MB. Uploaded data stays in this tab (it is not put in the link).`);
    const load = async (text, label) => {
      // the newest dataset: a preview or a model's answer still on its way is dropped
      const token = ++dataToken;
      try {
        const r = await api.run({ kind: "dataset", dataset: { csv: text, ...(label ? { label_column: label } : {}) } });
        if (token !== dataToken || destroyed) return;
        uploaded = { text, points: r.X, labels: r.y, columns: [...r.columns, r.label_column], label: r.label_column };
        labelSel.replaceChildren(...uploaded.columns.map((c) => h("option", { value: c, selected: c === r.label_column }, c)));
        labelSel.disabled = false;
        scene.ds = { upload: true };
        showMessage("");
        showData(r);
      } catch (err) { if (token === dataToken) showMessage(errText(err)); }
    };
    file.addEventListener("change", async () => { if (file.files[0]) load(await file.files[0].text()); });
    labelSel.addEventListener("change", () => uploaded && load(uploaded.text, labelSel.value));
    if (uploaded) labelSel.replaceChildren(...uploaded.columns.map((c) => h("option", { value: c, selected: c === uploaded.label }, c)));
    return [info, file, h("label", {}, "Label column ", labelSel)];
  }

  function datasetSpec() {
    if (scene.ds.upload && uploaded) return { points: uploaded.points, labels: uploaded.labels, val_fraction: scene.vf };
    if (scene.ds.recipe) return { recipe: scene.ds.recipe, val_fraction: scene.vf };
    return { ...scene.ds, val_fraction: scene.vf };
  }

  let dataToken = 0;
  function refreshData() {
    pushState();
    const token = ++dataToken;
    const { val_fraction, ...ds } = datasetSpec();
    api.run({ kind: "dataset", dataset: ds }).then((r) => { if (token === dataToken && !destroyed) { showMessage(""); showData(r); } },
      (err) => { if (token === dataToken) showMessage(errText(err)); });
  }

  function showData(r) {
    data = r;
    previewInfo.textContent = `${r.n} points, ${r.d} feature${r.d > 1 ? "s" : ""}, ${r.classes} classes` +
      (r.projection.method === "pca" ? ` — shown on its first two principal components (${(100 * (r.projection.explained_variance_ratio[0] + r.projection.explained_variance_ratio[1])).toFixed(0)}% of the variance)` : "");
    drawScatter(preview, r.projection.points, r.y, 260);
    images.replaceChildren(...(r.images || []).map((im) => digitCanvas(im)));
  }

  function digitCanvas(im) {
    const c = h("canvas", { class: "digit", role: "img", "aria-label": `digit ${im.label}` });
    const ctx = fitCanvas(c, 32, 32);
    const px = im.pixels;
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
      const v = 255 - Math.round((px[i][j] / 16) * 255);
      ctx.fillStyle = `rgb(${v},${v},${v})`; ctx.fillRect(j * 4, i * 4, 4, 4);
    }
    return h("figure", {}, c, h("figcaption", {}, String(im.label)));
  }

  function drawScatter(canvas, pts, y, size, boundary = null, grid = null) {
    const ctx = fitCanvas(canvas, size, size);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    if (grid) { x0 = grid.x[0]; x1 = grid.x[grid.x.length - 1]; y0 = grid.y[0]; y1 = grid.y[grid.y.length - 1]; }
    else for (const [a, b] of pts) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
    const pad = grid ? 0 : 0.05 * Math.max(x1 - x0, y1 - y0, 1e-9);
    x0 -= pad; x1 += pad; y0 -= pad; y1 += pad;
    const X = (v) => ((v - x0) / (x1 - x0 || 1)) * size, Y = (v) => size - ((v - y0) / (y1 - y0 || 1)) * size;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, size, size);
    if (boundary && grid) {
      const n = grid.x.length, cw = size / (n - 1), ch = size / (grid.y.length - 1);
      for (let i = 0; i < grid.y.length; i++) for (let j = 0; j < n; j++) {
        ctx.fillStyle = CLASS_COLOURS[boundary.cls[i][j] % 10];
        ctx.globalAlpha = 0.15 + 0.45 * Math.max(0, (boundary.prob[i][j] - 0.5) * 2);
        ctx.fillRect(X(grid.x[j]) - cw / 2, Y(grid.y[i]) - ch / 2, cw + 0.5, ch + 0.5);
      }
      ctx.globalAlpha = 1;
    }
    const r = pts.length > 1000 ? 1.6 : 2.6;
    pts.forEach(([a, b], i) => {
      ctx.beginPath(); ctx.arc(X(a), Y(b), r, 0, 2 * Math.PI);
      ctx.fillStyle = CLASS_COLOURS[y[i] % 10]; ctx.fill();
      ctx.strokeStyle = "rgba(0,0,0,0.5)"; ctx.lineWidth = 0.5; ctx.stroke();
    });
  }

  // ------------------------------------------------------------ model controls
  function buildModel() {
    const hidden = h("input", { type: "text", value: scene.model.hidden.join(", "), "data-field": "model.hidden", "aria-describedby": "hidden-err", id: "hidden-input" });
    const herr = h("span", { class: "field-error", id: "hidden-err", role: "alert" });
    hidden.addEventListener("change", () => {
      const parts = hidden.value.split(",").map((s) => s.trim()).filter((s) => s !== "");
      const nums = parts.map(Number);
      const max = catalog.limits.network.max_width, layers = catalog.limits.network.max_layers;
      if (nums.some((v) => !Number.isInteger(v) || v < 1 || v > max) || nums.length > layers) {
        herr.textContent = `hidden layers must be up to ${layers} whole numbers between 1 and ${max}, separated by commas`;
        hidden.setAttribute("aria-invalid", "true");
        return;
      }
      herr.textContent = ""; hidden.setAttribute("aria-invalid", "false");
      scene.model.hidden = nums; pushState();
    });
    const L = catalog.limits.network;
    modelBox.replaceChildren(
      h("div", { class: "control" }, h("label", { for: "hidden-input" }, "Hidden layer widths"), hidden, herr),
      selectControl({ label: "Activation", name: "model.activation", value: scene.model.activation, options: catalog.activations.map((a) => [a, a]),
        onChange: (v) => { scene.model.activation = v; pushState(); } }).el,
      selectControl({ label: "Loss", name: "loss", value: scene.loss, options: catalog.losses.map((a) => [a, a]),
        onChange: (v) => { scene.loss = v; pushState(); } }).el,
      numberControl({ label: "Batch size", name: "batch_size", value: scene.bs, lo: 1, hi: L.max_samples, kind: "int", onChange: (v) => { scene.bs = v; pushState(); } }).el,
      numberControl({ label: "Epochs", name: "epochs", value: scene.epochs, lo: 1, hi: L.max_epochs, kind: "int", onChange: (v) => { scene.epochs = v; pushState(); } }).el,
      numberControl({ label: "L2", name: "l2", value: scene.l2, lo: 0, hi: 1, onChange: (v) => { scene.l2 = v; pushState(); } }).el,
      numberControl({ label: "Validation fraction", name: "dataset.val_fraction", value: scene.vf, lo: L.min_val_fraction, hi: L.max_val_fraction, onChange: (v) => { scene.vf = v; pushState(); } }).el,
      numberControl({ label: "Seed (weights and batches)", name: "seed", value: scene.seed, lo: 0, hi: 2 ** 32 - 1, kind: "int", onChange: (v) => { scene.seed = v; pushState(); } }).el);
  }

  // ------------------------------------------------------------ training
  function spec() {
    return {
      kind: "network", dataset: datasetSpec(), model: scene.model, loss: scene.loss, batch_size: scene.bs,
      epochs: scene.epochs, l2: scene.l2, seed: scene.seed, optimizers: optimizerSpecs(scene.opts),
      // The weight snapshots (for the Projection view) are the core's to space: it picks
      // the interval that fits its memory budget for this network and run length.
      snapshot_every: "auto",
    };
  }

  async function train() {
    if (training) return;
    const s = spec();
    trainingSpec = s;
    trainBtn.disabled = true; stopBtn.disabled = false; progress.value = 0;
    showMessage(""); status.textContent = "Training…";
    live = s.optimizers.map(() => ({ train_loss: [], epochs: { train_loss: [], train_acc: [], val_loss: [], val_acc: [] }, boundary: null, diverged_at: null }));
    result = null; epochCursor = null;
    scrub.disabled = true;
    const t0 = performance.now();
    training = api.run(s, {
      onProgress: ({ done, total, partial }) => {
        progress.value = done / total;
        status.textContent = `Epoch ${done} of ${total}`;
        if (!partial || !partial.runs) return;
        partial.runs.forEach((p, i) => {
          const run = live[i];
          run.train_loss.push(...p.train_loss);
          for (const [k, v] of Object.entries(p.epochs)) run.epochs[k].push(...v);
          if (p.boundary) run.boundary = p.boundary;
          if (partial.boundary_grid) streamGrid = partial.boundary_grid;
          run.diverged_at = p.diverged_at;
        });
        drawAll();
      },
    });
    try {
      result = await training;
      lastSpec = s;
      root.dataset.digest = result.digest;
      const ms = performance.now() - t0;
      status.textContent = `Trained ${result.runs.length} runs × ${s.epochs} epochs in ${(ms / 1000).toFixed(1)} s` +
        result.runs.filter((r) => r.diverged_at).map((r) => ` · ${r.name} diverged at step ${r.diverged_at}`).join("");
      scrub.max = s.epochs; scrub.value = s.epochs; scrub.disabled = false;
      try { sessionStorage.setItem("descentlab.lastNetworkSpec", JSON.stringify(s)); } catch { /* full: the Projection view falls back to its default */ }
      window.dispatchEvent(new CustomEvent("descentlab:network-result", { detail: { spec: s, result } }));
    } catch (err) {
      if (err.kind === "Cancelled") {
        status.textContent = "Stopped: the charts keep what was trained so far.";
      } else { showMessage(errText(err)); status.textContent = ""; }
    } finally {
      training = null; trainBtn.disabled = false; stopBtn.disabled = true;
      optUI.refreshBadges(); drawAll();
    }
  }

  // A run's name as computed: from the finished result, else from the spec being trained
  // (the optimizer list may have been edited since).
  function runTitle(i) {
    const name = result ? result.runs[i].name : trainingSpec && trainingSpec.optimizers[i] ? trainingSpec.optimizers[i].name : null;
    const meta = catalog.optimizers.find((o) => o.name === name);
    return meta ? meta.title : String(name);
  }

  function runs() {
    if (result) return result.runs;
    return live || [];
  }

  function runBadge(i) {
    const r = runs()[i];
    if (!r || !r.epochs || !r.epochs.val_acc.length) return "";
    return r.diverged_at ? h("span", { class: "badge danger" }, ` diverged at step ${r.diverged_at}`)
      : h("span", { class: "badge" }, ` val acc ${(100 * r.epochs.val_acc.at(-1)).toFixed(1)}%`);
  }

  function drawCharts() {
    const rs = runs();
    const colour = (i) => cssColour(scene.opts[i] && scene.opts[i].c, i);
    const epochs = (r) => r.epochs.val_loss.map((_, k) => k + 1);
    lossChart.set(rs.map((r, i) => ({ color: colour(i), values: r.train_loss, divergedAt: r.diverged_at, width: 1 })));
    valChart.cursor = accChart.cursor = epochCursor;
    valChart.set(rs.map((r, i) => ({ color: colour(i), values: r.epochs.val_loss, x: epochs(r), divergedAt: r.diverged_at })));
    accChart.set(rs.map((r, i) => ({ color: colour(i), values: r.epochs.val_acc, x: epochs(r) })));
  }

  function boundaryAt(r, epoch) {
    if (result && r.boundaries) {
      let best = r.boundaries[0];
      for (const b of r.boundaries) if (b.epoch <= epoch) best = b;
      return best;
    }
    return r.boundary;
  }

  function drawBoundaries() {
    const rs = runs();
    const grid = result ? result.boundary_grid : (data && data.d === 2 ? streamGrid : null);
    if (!grid || !data) { boundaries.replaceChildren(h("p", { class: "hint" }, data && data.d !== 2 ? "Decision boundaries are drawn for 2-D data; this dataset has more features (see the Projection view)." : "")); return; }
    const epoch = epochCursor ?? (trainingSpec ? trainingSpec.epochs : scene.epochs);
    const X = result ? [...result.data.train.X, ...result.data.val.X] : data.X;
    const Y = result ? [...result.data.train.y, ...result.data.val.y] : data.y;
    boundaries.replaceChildren(...rs.map((r, i) => {
      const c = h("canvas", { role: "img", "aria-label": `Decision regions of run ${i + 1}` });
      const b = boundaryAt(r, epoch);
      drawScatter(c, X, Y, 220, b, grid);
      return h("figure", { class: "boundary" }, c, h("figcaption", {}, h("span", { class: "swatch", style: { background: cssColour(scene.opts[i] && scene.opts[i].c, i) } }),
        `${i + 1}. ${runTitle(i)}` +
        (b && b.epoch !== undefined ? ` · epoch ${b.epoch}` : "") + (r.diverged_at ? ` · diverged at step ${r.diverged_at}` : "")));
    }));
  }



  function drawAll() { if (!destroyed) { drawCharts(); drawBoundaries(); } }

  scrub.addEventListener("input", () => {
    epochCursor = +scrub.value;
    scrubLabel.textContent = `epoch ${epochCursor} / ${trainingSpec ? trainingSpec.epochs : scene.epochs}`;
    drawAll();
  });

  // ------------------------------------------------------------ export + URL
  function exportCSV() {
    if (!result) return;
    const rows = [];
    result.runs.forEach((r, i) => r.epochs.val_loss.forEach((_, k) => rows.push([i + 1, r.name, k + 1,
      r.epochs.train_loss[k], r.epochs.train_acc[k], r.epochs.val_loss[k], r.epochs.val_acc[k]])));
    downloadCSV("descentlab-network.csv", ["run", "optimizer", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"], rows);
  }

  function exportPNG() {
    const canvases = [lossCanvas, valCanvas, accCanvas, ...boundaries.querySelectorAll("canvas")];
    const w = Math.max(...canvases.map((c) => c.width));
    const out = document.createElement("canvas");
    out.width = w; out.height = canvases.reduce((s, c) => s + c.height, 0);
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
    let y = 0;
    for (const c of canvases) { ctx.drawImage(c, 0, y); y += c.height; }
    downloadPNG("descentlab-network.png", out);
  }

  function pushState() {
    setParams({ ds: scene.ds.upload ? undefined : scene.ds, model: scene.model, loss: scene.loss, bs: scene.bs,
      epochs: scene.epochs, l2: scene.l2, seed: scene.seed, vf: scene.vf, opts: scene.opts });
  }

  const onResize = () => drawAll();
  window.addEventListener("resize", onResize);
  buildDataset(); buildModel(); refreshData(); drawAll();
  if (scene.train) setTimeout(train, 0);   // ?train=1: a shared link can start training at once

  return {
    unmount() {
      destroyed = true; window.removeEventListener("resize", onResize);
      if (training) api.cancel(training);
      if (llmRequest) llmRequest.stop("cancel");
    },
    get result() { return result; },
    get spec() { return lastSpec || spec(); },
    get data() { return data; },
    train,
  };
}
