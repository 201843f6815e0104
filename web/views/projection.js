// Projection view: the paths optimizers take through weight space, mapped to 2-D.
// Python trains the network, computes PCA, the loss on the PCA plane and t-SNE;
// this module animates and draws what comes back.
import { h, fmt } from "../lib/dom.js";
import { fitCanvas, shadeImage, ticks, PALETTE, cssColour } from "../lib/canvas.js";
import { numberControl, selectControl } from "../lib/controls.js";
import { MAX_OPTIMIZERS } from "../lib/optlist.js";
import { readParams, problemBox, choice, number, flag, json, dataset, isObject, colour, shown, Bad } from "../lib/urlstate.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../lib/download.js";

const CLASS_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const LAST_NETWORK_KEY = "descentlab.lastNetworkSpec";
const DEFAULT_NETWORK = {
  kind: "network", dataset: { name: "moons", n: 200, noise: 0.2, seed: 0 }, model: { hidden: [16, 16], activation: "tanh" },
  loss: "cross_entropy", batch_size: 32, epochs: 40, seed: 0, snapshot_every: 5,
  optimizers: [{ name: "sgd", lr: 0.1, color: PALETTE[0] }, { name: "momentum", lr: 0.05, color: PALETTE[1] },
    { name: "adam", lr: 0.01, color: PALETTE[2] }],
};
const SIZE = 460;

const TARGETS = ["trajectories", "activations", "data"];

