// Landscape view: optimizers racing on a 2-D test function.
// Python computes everything (paths, losses, grid shading, contours, regime map,
// the inspector's substituted equations); this module only draws and wires controls.
import { h, fmt } from "../lib/dom.js";
import { fitCanvas, shadeImage, ticks, PALETTE, LUT, cssColour } from "../lib/canvas.js";
import { LineChart } from "../lib/chart.js";
import { numberControl, selectControl } from "../lib/controls.js";
import { optimizerList, normalizeOpts, optimizerSpecs, MAX_OPTIMIZERS } from "../lib/optlist.js";
import { readParams, problemBox, choice, number, json, optimizers, isObject, num, shown, Bad } from "../lib/urlstate.js";
import { downloadPNG, downloadCSV, downloadJSON, exportButtons } from "../lib/download.js";
import { LESSONS } from "../lessons.js";

const GRID_SIZE = 160;          // grid samples per side for the heat map
const CONTOUR_LEVELS = 18;
const PLAY_SECONDS = 5;         // a whole run plays in about this long
const HOVER_PX = 10;
const MAX_CANVAS = 760;

const DEFAULT_SCENE = LESSONS.find((l) => l.id === "rosenbrock").scene;

export function defaults() {
  return structuredClone({ ...DEFAULT_SCENE, t: null });
}

