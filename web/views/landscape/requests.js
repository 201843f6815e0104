// The landscape view's requests to the worker: the scene's runs and the function's grid.
// changed() is the middle of the view's one-way flow: the scene changed, so its link is
// written and its result asked for; what comes back is stored in `shown` and drawn.
import { shadeImage } from "../../lib/canvas.js";
import { sceneParams, landscapeSpec, gridSpec } from "./scene.js";

// Steps of each path drawn first while the start point is dragged (0: whole scenes only).
// bench/bench_drag.py compares both (globalThis.DESCENTLAB_DRAG_PREVIEW overrides it).
const DRAG_PREVIEW_STEPS = 100;
const previewSteps = () => globalThis.DESCENTLAB_DRAG_PREVIEW ?? DRAG_PREVIEW_STEPS;

// on: {result(spec, parallel), grid(), error(err)}: after `shown` holds the new answer
//
// A result computed at build time (api.precomputed, web/instant.js: the page is still
// loading Python) is drawn at once; when the worker is ready the same spec is asked for
// again, and its live result replaces it (api.verify says loudly if the digests differ).
// on.result's third argument says whether the result is live.
export function sceneRequests({ api, root, scene, shown, setParams, alive, on }) {
  const runner = queue({ api, alive, onError: on.error, onResult(result, spec, { parallel, ms }) {
    const pre = api.precomputed ? api.precomputed(result) : null;
    if (!pre && shown.result && api.precomputed && api.precomputed(shown.result) && shown.spec === spec) api.verify(shown.result, result);
    Object.assign(shown, { result, spec, ms });
    if (result.digest) root.dataset.digest = result.digest;
    else delete root.dataset.digest;  // a scene computed in parts has none
    root.dataset.computeMs = ms.toFixed(1);
    root.dataset.scenes = (+root.dataset.scenes || 0) + 1;
    if (scene.step === null || scene.step > spec.steps) scene.step = spec.steps;
    on.result(spec, parallel, !pre);
    if (pre) recheck(result, spec);
  } });
  const ensureGrid = gridLoader({ api, alive, onError: on.error, onGrid(grid) {
    Object.assign(shown, { grid, heat: shadeImage(grid.shade), gridVersion: shown.gridVersion + 1 });
    on.grid();
  } });

  const remember = () => setParams(sceneParams(scene));

  // The worker is ready: compute the precomputed scene still shown, live.
  function recheck(result, spec) {
    api.ready.then(() => { if (alive() && shown.result === result) runner.request(spec); }, () => {});
  }

  // keep=false while dragging: writing the URL (history.replaceState) 60 times a second
  // costs the page more than drawing, so the drag's end writes it once. Meanwhile the
  // optimizers are shared among the worker pool (the same runs, no digest); the drag's
  // end runs the scene once more to get it.
  //
  // Progressive while dragging: the first DRAG_PREVIEW_STEPS steps of each path first (a
  // fifth of the work for 500 steps, so a new scene per frame), then the whole scene if the
  // pointer has not moved on; a newer start point cancels that refinement.
  function changed(keep = true) {
    if (keep) remember();
    ensureGrid(gridSpec(scene));
    const spec = landscapeSpec(scene, !!scene.selected);
    const preview = previewSteps();
    if (!keep && preview > 0 && spec.steps > preview) runner.request({ ...spec, steps: preview }, true, [spec, true]);
    else runner.request(spec, !keep);
  }

  // The inspector needs the optimizer state the last run did not record.
  function needState() {
    if (shown.spec && !shown.spec.record_state) runner.request({ ...shown.spec, record_state: true });
  }

  return { changed, remember, needState };
}

// One scene in flight at a time. While one runs, only the newest request waits, and it is
// sent as soon as a result arrives, before that result is drawn, so the worker computes
// the next scene (the newest start point of a drag) while this one is being drawn.
// A parallel request shares the optimizers among the worker pool (api.runParallel).
// `then` is a refinement [spec, parallel], sent after this request's result when nothing
// newer waits; a newer request cancels a refinement in flight instead of waiting for it.
function queue({ api, alive, onResult, onError }) {
  let inflight = null;   // {promise, refining}
  let queued = null;

  function request(spec, parallel = false, then = null, refining = false) {
    if (inflight && inflight.refining && !refining) {
      const old = inflight;
      inflight = null;
      old.cancelled = true;   // (its result, should it land anyway, is an older start's)
      api.cancel(old.promise);
    }
    if (inflight) { queued = [spec, parallel, then]; return; }
    const t0 = performance.now();
    const me = { refining, promise: null, cancelled: false };
    const sendNext = () => {
      if (inflight !== me) return;   // cancelled by a newer request, which is in flight now
      inflight = null;
      if (queued && alive()) { const q = queued; queued = null; request(...q); }
      else if (then && alive()) request(...then, null, true);
    };
    inflight = me;
    me.promise = parallel ? api.runParallel(spec) : api.run(spec);
    me.promise.then((result) => {
      sendNext();
      if (alive() && !me.cancelled) onResult(result, spec, { parallel, ms: performance.now() - t0 });
    }, (err) => {
      sendNext();
      if (alive() && err.kind !== "Cancelled") onError(err);
    });
  }

  return { request };
}

// The shaded grid and contours of the scene's function, fetched when the function or its
// parameters change; an answer for a function no longer shown is dropped.
function gridLoader({ api, alive, onGrid, onError }) {
  let key = "";
  return function ensure(spec) {
    const k = JSON.stringify([spec.function, spec.function_params]);
    if (k === key) return;
    key = k;
    api.run(spec).then((grid) => {
      if (k !== key || !alive()) return;
      onGrid(grid);
      // a precomputed grid: the live one replaces it only if it differs (verify says so loudly)
      if (api.precomputed && api.precomputed(grid)) {
        api.ready.then(() => api.run(spec)).then((live) => {
          if (!api.verify(grid, live) && k === key && alive()) onGrid(live);
        }, () => {});
      }
    }, onError);
  };
}
