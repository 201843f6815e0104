// Network view: the same small network trained with several optimizers side by side.
// Datasets come from presets, a description in words, or a CSV file; everything is
// generated, trained and evaluated by Python in the worker. This module draws.
import { h, fmt } from "../lib/dom.js";
import { fitCanvas, PALETTE } from "../lib/canvas.js";
import { LineChart } from "../lib/chart.js";
import { numberControl, selectControl, boolControl } from "../lib/controls.js";
import { optimizerList, normalizeOpts, optimizerSpecs } from "../lib/optlist.js";
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
  const scene = { ...structuredClone(DEFAULT), ...params };
  scene.opts = normalizeOpts(scene.opts, catalog, DEFAULT.opts);
  let uploaded = null;       // {points, labels, columns} from a CSV: too big for the URL
  let data = null;           // last "dataset" result (preview)
  let result = null;         // last network result
  let live = null;           // runs being streamed: [{train_loss, epochs, boundary, diverged_at}]
  let lastSpec = null;
  let epochCursor = null;
  let training = null;
  let destroyed = false;
  let streamGrid = null;     // while training, the boundary grid arrives with the progress messages

  // ------------------------------------------------------------ layout
  const msg = h("div", { class: "message", role: "alert", hidden: true });
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
  root.replaceChildren(h("div", { class: "network-view" }, side, main));

  function showMessage(text) { msg.hidden = !text; msg.textContent = text || ""; }
  const errText = (err) => (err.field ? `${err.field}: ${err.message}` : err.message);

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
    const text = h("textarea", { rows: 3, "aria-label": "Describe the dataset in words", placeholder: "e.g. three interleaved spirals with a little noise, 600 points" }, scene.describe || "");
    const recipeBox = h("textarea", { rows: 8, class: "recipe", "aria-label": "Recipe (JSON, editable)", spellcheck: "false" },
      scene.ds.recipe ? JSON.stringify(scene.ds.recipe, null, 1) : "");
    const words = h("p", { class: "hint", "aria-live": "polite" });
    const make = async (fromLLM) => {
      scene.describe = text.value;
      try {
        let recipe;
        let note = "";
        if (fromLLM) {
          recipe = await askLLM(text.value, words);
          note = words.textContent;
        }
        if (!recipe) {
          const r = await api.run({ kind: "dataset", dataset: { describe: text.value } });
          recipe = r.recipe;
          words.textContent = (note ? `${note} ` : "") +
            `Understood: ${r.understood.join(", ") || "—"}. Not understood: ${r.ignored.join(", ") || "none"}.` +
            (r.notes.length ? ` ${r.notes.join(" ")}` : "");
        }
        recipeBox.value = JSON.stringify(recipe, null, 1);
        useRecipe(recipe);
      } catch (err) { showMessage(errText(err)); }
    };
    const llm = llmSettings();
    return [text,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button", onclick: () => make(false) }, "Make dataset"),
        h("button", { type: "button", class: "button secondary", onclick: () => make(true) }, "Ask my model")),
      words,
      h("label", { class: "hint" }, "Recipe — edit it and apply, save it to a file, or keep it in the link:"), recipeBox,
      h("div", { class: "exports" },
        h("button", { type: "button", class: "button secondary", onclick: () => {
          let recipe;
          try { recipe = JSON.parse(recipeBox.value); } catch (e) { showMessage(`recipe: not valid JSON (${e.message})`); return; }
          useRecipe(recipe);
        } }, "Apply recipe"),
        h("button", { type: "button", class: "button secondary", onclick: () => download("recipe.json", new Blob([recipeBox.value], { type: "application/json" })) }, "Save recipe")),
      llm];
  }

  function useRecipe(recipe) {
    scene.ds = { recipe };
    refreshData();
  }

  function llmSettings() {
    const saved = JSON.parse(localStorage.getItem(LLM_STORAGE) || "{}");
    const url = h("input", { type: "url", value: saved.url || "", placeholder: "http://localhost:11434/v1/chat/completions", "aria-label": "Chat completions URL" });
    const model = h("input", { type: "text", value: saved.model || "", placeholder: "llama3.2", "aria-label": "Model name" });
    const key = h("input", { type: "password", value: saved.key || "", placeholder: "API key (optional)", "aria-label": "API key" });
    const save = () => localStorage.setItem(LLM_STORAGE, JSON.stringify({ url: url.value, model: model.value, key: key.value }));
    for (const el of [url, model, key]) el.addEventListener("change", save);
    return h("details", { class: "llm" }, h("summary", {}, "Optional: use your own language model"),
      h("p", { class: "hint" }, "Any OpenAI-compatible chat-completions endpoint (a local Ollama or llama.cpp server, say). The key is kept in this browser's local storage only. The answer is treated as data: parsed and validated by Python, never executed."),
      h("label", {}, "Endpoint URL", url), h("label", {}, "Model", model), h("label", {}, "Key", key));
  }

  async function askLLM(text, words) {
    const cfg = JSON.parse(localStorage.getItem(LLM_STORAGE) || "{}");
    if (!cfg.url) { words.textContent = "No model endpoint configured; used the built-in parser instead."; return null; }
    try {
      const prompt = await api.call("llm_prompt");
      const resp = await fetch(cfg.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(cfg.key ? { Authorization: `Bearer ${cfg.key}` } : {}) },
        body: JSON.stringify({ model: cfg.model || undefined, messages: [{ role: "system", content: prompt }, { role: "user", content: text }], temperature: 0 }),
      });
      if (!resp.ok) throw new Error(`the endpoint answered HTTP ${resp.status}`);
      const body = await resp.json();
      const answer = body && body.choices && body.choices[0] && body.choices[0].message ? String(body.choices[0].message.content) : "";
      const recipe = await api.call("parse_llm_answer", answer);
      words.textContent = "Recipe from your model (validated by Python).";
      return recipe;
    } catch (err) {
      words.textContent = `The model's answer could not be used (${errText(err)}); here is the built-in parser's recipe instead.`;
      return null;
    }
  }

  function csvControls() {
    const file = h("input", { type: "file", accept: ".csv,text/csv,text/plain", "aria-label": "CSV file" });
    const labelSel = h("select", { "aria-label": "Label column", disabled: !uploaded });
    const info = h("p", { class: "hint" }, `A header row, numeric feature columns and one label column. At most ${catalog.limits.network.max_samples} rows, ` +
      `${catalog.limits.network.max_features} features, 2 MB. Uploaded data stays in this tab (it is not put in the link).`);
    const load = async (text, label) => {
      try {
        const r = await api.run({ kind: "dataset", dataset: { csv: text, ...(label ? { label_column: label } : {}) } });
        uploaded = { text, points: r.X, labels: r.y, columns: [...r.columns, r.label_column], label: r.label_column };
        labelSel.replaceChildren(...uploaded.columns.map((c) => h("option", { value: c, selected: c === r.label_column }, c)));
        labelSel.disabled = false;
        scene.ds = { upload: true };
        showMessage("");
        showData(r);
      } catch (err) { showMessage(errText(err)); }
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
      epochs: scene.epochs, l2: scene.l2, seed: scene.seed, snapshot_every: snapshotEvery(), optimizers: optimizerSpecs(scene.opts),
    };
  }

  function snapshotEvery() {
    // about 200 snapshots per run for the projection view, whatever the run length
    const n = data ? data.n : scene.ds.n || 300;
    const steps = scene.epochs * Math.ceil((n * (1 - scene.vf)) / scene.bs);
    return Math.max(1, Math.ceil(steps / 200));
  }

  async function train() {
    if (training) return;
    const s = spec();
    trainBtn.disabled = true; stopBtn.disabled = false; progress.value = 0;
    showMessage(""); status.textContent = "Training…";
    live = scene.opts.map(() => ({ train_loss: [], epochs: { train_loss: [], train_acc: [], val_loss: [], val_acc: [] }, boundary: null, diverged_at: null }));
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
      status.textContent = `Trained ${result.runs.length} runs × ${scene.epochs} epochs in ${(ms / 1000).toFixed(1)} s` +
        result.runs.filter((r) => r.diverged_at).map((r) => ` · ${r.name} diverged at step ${r.diverged_at}`).join("");
      scrub.max = scene.epochs; scrub.value = scene.epochs; scrub.disabled = false;
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
    const colour = (i) => (scene.opts[i] ? scene.opts[i].c : PALETTE[i % PALETTE.length]);
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
    const epoch = epochCursor ?? scene.epochs;
    const X = result ? [...result.data.train.X, ...result.data.val.X] : data.X;
    const Y = result ? [...result.data.train.y, ...result.data.val.y] : data.y;
    boundaries.replaceChildren(...rs.map((r, i) => {
      const c = h("canvas", { role: "img", "aria-label": `Decision regions of run ${i + 1}` });
      const b = boundaryAt(r, epoch);
      drawScatter(c, X, Y, 220, b, grid);
      return h("figure", { class: "boundary" }, c, h("figcaption", {}, h("span", { class: "swatch", style: { background: scene.opts[i]?.c } }),
        `${i + 1}. ${scene.opts[i] ? catalog.optimizers.find((o) => o.name === scene.opts[i].name).title : r.name}` +
        (b && b.epoch !== undefined ? ` · epoch ${b.epoch}` : "") + (r.diverged_at ? ` · diverged at step ${r.diverged_at}` : "")));
    }));
  }



  function drawAll() { if (!destroyed) { drawCharts(); drawBoundaries(); } }

  scrub.addEventListener("input", () => {
    epochCursor = +scrub.value;
    scrubLabel.textContent = `epoch ${epochCursor} / ${scene.epochs}`;
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
  if (params.train) setTimeout(train, 0);   // ?train=1: a shared link can start training at once

  return {
    unmount() { destroyed = true; window.removeEventListener("resize", onResize); if (training) api.cancel(training); },
    get result() { return result; },
    get spec() { return lastSpec || spec(); },
    get data() { return data; },
    train,
  };
}