export function mount(root, { api, catalog, params, setParams, notify, locked = false }) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const optById = Object.fromEntries(catalog.optimizers.map((o) => [o.name, o]));
  const { scene, problems } = readScene(params);
  let result = null;        // last landscape result
  let grid = null;          // last grid result for scene.fn / scene.fp
  let gridKey = "";
  let heat = null;          // offscreen canvas with the shaded grid
  let gridVersion = 0;      // counts grids received: part of the background cache key
  let hover = null;         // {run, step}
  let selected = scene.sel ? { run: scene.sel[0], step: scene.sel[1] } : null;
  let playing = false;
  let destroyed = false;
  let inflight = null;      // promise of the running landscape spec
  let queued = null;        // the latest spec asked for while one was running
  let lastSpec = null;
  let regime = null;        // last regime result
  let predictAnswered = !scene.lesson || !lessonOf(scene.lesson)?.predict;

  function lessonOf(id) { return LESSONS.find((l) => l.id === id); }

  // The scene a link asks for: a lesson (as course pages link to), its scene, then any
  // parameter next to it overriding the lesson's own. Each parameter is checked; a bad one
  // is reported by name and its default used.
  function readScene(p) {
    const L = catalog.limits.landscape;
    const baseOf = (values) => (values.lesson ? lessonOf(values.lesson).scene : DEFAULT_SCENE);
    const fnOf = (values) => values.fn || baseOf(values).fn;
    const optsOf = (values) => values.opts || baseOf(values).opts;
    const stepsOf = (values) => values.steps ?? baseOf(values).steps;
    const { values: v, problems } = readParams(p, {
      lesson: choice(["", ...LESSONS.map((l) => l.id)]),
      fn: choice(catalog.functions.map((f) => f.name)),
      fp: json((x, ctx) => functionParams(x, fnById[fnOf(ctx.values)], ctx)),
      start: json((x) => {
        if (!Array.isArray(x) || x.length !== 2) throw new Bad(`must be a point [x, y] (got ${shown(x)})`);
        return x.map((c, i) => num(c, -L.start_bound, L.start_bound, `[${i}]`));
      }),
      steps: number(1, L.max_steps, { integer: true }),
      opts: json(optimizers(catalog, MAX_OPTIMIZERS)),
      t: (raw, ctx) => number(0, stepsOf(ctx.values), { integer: true })(raw),
      sel: json((x, ctx) => {
        if (!Array.isArray(x) || x.length !== 2) throw new Bad(`must be [run, step] (got ${shown(x)})`);
        return [num(x[0], 0, optsOf(ctx.values).length - 1, "[0]", true), num(x[1], 0, stepsOf(ctx.values), "[1]", true)];
      }),
    });
    const base = structuredClone(baseOf(v));
    const fn = fnOf(v);
    const sameFn = fn === base.fn;
    const s = {
      lesson: v.lesson || "",
      fn,
      fp: v.fp ?? (sameFn ? base.fp : {}),
      start: v.start ?? (sameFn ? base.start : [...fnById[fn].start]),
      steps: stepsOf(v),
      opts: v.opts || normalizeOpts(base.opts),
      t: v.t ?? null,
      sel: v.sel ?? null,
    };
    return { scene: s, problems };
  }

  // {parameter: value} of one test function: known names, values within their ranges
  function functionParams(x, f, ctx) {
    if (!isObject(x)) throw new Bad(`must be an object like {"condition": 50} (got ${shown(x)})`);
    const out = {};
    for (const [k, v] of Object.entries(x)) {
      const meta = f.params[k];
      if (!meta) {
        const names = Object.keys(f.params);
        ctx.report(`.${k}`, `${f.title} has ${names.length ? `the parameters ${names.join(", ")}` : "no parameters"}; ignored`);
        continue;
      }
      try { out[k] = num(v, meta.min, meta.max); } catch (e) { ctx.report(`.${k}`, `${e.message}; the default is used`); }
    }
    return out;
  }

  // ---------------------------------------------------------------- layout
  const msg = h("div", { class: "message", role: "alert", "aria-live": "assertive", hidden: true });
  const linkProblems = problemBox(problems);
  const lessonBox = h("div", { class: "lesson-text", "aria-live": "polite" });
  const predictBox = h("div", { class: "predict", hidden: true });
  const fnControls = h("div", { class: "fn-controls" });
  const canvas = h("canvas", { class: "landscape-canvas", tabindex: 0, role: "img",
    "aria-label": "Loss landscape with optimizer trajectories. Click or drag to move the start point; arrow keys move it too." });
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const timeline = h("input", { type: "range", min: 0, max: 1, value: 0, step: 1, "aria-label": "Timeline step", class: "timeline-range" });
  const stepLabel = h("output", { class: "step-label" });
  const playBtn = h("button", { type: "button", class: "button", "aria-label": "Play" }, "▶ Play");
  const chartCanvas = h("canvas", { class: "loss-chart", role: "img", "aria-label": "Loss versus step for every run (log scale)" });
  const chart = new LineChart(chartCanvas, { height: 200, logY: true, yLabel: "f − f_min" });
  const inspector = h("div", { class: "inspector", "aria-live": "polite" });
  const info = h("div", { class: "opt-info" });
  const regimeCanvas = h("canvas", { class: "regime-canvas", role: "img", tabindex: 0,
    "aria-label": "Regime map: final loss per learning rate and second hyper-parameter; click a cell to play that run" });
  const regimeStatus = h("p", { class: "run-status", "aria-live": "polite" });
  const regimeControls = h("div", { class: "regime-controls" });

  const lessonSelect = selectControl({
    label: "Lesson", name: "lesson", value: scene.lesson || "",
    options: [["", "— free play —"], ...LESSONS.map((l) => [l.id, l.title])],
    onChange: (id) => loadLesson(id),
  });
  const fnSelect = selectControl({
    label: "Function", name: "function", value: scene.fn,
    options: catalog.functions.map((f) => [f.name, f.title]),
    onChange: (name) => {
      scene.fn = name; scene.fp = {}; scene.start = [...fnById[name].start]; scene.lesson = "";
      lessonSelect.select.value = ""; buildFnControls(); update();
    },
  });
  const startX = numberControl({ label: "Start x", name: "start[0]", value: scene.start[0], lo: -1e4, hi: 1e4,
    onChange: (v) => { scene.start[0] = v; update(); } });
  const startY = numberControl({ label: "Start y", name: "start[1]", value: scene.start[1], lo: -1e4, hi: 1e4,
    onChange: (v) => { scene.start[1] = v; update(); } });
  const showStart = ([x, y]) => { startX.set(x); startY.set(y); };
  const stepsCtl = numberControl({ label: "Steps", name: "steps", value: scene.steps, lo: 1, hi: catalog.limits.landscape.max_steps,
    kind: "int", onChange: (v) => { scene.steps = v; update(); } });

  const optUI = optimizerList({ catalog, opts: scene.opts, onChange: () => { selected = null; update(); },
    onColour: () => { draw(); pushState(); }, onOpen: showInfo, badge: runBadge });
  const side = h("aside", { class: "panel side", "aria-label": "Scene controls" },
    h("h2", {}, "Scene"), msg, lessonSelect.el, lessonBox, predictBox,
    fnSelect.el, fnControls, startX.el, startY.el, stepsCtl.el,
    h("h2", {}, "Optimizers"), optUI.el,
    h("button", { type: "button", class: "button secondary", onclick: addOptimizer }, "+ Add optimizer"));

  const main = h("section", { class: "panel main", "aria-label": "Landscape" },
    h("div", { class: "canvas-wrap" }, canvas, tooltip),
    h("div", { class: "timeline" },
      playBtn,
      h("button", { type: "button", class: "button secondary", "aria-label": "Step back", onclick: () => stepBy(-1) }, "◀"),
      h("button", { type: "button", class: "button secondary", "aria-label": "Step forward", onclick: () => stepBy(1) }, "▶"),
      timeline, stepLabel),
    status,
    h("div", { class: "chart-wrap" }, chartCanvas),
    exportButtons({ png: () => downloadPNG(`descentlab-${scene.fn}.png`, canvas), csv: exportCSV,
      json: () => result && downloadJSON(`descentlab-${scene.fn}.json`, { spec: lastSpec, result }),
      notify, copied: "Link copied: it reproduces this scene." }));

  const right = h("aside", { class: "panel right", "aria-label": "Inspector" },
    h("h2", {}, "Inspector"), inspector, h("h2", {}, "About the optimizer"), info);

  const regimeSection = h("section", { class: "panel regime", "aria-label": "Regime map" },
    h("h2", {}, "Regime map"),
    h("p", { class: "hint" }, "One optimizer over a grid of two hyper-parameters: colour ranks the final loss (dark = lowest), ✕ marks runs that diverged. Click a cell to add that run to the scene."),
    regimeControls, regimeStatus, h("div", { class: "regime-wrap" }, regimeCanvas));

  const layout = h("div", { class: "landscape-view" }, side, main, right, regimeSection);
  root.replaceChildren(linkProblems, layout);   // the link's problems first: seen before anything else

  // ---------------------------------------------------------------- controls
  function buildFnControls() {
    const f = fnById[scene.fn];
    fnSelect.select.value = scene.fn;
    fnControls.replaceChildren(h("p", { class: "hint" }, f.description),
      ...Object.entries(f.params).map(([k, p]) => numberControl({
        label: k, name: `function_params.${k}`, value: scene.fp[k] ?? p.default, lo: p.min, hi: p.max, title: p.description,
        onChange: (v) => { scene.fp[k] = v; update(); },
      }).el));
    showStart(scene.start); stepsCtl.set(scene.steps);
  }

  function buildOptList() { optUI.render(); }

  function runBadge(i) {
    const r = result && result.runs[i];
    if (!r || !predictAnswered) return "";
    return r.diverged_at ? h("span", { class: "badge danger" }, ` diverged at step ${r.diverged_at}`)
      : h("span", { class: "badge" }, ` f = ${fmt(r.final_loss, 3)}`);
  }

  function addOptimizer() {
    if (!optUI.add()) { showMessage("At most 12 optimizers in one scene."); return; }
    update();
  }

  function loadLesson(id) {
    const lesson = lessonOf(id);
    scene.lesson = id || "";
    if (lesson) {
      const { opts, ...rest } = structuredClone(lesson.scene);
      Object.assign(scene, rest);
      // the list widget holds scene.opts: replace its contents, not the array
      scene.opts.splice(0, scene.opts.length, ...opts.map((o, i) => ({ ...o, c: PALETTE[i % PALETTE.length] })));
      scene.t = null;
      predictAnswered = !lesson.predict;
    }
    selected = null;
    buildFnControls(); buildOptList(); showLesson(); update();
  }

  function showLesson() {
    const lesson = lessonOf(scene.lesson);
    lessonBox.textContent = lesson ? lesson.text : "";
    predictBox.hidden = !lesson || !lesson.predict || predictAnswered;
    if (lesson && lesson.predict && !predictAnswered) {
      predictBox.replaceChildren(h("p", {}, h("strong", {}, "Predict first: "), lesson.predict.question),
        ...lesson.predict.choices.map((c) => h("button", { type: "button", class: "button secondary",
          onclick: () => {
            predictAnswered = true; predictBox.hidden = true;
            notify(`Your prediction: ${c}. Now watch the runs and check it.`);
            buildBadges(); showStatus(); scene.t = 0; play(true); draw();
          } }, c)));
    }
  }

  function showMessage(text) {
    msg.hidden = !text;
    msg.textContent = text || "";
  }

  // ---------------------------------------------------------------- computing
  function spec(record) {
    return {
      kind: "landscape", function: scene.fn, function_params: scene.fp, start: scene.start, steps: scene.steps,
      optimizers: optimizerSpecs(scene.opts), record_state: record,
    };
  }

  // remember=false while dragging: writing the URL (history.replaceState) 60 times a second
  // costs the page more than drawing; the drag's end writes it once.
  // While dragging, the optimizers are shared among the worker pool (api.runParallel): the
  // same runs, without the digest; the drag's end runs the scene once more to get it.
  function update(remember = true) {
    if (remember) pushState();
    ensureGrid();
    // the per-step optimizer state costs about twice the run itself: fetch it only when inspected
    request(spec(!!selected), !remember);
  }

  // One run in flight at a time; while dragging only the newest start point waits in
  // `queued`, and it is sent as soon as a result arrives, before that result is drawn,
  // so the worker computes the next scene while this one is being drawn.
  function request(s, parallel = false) {
    if (inflight) { queued = [s, parallel]; return; }
    const t0 = performance.now();
    const sendQueued = () => {
      inflight = null;
      if (queued && !destroyed) { const q = queued; queued = null; request(...q); }
    };
    inflight = (parallel ? api.runParallel(s) : api.run(s)).then((r) => {
      sendQueued();
      if (destroyed) return;
      result = r; lastSpec = s;
      showMessage("");
      lastMs = performance.now() - t0;
      showStatus();
      if (r.digest) root.dataset.digest = r.digest;
      else delete root.dataset.digest;  // a scene computed in parts has none
      root.dataset.computeMs = lastMs.toFixed(1);
      root.dataset.scenes = (+root.dataset.scenes || 0) + 1;
      // (only mid-drag: a drag scene landing after the release must not undo the final start)
      if (parallel && dragging) showStart(s.start);
      if (scene.t === null || scene.t > s.steps) scene.t = s.steps;
      timeline.max = s.steps;
      buildBadges();
      draw();
      showInspector();
    }, (err) => {
      sendQueued();
      if (destroyed || err.kind === "Cancelled") return;
      showMessage(err.field ? `${err.field}: ${err.message}` : err.message);
      markField(err.field);
    });
  }

  let lastMs = 0;
  function showStatus() {
    if (!result) return;
    status.textContent = !predictAnswered ? "Runs computed; they are hidden until you predict."
      : `${result.runs.length} runs × ${lastSpec.steps} steps computed in ${lastMs.toFixed(0)} ms` +
        result.runs.filter((x) => x.diverged_at).map((x) => ` · ${x.name} diverged at step ${x.diverged_at}`).join("");
  }

  function markField(field) {
    for (const el of root.querySelectorAll("[aria-invalid=true]")) el.setAttribute("aria-invalid", "false");
    if (!field) return;
    const el = root.querySelector(`[data-field="${CSS.escape(field)}"]`);
    if (el) { el.setAttribute("aria-invalid", "true"); }
  }

  function buildBadges() { optUI.refreshBadges(); }

  function ensureGrid() {
    const key = JSON.stringify([scene.fn, scene.fp]);
    if (key === gridKey) return;
    gridKey = key;
    api.run({ kind: "grid", function: scene.fn, function_params: scene.fp, size: [GRID_SIZE, GRID_SIZE], levels: CONTOUR_LEVELS })
      .then((g) => { if (key !== gridKey || destroyed) return; grid = g; gridVersion++; heat = shadeImage(g.shade); draw(); },
        (err) => showMessage(err.field ? `${err.field}: ${err.message}` : err.message));
  }

  // ---------------------------------------------------------------- drawing
  let view = null;  // current world <-> pixel mapping
  function draw() {
    if (destroyed) return;
    const f = fnById[scene.fn];
    const [[x0, x1], [y0, y1]] = (grid && grid.function.name === scene.fn) ? grid.function.domain : f.domain;
    const avail = Math.min(MAX_CANVAS, main.clientWidth - 8 || 600);
    const aspect = Math.min(1.1, Math.max(0.55, (y1 - y0) / (x1 - x0)));
    const m = { l: 46, r: 10, t: 10, b: 34 };
    const W = avail - m.l - m.r, H = Math.round(W * aspect);
    const ctx = fitCanvas(canvas, avail, H + m.t + m.b);
    const X = (x) => m.l + ((x - x0) / (x1 - x0)) * W;
    const Y = (y) => m.t + H - ((y - y0) / (y1 - y0)) * H;
    view = { X, Y, inv: (px, py) => [x0 + ((px - m.l) / W) * (x1 - x0), y0 + ((m.t + H - py) / H) * (y1 - y0)], m, W, H };
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--text").trim() || "#222";
    const shaded = heat && grid.function.name === scene.fn;
    // The surface, its contours, minima and axes change only with the function or the
    // size: paint them once into an offscreen canvas and copy it on every frame.
    const dpr = window.devicePixelRatio || 1;
    const bgKey = [shaded ? gridVersion : -1, scene.fn, canvas.width, canvas.height, dpr, avail, H,
      x0, x1, y0, y1, fg].join("|");
    if (bgKey !== background.key) {
      const bg = background.canvas;
      bg.width = canvas.width; bg.height = canvas.height;
      const b = bg.getContext("2d");
      b.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawBackground(b, { f, shaded, m, W, H, X, Y, x0, x1, y0, y1, fg });
      background.key = bgKey;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(background.canvas, 0, 0);
    ctx.restore();
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t, W, H); ctx.clip();
    const t = scene.t ?? scene.steps;
    if (!predictAnswered) {
      // "predict, then run": nothing of the run is shown until the learner has answered
      ctx.fillStyle = "rgba(0,0,0,0.55)"; ctx.fillRect(m.l, m.t + H / 2 - 18, W, 36);
      ctx.fillStyle = "#fff"; ctx.font = "bold 15px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText("Make your prediction to reveal the runs", m.l + W / 2, m.t + H / 2);
    } else if (result) {
      result.runs.forEach((r, i) => {
        const color = cssColour(scene.opts[i] && scene.opts[i].c, i);
        const last = Math.min(t, r.path.length - 1);
        ctx.strokeStyle = "rgba(0,0,0,0.55)"; ctx.lineWidth = 3.6; pathTo(ctx, r.path, last, X, Y);
        ctx.strokeStyle = color; ctx.lineWidth = 2; pathTo(ctx, r.path, last, X, Y);
        const [px, py] = r.path[last];
        dot(ctx, X(px), Y(py), 4.5, color, "#000");
        if (r.diverged_at && t >= r.path.length - 1) {
          ctx.fillStyle = color; ctx.font = "bold 13px system-ui, sans-serif";
          ctx.textAlign = "left"; ctx.textBaseline = "bottom";
          const lx = Math.min(Math.max(X(px), m.l + 4), m.l + W - 150), ly = Math.min(Math.max(Y(py), m.t + 16), m.t + H - 4);
          ctx.fillText(`✕ ${r.name} diverged at step ${r.diverged_at}`, lx, ly);
        }
      });
    }
    const [sx, sy] = scene.start;
    dot(ctx, X(sx), Y(sy), 6, "#fff", "#000");
    if (hover) {
      const p = result.runs[hover.run].path[hover.step];
      ctx.strokeStyle = fg; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 8, 0, 2 * Math.PI); ctx.stroke();
    }
    if (selected && result && result.runs[selected.run] && result.runs[selected.run].path[selected.step]) {
      const p = result.runs[selected.run].path[selected.step];
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 2.5; ctx.setLineDash([3, 2]);
      ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 10, 0, 2 * Math.PI); ctx.stroke(); ctx.setLineDash([]);
    }
    ctx.restore();
    ctx.strokeStyle = fg; ctx.lineWidth = 1;
    ctx.strokeRect(m.l, m.t, W, H);  // the frame stays on top of the paths
    drawTimeline();
    drawChart();
  }

  const background = { key: null, canvas: document.createElement("canvas") };
  function drawBackground(ctx, { f, shaded, m, W, H, X, Y, x0, x1, y0, y1, fg }) {
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t, W, H); ctx.clip();
    if (shaded) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(heat, m.l, m.t, W, H);
      ctx.strokeStyle = "rgba(30,30,40,0.35)"; ctx.lineWidth = 0.8;
      for (const seg of grid.contours) {
        ctx.beginPath();
        for (let k = 0; k < seg.length; k += 4) { ctx.moveTo(X(seg[k]), Y(seg[k + 1])); ctx.lineTo(X(seg[k + 2]), Y(seg[k + 3])); }
        ctx.stroke();
      }
    } else {
      ctx.fillStyle = "#ddd"; ctx.fillRect(m.l, m.t, W, H);
    }
    for (const [mx, my] of f.minima) star(ctx, X(mx), Y(my), 7, "#ffffff", "#111");
    ctx.restore();
    // axes (the frame itself is stroked by draw(), on top of the paths)
    ctx.fillStyle = fg;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(x0, x1, 6)) { ctx.fillText(fmt(v, 3), X(v), m.t + H + 4); }
    ctx.fillText("x", m.l + W / 2, m.t + H + 19);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of ticks(y0, y1, 6)) { ctx.fillText(fmt(v, 3), m.l - 5, Y(v)); }
    ctx.save(); ctx.translate(10, m.t + H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText("y", 0, 0); ctx.restore();
  }

  function pathTo(ctx, path, last, X, Y) {
    ctx.beginPath();
    ctx.moveTo(X(path[0][0]), Y(path[0][1]));
    for (let k = 1; k <= last; k++) ctx.lineTo(X(path[k][0]), Y(path[k][1]));
    ctx.stroke();
  }

  function dot(ctx, x, y, r, fill, stroke) {
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1.2; ctx.stroke();
  }

  function star(ctx, x, y, r, fill, stroke) {
    ctx.beginPath();
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 ? r * 0.45 : r;
      ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
    }
    ctx.closePath(); ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
  }

  function drawTimeline() {
    const t = scene.t ?? scene.steps;
    timeline.value = t;
    stepLabel.textContent = `step ${t} / ${scene.steps}`;
    chart.cursor = t;
  }

  function drawChart() {
    if (!result) return;
    if (!predictAnswered) { chart.set([]); return; }
    // f - f_min comes from Python; a surface without a minimum (the saddle) is plotted as f, linearly
    const gap = result.function.f_min !== null;
    chart.logY = gap;
    chart.yLabel = gap ? "f − f_min" : "f";
    chart.set(result.runs.map((r, i) => ({
      color: cssColour(scene.opts[i] && scene.opts[i].c, i),
      values: gap ? r.loss_above_min : r.loss,
      divergedAt: r.diverged_at,
    })));
  }

  // ---------------------------------------------------------------- timeline
  let raf = 0;
  function play(force) {
    playing = force === true ? true : !playing;
    playBtn.textContent = playing ? "❚❚ Pause" : "▶ Play";
    playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
    if (!playing) { cancelAnimationFrame(raf); return; }
    if ((scene.t ?? scene.steps) >= scene.steps) scene.t = 0;
    let last = performance.now(), acc = 0;
    const tick = (now) => {
      if (!playing || destroyed) return;
      acc += ((now - last) / 1000) * (scene.steps / PLAY_SECONDS);
      last = now;
      const adv = Math.floor(acc);
      if (adv > 0) { acc -= adv; scene.t = Math.min(scene.steps, (scene.t ?? 0) + adv); draw(); }
      if (scene.t >= scene.steps) { play(false); pushState(); return; }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
  }
  playBtn.addEventListener("click", () => play());
  function stepBy(d) { if (playing) play(false); scene.t = Math.max(0, Math.min(scene.steps, (scene.t ?? scene.steps) + d)); draw(); pushState(); }
  timeline.addEventListener("input", () => { if (playing) play(false); scene.t = +timeline.value; draw(); });
  timeline.addEventListener("change", pushState);

  // ---------------------------------------------------------------- pointer
  let dragging = false, moved = false;
  function toWorld(ev) {
    const rect = canvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }
  function nearest(px, py) {
    if (!result || !view) return null;
    const t = scene.t ?? scene.steps;
    let best = null, bestD = HOVER_PX * HOVER_PX;
    result.runs.forEach((r, i) => {
      const last = Math.min(t, r.path.length - 1);
      for (let k = 0; k <= last; k++) {
        const dx = view.X(r.path[k][0]) - px, dy = view.Y(r.path[k][1]) - py, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = { run: i, step: k }; }
      }
    });
    return best;
  }
  function moveStart(px, py, remember) {
    const [x, y] = view.inv(px, py);
    scene.start = [+x.toPrecision(4), +y.toPrecision(4)];
    // while dragging, the inputs follow the drawn scenes (see request), not every pointer move
    if (remember !== false) showStart(scene.start);
    scene.t = null;
    selected = null;  // a new start point makes new paths: nothing stays selected
    update(remember);
  }
  canvas.addEventListener("pointerdown", (ev) => {
    const [px, py] = toWorld(ev);
    const hit = nearest(px, py);
    if (hit && hit.step > 0) { selected = hit; showInspector(); draw(); pushState(); return; }
    if (locked) return;  // embedded with lock=1: the start point stays put
    dragging = true;
    canvas.setPointerCapture(ev.pointerId);
    moveStart(px, py);
  });
  canvas.addEventListener("pointermove", (ev) => {
    const [px, py] = toWorld(ev);
    if (dragging) { moved = true; moveStart(px, py, false); return; }
    const hit = nearest(px, py);
    const changed = JSON.stringify(hit) !== JSON.stringify(hover);
    hover = hit;
    if (hit) {
      const r = result.runs[hit.run];
      tooltip.hidden = false;
      tooltip.textContent = `${r.label || r.name} · step ${hit.step} · f = ${fmt(r.loss[hit.step], 4)} · (${fmt(r.path[hit.step][0], 4)}, ${fmt(r.path[hit.step][1], 4)})`;
      tooltip.style.left = `${Math.min(px + 14, canvas.clientWidth - 220)}px`;
      tooltip.style.top = `${py + 14}px`;
    } else tooltip.hidden = true;
    if (changed) draw();
  });
  // a drag's scenes came without a digest: compute the whole last one; a click has it already
  const endDrag = () => {
    if (dragging && moved) { showStart(scene.start); update(); }
    else if (dragging) pushState();
    dragging = moved = false;
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);
  canvas.addEventListener("pointerleave", () => { hover = null; tooltip.hidden = true; draw(); });
  canvas.addEventListener("keydown", (ev) => {
    const f = fnById[scene.fn];
    const dx = (f.domain[0][1] - f.domain[0][0]) / 50, dy = (f.domain[1][1] - f.domain[1][0]) / 50;
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (moves[ev.key] && !locked) {
      ev.preventDefault();
      scene.start = [+(scene.start[0] + moves[ev.key][0]).toPrecision(4), +(scene.start[1] + moves[ev.key][1]).toPrecision(4)];
      showStart(scene.start); scene.t = null; update();
    } else if (ev.key === " ") { ev.preventDefault(); play(); }
  });

  // ---------------------------------------------------------------- inspector
  let explainToken = 0;
  function showInspector() {
    if (!result || !selected || !result.runs[selected.run]) {
      if (!inspector.querySelector(":scope > .hint:only-child")) {
        inspector.replaceChildren(h("p", { class: "hint" }, "Hover over a trajectory to see a step; click it to inspect the optimizer's state at that step."));
      }
      showInfo(selected ? selected.run : 0);
      return;
    }
    const r = result.runs[selected.run];
    const k = Math.min(selected.step, r.path.length - 1);
    showInfo(selected.run);
    const head = h("p", {}, h("span", { class: "swatch", style: { background: cssColour(scene.opts[selected.run]?.c, selected.run) } }),
      h("strong", {}, `${r.label || optById[r.name].title}`), ` — step ${k}`,
      h("br"), `θ = (${fmt(r.path[k][0], 6)}, ${fmt(r.path[k][1], 6)}),  f = ${fmt(r.loss[k], 6)}`);
    if (k === 0) { inspector.replaceChildren(head, h("p", { class: "hint" }, "Step 0 is the start point: no update yet.")); return; }
    if (!r.state) {
      inspector.replaceChildren(head, h("p", { class: "hint" }, "Loading the optimizer state…"));
      if (lastSpec && !lastSpec.record_state) request({ ...lastSpec, record_state: true });
      return;
    }
    const rows = Object.entries(r.state).map(([key, vals]) => h("tr", {}, h("th", { scope: "row" }, key),
      h("td", { "data-value": String(vals[k - 1][0]) }, fmt(vals[k - 1][0], 6)),
      h("td", { "data-value": String(vals[k - 1][1]) }, fmt(vals[k - 1][1], 6))));
    const table = h("table", { class: "state-table" },
      h("caption", {}, `State after step ${k} (recorded by Python)`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "quantity"), h("th", { scope: "col" }, "x"), h("th", { scope: "col" }, "y"))),
      h("tbody", {}, rows));
    const eq = h("div", { class: "equations" }, h("p", { class: "hint" }, "Computing the equations…"));
    inspector.replaceChildren(head, table, eq);
    const token = ++explainToken;
    const rec = Object.fromEntries(Object.entries(r.state).map(([key, v]) => [key, v[k - 1]]));
    const prev = k > 1 ? Object.fromEntries(Object.entries(r.state).map(([key, v]) => [key, v[k - 2]])) : null;
    api.call("explain", r.name, r.params, k, rec, prev, r.path[k - 1]).then((lines) => {
      if (token !== explainToken) return;
      eq.replaceChildren(h("h3", {}, "This step, with its numbers"),
        ...lines.map((l) => h("div", { class: "eq-line" }, h("code", { class: "eq-sym" }, l.equation),
          h("code", { class: "eq-num" }, `x: ${l.values[0]}`), h("code", { class: "eq-num" }, `y: ${l.values[1]}`))));
    }, (err) => { if (token === explainToken) eq.textContent = err.message; });
  }

  let infoShown = null;  // the optimizer the "About" panel describes: rebuilt only on a change
  function showInfo(i) {
    const o = scene.opts[i] || scene.opts[0];
    const meta = optById[o.name];
    if (infoShown === meta && info.childElementCount) return;
    infoShown = meta;
    info.replaceChildren(h("h3", {}, meta.title), h("pre", { class: "equations-text" }, meta.equations),
      h("p", {}, meta.summary), h("p", { class: "paper" }, meta.paper));
  }

  // ---------------------------------------------------------------- regime map
  const regimeState = { opt: 0, y: null, n: 12 };
  function buildRegimeControls() {
    const o = scene.opts[Math.min(regimeState.opt, scene.opts.length - 1)];
    const meta = optById[o.name];
    const numeric = Object.entries(meta.ranges).filter(([k, r]) => k !== "lr" && (r[2] === "float" || r[2] === "log")).map(([k]) => k);
    if (!numeric.includes(regimeState.y)) regimeState.y = ["momentum", "beta1", "alpha", "rho"].find((k) => numeric.includes(k)) || numeric[0];
    regimeControls.replaceChildren(
      selectControl({ label: "Optimizer", name: "regime.optimizer", value: String(regimeState.opt),
        options: scene.opts.map((x, i) => [String(i), `${i + 1}. ${optById[x.name].title}`]),
        onChange: (v) => { regimeState.opt = +v; buildRegimeControls(); } }).el,
      selectControl({ label: "Second hyper-parameter (y axis)", name: "regime.y.param", value: regimeState.y,
        options: numeric.map((k) => [k, k]), onChange: (v) => { regimeState.y = v; } }).el,
      numberControl({ label: "Cells per axis", name: "regime.n", value: regimeState.n, lo: 2, hi: 40, kind: "int",
        onChange: (v) => { regimeState.n = v; } }).el,
      h("button", { type: "button", class: "button", onclick: computeRegime }, "Compute map"),
      h("button", { type: "button", class: "button secondary", onclick: () => api.cancel() }, "Stop"));
  }

  function regimeSpec() {
    const o = scene.opts[Math.min(regimeState.opt, scene.opts.length - 1)];
    const [ylo, yhi] = optById[o.name].ranges[regimeState.y];
    const n = regimeState.n;
    const steps = Math.max(1, Math.min(scene.steps, Math.floor(catalog.limits.regime.max_work / (n * n)), catalog.limits.regime.max_steps));
    return {
      kind: "regime", function: scene.fn, function_params: scene.fp, start: scene.start, steps,
      optimizer: { name: o.name, ...o.p },
      x: { param: "lr", min: 1e-5, max: 1.0, n, scale: "log" },
      y: { param: regimeState.y, min: ylo, max: Math.min(yhi, 0.999), n, scale: "linear" },
    };
  }

  function computeRegime() {
    const s = regimeSpec();
    regimeStatus.textContent = "Computing…";
    regime = { partial: true, spec: s, final_loss: [], diverged_at: [] };
    api.run(s, {
      onProgress: ({ done, total, partial }) => {
        regimeStatus.textContent = `Row ${done} of ${total}`;
        if (partial && partial.final_loss) { regime.final_loss[partial.row] = partial.final_loss; regime.diverged_at[partial.row] = partial.diverged_at; drawRegime(); }
      },
    }).then((r) => { regime = r; r.spec = s; regimeStatus.textContent = `${r.x.n} × ${r.y.n} runs of ${r.steps} steps`; drawRegime(); },
      (err) => { regimeStatus.textContent = err.kind === "Cancelled" ? "Stopped." : (err.field ? `${err.field}: ${err.message}` : err.message); });
  }

  function drawRegime() {
    if (!regime) return;
    const n = regime.spec ? regime.spec.x.n : regime.x.n;
    const ny = regime.spec ? regime.spec.y.n : regime.y.n;
    const width = Math.min(520, regimeSection.clientWidth - 20 || 480);
    const m = { l: 60, r: 10, t: 10, b: 40 };
    const cw = (width - m.l - m.r) / n, ch = Math.min(cw, 22);
    const ctx = fitCanvas(regimeCanvas, width, m.t + m.b + ch * ny);
    // colour by rank of the final loss (ordering only: no arithmetic on the model's numbers)
    const finite = regime.final_loss.flat().filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
    const val = (v) => finite.length > 1 ? finite.indexOf(v) / (finite.length - 1) : 0;
    ctx.clearRect(0, 0, width, regimeCanvas.height);
    for (let i = 0; i < ny; i++) {
      const row = regime.final_loss[i];
      if (!row) continue;
      for (let j = 0; j < n; j++) {
        const x = m.l + j * cw, y = m.t + (ny - 1 - i) * ch;
        if (row[j] === null) {
          ctx.fillStyle = "#eee"; ctx.fillRect(x, y, cw - 1, ch - 1);
          ctx.fillStyle = "#b91c1c"; ctx.font = `${Math.min(14, ch)}px system-ui`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.fillText("✕", x + cw / 2, y + ch / 2);
        } else {
          const f = val(row[j]);
          const k = Math.round(f * 255) * 3;
          ctx.fillStyle = `rgb(${LUT[k]},${LUT[k + 1]},${LUT[k + 2]})`; ctx.fillRect(x, y, cw - 1, ch - 1);
        }
      }
    }
    const css = getComputedStyle(document.documentElement);
    ctx.fillStyle = css.getPropertyValue("--text").trim() || "#222";
    ctx.font = "11px system-ui"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    if (regime.x && regime.x.values) {
      for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 6))) ctx.fillText(fmt(regime.x.values[j], 2), m.l + (j + 0.5) * cw, m.t + ny * ch + 3);
      ctx.fillText("lr (log scale) →    colour: rank of the final loss, dark = lowest", m.l + (n * cw) / 2, m.t + ny * ch + 18);
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      for (let i = 0; i < ny; i += Math.max(1, Math.floor(ny / 5))) ctx.fillText(fmt(regime.y.values[i], 3), m.l - 4, m.t + (ny - 1 - i + 0.5) * ch);
      ctx.save(); ctx.translate(10, m.t + (ny * ch) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText(regime.y.param, 0, 0); ctx.restore();
    }
    regimeCanvas.onclick = (ev) => {
      if (!regime.x || !regime.x.values) return;
      const rect = regimeCanvas.getBoundingClientRect();
      const j = Math.floor((ev.clientX - rect.left - m.l) / cw), i = ny - 1 - Math.floor((ev.clientY - rect.top - m.t) / ch);
      if (j < 0 || j >= n || i < 0 || i >= ny) return;
      playCell(regime.x.values[j], regime.y.values[i]);
    };
  }

  function playCell(lr, yv) {
    if (scene.opts.length >= 12) scene.opts.pop();
    const base = regime.optimizer;
    const used = new Set(scene.opts.map((o) => o.c));
    const p = { ...Object.fromEntries(Object.entries(base.params).filter(([k, v]) => v !== optById[base.name].defaults[k])), lr: +lr.toPrecision(6), [regime.y.param]: +yv.toPrecision(6) };
    scene.opts.push({ name: base.name, p, c: PALETTE.find((c) => !used.has(c)) || PALETTE[0] });
    scene.t = 0;
    buildOptList(); update();
    setTimeout(() => play(true), 50);
  }

  // ---------------------------------------------------------------- export + URL
  function exportCSV() {
    if (!result) return;
    const rows = [];
    result.runs.forEach((r, i) => r.path.forEach((p, k) => rows.push([i + 1, r.name, k, p[0], p[1], r.loss[k], r.diverged_at ?? ""])));
    downloadCSV(`descentlab-${scene.fn}.csv`, ["run", "optimizer", "step", "x", "y", "loss", "diverged_at"], rows);
  }

  function pushState() {
    setParams({ fn: scene.fn, fp: scene.fp, start: scene.start, steps: scene.steps, opts: scene.opts,
      t: scene.t, lesson: scene.lesson || undefined, sel: selected ? [selected.run, selected.step] : undefined });
  }

  const onResize = () => { draw(); drawRegime(); };
  window.addEventListener("resize", onResize);

  buildFnControls(); buildOptList(); showLesson(); buildRegimeControls(); showInspector();
  update();

  return {
    unmount() { destroyed = true; playing = false; cancelAnimationFrame(raf); window.removeEventListener("resize", onResize); },
    get result() { return result; },
    get spec() { return lastSpec; },
    get scene() { return structuredClone(scene); },
    get selected() { return selected; },
    get regime() { return regime; },
    pixelOf(run, step) {  // for tests and tools: where a trajectory point is drawn, in CSS pixels
      const p = result.runs[run].path[step];
      return [view.X(p[0]), view.Y(p[1])];
    },
  };
}