export function mount(root, { api, catalog, params, setParams, notify }) {
  const optNames = new Set(catalog.optimizers.map((o) => o.name));
  const { scene, problems, netFromLink } = readScene(params);
  let result = null, live = null, running = null, destroyed = false, hover = null, lastSpec = null;
  let liveFrames = 0;   // t-SNE frames drawn while it optimizes (the map animates)

  // The settings a link asks for: each parameter checked, a bad one reported by name and
  // its default used. `net` is a whole network spec: the parts this view shows (dataset,
  // model, optimizers and their colours) are checked here, the rest by Python right after.
  function readScene(p) {
    const netOf = (values) => values.net || storedNetwork() || DEFAULT_NETWORK;
    const runs = (values) => netOf(values).optimizers.length;
    const { values: v, problems } = readParams(p, {
      net: json((x, ctx) => networkOf(x, ctx)),
      perplexity: number(1, 100),
      iters: number(250, 2000, { integer: true }),
      seed: number(0, catalog.limits.network.max_seed, { integer: true }),
      grid: number(5, 41, { integer: true }),
      target: choice(TARGETS),
      run: (raw, ctx) => number(0, runs(ctx.values) - 1, { integer: true })(raw),
      hide: json((x, ctx) => {
        if (!Array.isArray(x)) throw new Bad(`must be a list of run numbers like [0, 2] (got ${shown(x)})`);
        const n = runs(ctx.values);
        return x.filter((k, i) => {
          if (Number.isInteger(k) && k >= 0 && k < n) return true;
          ctx.report(`[${i}]`, `must be a run number from 0 to ${n - 1} (got ${shown(k)}); ignored`);
          return false;
        });
      }),
      compute: flag(),
    });
    const scene = {
      net: netOf(v), perplexity: v.perplexity ?? 30, iters: v.iters ?? 500, seed: v.seed ?? 0, grid: v.grid ?? 21,
      target: v.target || "trajectories", run: v.run ?? 0, hide: v.hide || [], compute: !!v.compute,
    };
    return { scene, problems, netFromLink: !!v.net };
  }

  // The parts of a network spec this view reads itself; Python checks the whole of it.
  // Colours are the one part drawn as they are: "#rrggbb" or a palette index only.
  function networkOf(x, ctx, { stored = false } = {}) {
    if (!isObject(x)) throw new Bad(`must be a network spec (an object with dataset, model and optimizers, as the Network view trains; got ${shown(x)})`);
    const net = { ...x, kind: "network" };
    const uploaded = stored && isObject(x.dataset) && Array.isArray(x.dataset.points);
    net.dataset = uploaded ? x.dataset : dataset(catalog, { extra: ["val_fraction"] })(x.dataset, ctx, ".dataset");
    const m = x.model === undefined ? { hidden: [16, 16], activation: "tanh" } : x.model;
    if (!isObject(m) || !Array.isArray(m.hidden) || m.hidden.some((w) => !Number.isInteger(w)) || typeof (m.activation ?? "tanh") !== "string") {
      throw new Bad(`must be like {"hidden": [16, 16], "activation": "tanh"} (got ${shown(m)})`, ".model");
    }
    net.model = { ...m };
    if (!Array.isArray(x.optimizers) || !x.optimizers.length || x.optimizers.length > MAX_OPTIMIZERS) {
      throw new Bad(`must be a list of 1 to ${MAX_OPTIMIZERS} optimizers like [{"name": "adam", "lr": 0.01}]`, ".optimizers");
    }
    net.optimizers = x.optimizers.map((o, i) => {
      if (!isObject(o) || !optNames.has(o.name)) {
        throw new Bad(`must be an optimizer like {"name": "adam"}, one of ${[...optNames].join(", ")} (got ${shown(o)})`, `.optimizers[${i}]`);
      }
      const out = { ...o };
      if (o.color !== undefined) {
        try { out.color = colour(o.color); } catch (e) { delete out.color; ctx.report(`.optimizers[${i}].color`, `${e.message}; ignored`); }
      }
      return out;
    });
    return net;
  }

  function storedNetwork() {
    let stored;
    try { stored = JSON.parse(sessionStorage.getItem(LAST_NETWORK_KEY) || "null"); } catch { return null; }
    if (stored === null) return null;
    try { return networkOf(stored, { report: () => {} }, { stored: true }); } catch { return null; }
  }

  const msg = h("div", { class: "message", role: "alert", hidden: true });
  let linkProblems = problemBox(problems);
  const netInfo = h("div", { class: "hint" });
  const showBox = h("div", {});
  const controls = h("div", {});
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Projection progress" });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const tsneCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Joint t-SNE map of the weight snapshots" });
  const pcaCanvas = h("canvas", { class: "proj-canvas", role: "img", "aria-label": "Paths on the PCA plane with loss contours" });
  const meter = h("div", { class: "meter", role: "meter", "aria-label": "Variance of the paths explained by the PCA plane", "aria-valuemin": 0, "aria-valuemax": 100 });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const computeBtn = h("button", { type: "button", class: "button", onclick: compute }, "Compute");
  const stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => running && api.cancel(running) }, "Stop");

  const side = h("aside", { class: "panel side", "aria-label": "Projection settings" },
    h("h2", {}, "Weights to project"), msg, netInfo,
    h("button", { type: "button", class: "button secondary", onclick: takeNetwork }, "Use the Network view's experiment"),
    h("h2", {}, "Settings"), controls,
    h("h2", {}, "Show"), showBox,
    h("details", { class: "note" }, h("summary", {}, "What t-SNE distances mean (and don't)"),
      h("p", {}, "t-SNE keeps neighbours together: snapshots that are close in weight space stay close on the map. It does not preserve large distances, the sizes of clusters, or the spacing between them, and a different seed or perplexity can rearrange the map. Read it as \"these steps were near each other\", never as \"this optimizer travelled twice as far\"."),
      h("p", {}, "The PCA plane is a faithful linear projection, but only of the share of the variance the meter shows; the loss contours are the true loss on that plane, while the paths themselves also move off it.")));
  const main = h("section", { class: "panel main", "aria-label": "Projections" },
    h("div", { class: "timeline" }, computeBtn, stopBtn, progress), status,
    h("div", { class: "proj-grid" },
      h("figure", { class: "proj-fig" }, h("figcaption", {}, "Joint t-SNE map"), h("div", { class: "canvas-wrap" }, tsneCanvas, tooltip)),
      h("figure", { class: "proj-fig pca-fig" }, h("figcaption", {}, "PCA plane of all snapshots, with the training loss"), pcaCanvas, meter)),
    exportButtons({ png: exportPNG, csv: exportCSV,
      json: () => result && downloadJSON("descentlab-projection.json", { spec: lastSpec, result }),
      notify, copied: "Link copied." }));
  root.replaceChildren(linkProblems, h("div", { class: "projection-view" }, side, main));

  const showMessage = (t) => { msg.hidden = !t; msg.textContent = t || ""; };
  const colourOf = (i) => cssColour(scene.net.optimizers[i] && scene.net.optimizers[i].color, i);
  const title = (name) => (catalog.optimizers.find((o) => o.name === name) || { title: name }).title;

  function describeNetwork() {
    const n = scene.net;
    const ds = n.dataset.name || (n.dataset.recipe ? "a recipe" : "uploaded points");
    const every = n.snapshot_every === "auto" ? "snapshots spaced by the core" : `snapshot every ${n.snapshot_every || 10} steps`;
    netInfo.replaceChildren(`${ds}, hidden ${JSON.stringify(n.model.hidden)} ${n.model.activation || "tanh"}, ${n.loss || "cross_entropy"}, ${n.epochs ?? 50} epochs, ${every}:`,
      h("ul", {}, n.optimizers.map((o, i) => h("li", {}, h("span", { class: "swatch", style: { background: colourOf(i) } }),
        `${title(o.name)}${o.lr !== undefined ? ` (lr ${o.lr})` : ""}`))));
  }

  function buildControls() {
    const L = catalog.limits;
    controls.replaceChildren(
      selectControl({ label: "Project", name: "target", value: scene.target,
        options: [["trajectories", "Weight trajectories (t-SNE + PCA)"], ["activations", "Hidden-layer activations (t-SNE)"], ["data", "The data itself (t-SNE)"]],
        onChange: (v) => { scene.target = v; buildControls(); pushState(); } }).el,
      scene.target === "activations" ? selectControl({ label: "Of the run", name: "run", value: String(scene.run),
        options: scene.net.optimizers.map((o, i) => [String(i), `${i + 1}. ${title(o.name)}`]),
        onChange: (v) => { scene.run = +v; pushState(); } }).el : "",
      numberControl({ label: "Perplexity", name: "perplexity", value: scene.perplexity, lo: 1, hi: 100, onChange: (v) => { scene.perplexity = v; pushState(); } }).el,
      numberControl({ label: "t-SNE iterations", name: "max_iter", value: scene.iters, lo: 250, hi: 2000, kind: "int", onChange: (v) => { scene.iters = v; pushState(); } }).el,
      numberControl({ label: "Seed", name: "seed", value: scene.seed, lo: 0, hi: 2 ** 32 - 1, kind: "int", onChange: (v) => { scene.seed = v; pushState(); } }).el,
      scene.target === "trajectories" ? numberControl({ label: "Loss grid (points per side)", name: "grid", value: scene.grid, lo: 5, hi: 41, kind: "int", onChange: (v) => { scene.grid = v; pushState(); } }).el : "");
    showBox.replaceChildren(...scene.net.optimizers.map((o, i) => {
      const id = `show-${i}`;
      const box = h("input", { type: "checkbox", id, checked: !scene.hide.includes(i) });
      box.addEventListener("change", () => { scene.hide = box.checked ? scene.hide.filter((k) => k !== i) : [...scene.hide, i]; pushState(); draw(); });
      return h("div", { class: "control control-bool" }, box, h("label", { for: id }, h("span", { class: "swatch", style: { background: colourOf(i) } }), `${i + 1}. ${title(o.name)}`));
    }));
  }

  // Python checks the rest of a linked network at once, so a bad one is reported with the
  // link's other problems (and the default used) rather than when Compute is pressed.
  function checkLinkedNetwork() {
    const linked = scene.net;
    api.call("validate", spec()).then(() => {}, (err) => {
      if (destroyed || scene.net !== linked || running || result || err.kind !== "SpecError" || !String(err.field).startsWith("network")) return;
      scene.net = storedNetwork() || DEFAULT_NETWORK;
      scene.hide = []; scene.run = 0;
      const box = problemBox([...problems, { param: `net${String(err.field).slice("network".length)}`, message: `${err.message}; the default experiment is used` }]);
      linkProblems.replaceWith(box);
      linkProblems = box;
      describeNetwork(); buildControls(); pushState(); draw();
    });
  }

  function takeNetwork() {
    const net = storedNetwork();
    if (!net) { showMessage("Train something in the Network view first; until then the default experiment is used."); return; }
    scene.net = net; scene.hide = []; result = null; live = null;
    describeNetwork(); buildControls(); pushState(); draw();
  }

  function spec() {
    return { kind: "projection", network: scene.net, target: scene.target, perplexity: scene.perplexity, max_iter: scene.iters,
      seed: scene.seed, grid: scene.grid, run: Math.min(scene.run, scene.net.optimizers.length - 1) };
  }

  async function compute() {
    if (running) return;
    const s = spec();
    computeBtn.disabled = true; stopBtn.disabled = false; showMessage(""); result = null; live = null;
    const t0 = performance.now();
    running = api.run(s, {
      onProgress: ({ done, total, partial }) => {
        progress.value = done / total;
        const phase = partial && partial.phase;
        // heartbeats (no news, only progress) keep the last embedding and KL on screen
        const beat = Boolean(partial && partial.heartbeat);
        const iteration = `t-SNE: iteration ${done - (total - s.max_iter)} of ${s.max_iter}`;
        status.textContent = phase === "train" ? `Training: epoch ${done} of ${s.network.epochs}` :
          phase === "pca" ? "Finding the PCA plane of the snapshots…" :
            phase === "loss plane" ? "Evaluating the loss on the PCA plane…" :
              phase === "tsne" ? (beat ? (live ? status.textContent : `${iteration}…`) : `${iteration}, KL ${fmt(partial.kl, 4)}`) :
                "Working…";
        if (phase === "tsne" && !beat) { live = partial; liveFrames += 1; draw(); }
      },
    });
    try {
      result = await running;
      lastSpec = s;
      root.dataset.digest = result.digest;
      if (result.note) {  // nothing to project (e.g. every run diverged at once): the core says why
        status.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s: nothing to draw.`;
        showMessage(result.note);
      } else {
        status.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s · t-SNE (${result.tsne.method}, perplexity ${fmt(result.tsne.perplexity, 3)}) KL ${fmt(result.tsne.kl, 4)}` +
          (result.pca ? ` · the PCA plane explains ${(100 * result.pca.explained).toFixed(1)}% of the paths' variance` : "");
      }
    } catch (err) {
      status.textContent = err.kind === "Cancelled" ? "Stopped." : "";
      if (err.kind !== "Cancelled") showMessage(err.field ? `${err.field}: ${err.message}` : err.message);
    } finally {
      running = null; computeBtn.disabled = false; stopBtn.disabled = true; draw();
    }
  }

  // ------------------------------------------------------------ drawing
  function bounds(points) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [a, b] of points) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b); }
    const px = (x1 - x0) * 0.06 || 1, py = (y1 - y0) * 0.06 || 1;
    return [x0 - px, x1 + px, y0 - py, y1 + py];
  }

  function frame(canvas, box, axes) {
    const ctx = fitCanvas(canvas, SIZE, SIZE);
    const m = { l: axes ? 44 : 8, r: 8, t: 8, b: axes ? 30 : 8 };
    const W = SIZE - m.l - m.r, H = SIZE - m.t - m.b;
    const [x0, x1, y0, y1] = box;
    const X = (v) => m.l + ((v - x0) / (x1 - x0)) * W, Y = (v) => m.t + H - ((v - y0) / (y1 - y0)) * H;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, SIZE, SIZE);
    return { ctx, X, Y, m, W, H };
  }

  function drawPaths(f, paths, stepsOf) {
    const { ctx, X, Y } = f;
    paths.forEach((p, i) => {
      if (!p || !p.length || scene.hide.includes(i)) return;
      ctx.strokeStyle = colourOf(i); ctx.lineWidth = 1.8; ctx.globalAlpha = 0.9;
      ctx.beginPath(); p.forEach(([a, b], k) => (k ? ctx.lineTo(X(a), Y(b)) : ctx.moveTo(X(a), Y(b)))); ctx.stroke();
      ctx.globalAlpha = 1;
      for (const [a, b] of p) { ctx.beginPath(); ctx.arc(X(a), Y(b), 1.8, 0, 7); ctx.fillStyle = colourOf(i); ctx.fill(); }
      const [sa, sb] = p[0], [ea, eb] = p[p.length - 1];
      ctx.beginPath(); ctx.arc(X(sa), Y(sb), 6, 0, 7); ctx.fillStyle = "#fff"; ctx.fill(); ctx.strokeStyle = colourOf(i); ctx.lineWidth = 2.5; ctx.stroke();
      ctx.fillStyle = colourOf(i); ctx.fillRect(X(ea) - 5, Y(eb) - 5, 10, 10); ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.strokeRect(X(ea) - 5, Y(eb) - 5, 10, 10);
    });
  }

  let tsneFrame = null, tsnePaths = [], tsneSteps = [];
  function draw() {
    if (destroyed) return;
    const embedding = result ? null : live && live.embedding;
    tsnePaths = []; tsneSteps = [];
    if (result && result.target === "trajectories" && !result.note) {
      tsnePaths = result.runs.map((r) => r.tsne_path); tsneSteps = result.runs.map((r) => r.snapshot_steps);
    } else if (embedding && live.counts) {
      let k = 0;
      tsnePaths = live.counts.map((c) => { const part = embedding.slice(k, k + c); k += c; return part; });
    }
    const pts = result && result.points ? result.points.embedding : embedding && !live.counts ? embedding : null;
    const labels = result && result.points ? result.points.labels : live && live.labels;
    const all = tsnePaths.flat().length ? tsnePaths.flat() : pts || [[0, 0], [1, 1]];
    tsneFrame = frame(tsneCanvas, bounds(all), false);
    if (pts) {
      for (let i = 0; i < pts.length; i++) {
        tsneFrame.ctx.beginPath(); tsneFrame.ctx.arc(tsneFrame.X(pts[i][0]), tsneFrame.Y(pts[i][1]), 2.4, 0, 7);
        tsneFrame.ctx.fillStyle = CLASS_COLOURS[(labels ? labels[i] : 0) % 10]; tsneFrame.ctx.fill();
      }
    }
    drawPaths(tsneFrame, tsnePaths);
    if (!pts && !tsnePaths.length) {
      placeholder(tsneFrame, result && result.note ? "Nothing to project: see the message above." :
        "Press Compute to train, project and animate the map.");
    }
    if (hover) {
      const [a, b] = tsnePaths[hover.run][hover.k];
      tsneFrame.ctx.strokeStyle = "#000"; tsneFrame.ctx.lineWidth = 2; tsneFrame.ctx.beginPath(); tsneFrame.ctx.arc(tsneFrame.X(a), tsneFrame.Y(b), 8, 0, 7); tsneFrame.ctx.stroke();
    }
    drawPCA();
  }

  function placeholder(f, text) {
    f.ctx.fillStyle = "#666"; f.ctx.font = "14px system-ui, sans-serif"; f.ctx.textAlign = "center";
    f.ctx.fillText(text, SIZE / 2, SIZE / 2);
  }

  function drawPCA() {
    const pca = result && result.pca;
    const figure = pcaCanvas.closest("figure");
    figure.hidden = scene.target !== "trajectories";
    if (!pca) {
      const f = frame(pcaCanvas, [0, 1, 0, 1], true);
      placeholder(f, result ? "" : "The PCA plane appears when the run is done.");
      meter.replaceChildren(); return;
    }
    const g = pca.grid;
    const f = frame(pcaCanvas, [g.x[0], g.x[g.x.length - 1], g.y[0], g.y[g.y.length - 1]], true);
    const { ctx, X, Y, m, W, H } = f;
    ctx.drawImage(shadeImage(g.shade), m.l, m.t, W, H);
    ctx.strokeStyle = "rgba(30,30,40,0.4)"; ctx.lineWidth = 0.8;
    for (const seg of g.contours) {
      ctx.beginPath();
      for (let k = 0; k < seg.length; k += 4) { ctx.moveTo(X(seg[k]), Y(seg[k + 1])); ctx.lineTo(X(seg[k + 2]), Y(seg[k + 3])); }
      ctx.stroke();
    }
    drawPaths(f, result.runs.map((r) => r.pca_path));
    ctx.fillStyle = "#222"; ctx.font = "11px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(g.x[0], g.x[g.x.length - 1], 5)) ctx.fillText(fmt(v, 2), X(v), m.t + H + 4);
    ctx.fillText(`PC1 (${(100 * pca.explained_variance_ratio[0]).toFixed(1)}%)`, m.l + W / 2, m.t + H + 17);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of ticks(g.y[0], g.y[g.y.length - 1], 5)) ctx.fillText(fmt(v, 2), m.l - 4, Y(v));
    ctx.save(); ctx.translate(10, m.t + H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
    ctx.fillText(`PC2 (${(100 * pca.explained_variance_ratio[1]).toFixed(1)}%)`, 0, 0); ctx.restore();
    const pct = 100 * pca.explained;
    meter.setAttribute("aria-valuenow", pct.toFixed(1));
    const trust = pct >= 80 ? "the plane shows most of the movement" : pct >= 50 ? "read the picture with care" : "most of the movement is off this plane";
    meter.replaceChildren(h("div", { class: "meter-bar" }, h("div", { class: "meter-fill", style: { width: `${pct}%` } })),
      h("p", { class: "hint" }, `The plane explains ${pct.toFixed(1)}% of the paths' variance: ${trust}.`));
  }

  tsneCanvas.addEventListener("pointermove", (ev) => {
    if (!tsneFrame || !tsnePaths.length) return;
    const r = tsneCanvas.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    let best = null, bestD = 100;
    tsnePaths.forEach((p, i) => {
      if (scene.hide.includes(i)) return;
      p.forEach(([a, b], k) => { const d = (tsneFrame.X(a) - px) ** 2 + (tsneFrame.Y(b) - py) ** 2; if (d < bestD) { bestD = d; best = { run: i, k }; } });
    });
    hover = best;
    if (best) {
      const step = tsneSteps[best.run] ? tsneSteps[best.run][best.k] : null;
      tooltip.hidden = false;
      tooltip.textContent = `${best.run + 1}. ${title(scene.net.optimizers[best.run].name)} · snapshot ${best.k}${step !== null ? ` · step ${step}` : ""}`;
      tooltip.style.left = `${Math.min(px + 12, SIZE - 200)}px`; tooltip.style.top = `${py + 12}px`;
    } else tooltip.hidden = true;
    draw();
  });
  tsneCanvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; draw(); });

  // ------------------------------------------------------------ export + URL
  function exportPNG() {
    const out = document.createElement("canvas");
    out.width = tsneCanvas.width * 2; out.height = tsneCanvas.height;
    const ctx = out.getContext("2d");
    ctx.drawImage(tsneCanvas, 0, 0); ctx.drawImage(pcaCanvas, tsneCanvas.width, 0);
    downloadPNG("descentlab-projection.png", out);
  }

  function exportCSV() {
    if (!result || result.note) return;
    const rows = [];
    if (result.target === "trajectories") {
      result.runs.forEach((r, i) => r.snapshot_steps.forEach((s, k) => rows.push([i + 1, r.name, s, r.pca_path[k][0], r.pca_path[k][1], r.tsne_path[k][0], r.tsne_path[k][1]])));
      downloadCSV("descentlab-projection.csv", ["run", "optimizer", "step", "pc1", "pc2", "tsne_x", "tsne_y"], rows);
    } else {
      result.points.embedding.forEach(([a, b], k) => rows.push([k, result.points.labels[k], a, b]));
      downloadCSV("descentlab-projection.csv", ["point", "label", "tsne_x", "tsne_y"], rows);
    }
  }

  function pushState() {
    const uploaded = scene.net.dataset && scene.net.dataset.points;   // too big for a link
    setParams({ net: uploaded ? undefined : scene.net, perplexity: scene.perplexity, iters: scene.iters, seed: scene.seed,
      grid: scene.grid, target: scene.target, run: scene.run, hide: scene.hide.length ? scene.hide : undefined });
  }

  describeNetwork(); buildControls(); draw(); pushState();
  if (netFromLink) checkLinkedNetwork();
  if (scene.compute) setTimeout(compute, 0);
  return {
    unmount() { destroyed = true; if (running) api.cancel(running); },
    get result() { return result; },
    get spec() { return lastSpec || spec(); },
    get liveFrames() { return liveFrames; },
    compute,
  };
}
