// The landscape view's requests to the worker: the scene's runs and the function's grid.
// changed() is the middle of the view's one-way flow: the scene changed, so its link is
// written and its result asked for; what comes back is stored in `shown` and drawn.
import { shadeImage } from "../../lib/canvas.js";
import { sceneParams, landscapeSpec, gridSpec } from "./scene.js";

// Steps of each path drawn while the start point is dragged (0: whole scenes only); the
// whole scene follows once the pointer rests or is released. bench/bench_drag.py compares
// settings (globalThis.DESCENTLAB_DRAG_PREVIEW and DESCENTLAB_DRAG_POOL override them).
const DRAG_PREVIEW_STEPS = 100;
// A preview is one request to one worker, not shared among the pool: a shared run hands
// each optimizer's part to a worker from the page's thread, which is busy drawing while
// dragging, so the workers waited for it (bench_drag.py: 36 -> 19 ms between scenes).
const DRAG_PREVIEW_POOL = false;
// The pointer held still this long mid-drag: the whole scene replaces the preview.
const DRAG_REST_MS = 150;
// One preview in flight per worker of the pool (needs api.poolRun, proposed for web/api.js):
// off until a quiet machine shows it helps; on a loaded one it doubled request -> result.
const DRAG_PREVIEW_EACH = false;
const previewSteps = () => globalThis.DESCENTLAB_DRAG_PREVIEW ?? DRAG_PREVIEW_STEPS;
const previewPool = () => globalThis.DESCENTLAB_DRAG_POOL ?? DRAG_PREVIEW_POOL;
const previewEach = () => globalThis.DESCENTLAB_DRAG_EACH ?? DRAG_PREVIEW_EACH;

// on: {result(spec, {drag, same}, live), grid(), error(err)}: after `shown` holds the new answer;
// drag: the result is a scene of the drag still going on (the view may draw it lightly);
// same: it is the live result of the precomputed one shown, with the same digest (the
// picture on screen is already its picture)
//
// A result computed at build time (api.precomputed, web/instant.js: the page is still
// loading Python) is drawn at once; when the worker is ready the same spec is asked for
// again, and its live result replaces it (api.verify says loudly if the digests differ).
// on.result's third argument says whether the result is live.
export function sceneRequests({ api, root, scene, shown, setParams, alive, on }) {
  const runner = queue({ api, alive, onError: on.error, onResult(result, { spec, drag }, ms) {
    const pre = api.precomputed ? api.precomputed(result) : null;
    // the live twin of the precomputed result shown: same digest, so the same picture
    const twin = !pre && !drag && shown.result && api.precomputed && api.precomputed(shown.result) && shown.spec === spec
      && api.verify(shown.result, result);
    Object.assign(shown, { result, spec, ms });
    // a drag's scene claims no digest: computed in parts, or a preview of fewer steps
    if (result.digest && !drag) root.dataset.digest = result.digest;
    else delete root.dataset.digest;
    root.dataset.computeMs = ms.toFixed(1);
    root.dataset.scenes = (+root.dataset.scenes || 0) + 1;
    // a drag's scene leaves the timeline at the end (null), so the whole scene after a
    // preview is shown to its last step, not to the preview's
    if (drag) scene.step = null;
    else if (scene.step === null || scene.step > spec.steps) scene.step = spec.steps;
    on.result(spec, { drag, same: !!twin }, !pre);
    if (pre) recheck(result, spec);
  } });
  const ensureGrid = gridLoader({ api, alive, onError: on.error, onGrid(grid) {
    Object.assign(shown, { grid, heat: shadeImage(grid.shade), gridVersion: shown.gridVersion + 1 });
    on.grid();
  } });

  const remember = () => setParams(sceneParams(scene));
  let rest = 0;   // timer: the pointer rests mid-drag
  let latest = null;   // the spec last asked for
  const ask = (job) => { latest = job.spec; runner.request(job); };

  // The worker is ready: compute the precomputed scene still shown, live, unless something
  // newer was asked for meanwhile (an edit made while Python loaded: its live result is
  // the one to draw, and a recheck sent after it would be drawn over it).
  function recheck(result, spec) {
    api.ready.then(() => { if (alive() && shown.result === result && latest === spec) runner.request({ spec }); }, () => {});
  }

  // keep=false while dragging: writing the URL (history.replaceState) 60 times a second
  // costs the page more than drawing, so the drag's end writes it once, and runs the
  // whole scene on one worker to get its digest: what a click there would have drawn.
  //
  // Progressive while dragging: the first DRAG_PREVIEW_STEPS steps of each path (a fifth
  // of the work for 500 steps, so about a new scene per frame); once the pointer rests
  // for DRAG_REST_MS, the whole scene, shared among the worker pool; a newer start point
  // cancels that refinement.
  function changed(keep = true) {
    clearTimeout(rest);
    if (keep) remember();
    ensureGrid(gridSpec(scene));
    const spec = landscapeSpec(scene, !!scene.selected);
    const preview = previewSteps();
    if (!keep && preview > 0 && spec.steps > preview) {
      ask({ spec: { ...spec, steps: preview }, parallel: previewPool(), drag: true });
      rest = setTimeout(() => { if (alive()) ask({ spec, parallel: true, drag: true, refining: true }); }, DRAG_REST_MS);
    } else ask({ spec, parallel: !keep, drag: !keep });
  }

  // The inspector needs the optimizer state the last run did not record.
  function needState() {
    if (shown.spec && !shown.spec.record_state) ask({ spec: { ...shown.spec, record_state: true } });
  }

  return { changed, remember, needState };
}

// The worker's answers in the order asked. One request in flight at a time, except a
// drag's previews when DRAG_PREVIEW_EACH is on and the page API can send a run to any worker
// of the pool (api.poolRun, web/api.js: run(spec, {pool: true})): then one per worker, so two
// workers compute two start points at once, and an answer older than the one drawn is
// dropped. Otherwise only the newest request waits, and it is sent as soon as a result
// arrives, before that result is drawn, so the worker computes the next scene (the newest
// start point of a drag) while this one is being drawn.
// A job: {spec, parallel, drag, refining}. A parallel one shares the optimizers among the
// worker pool (api.runParallel); a newer job cancels a refining one in flight instead of
// waiting for it.
function queue({ api, alive, onResult, onError }) {
  const inflight = new Set();   // {job, promise, cancelled, seq}
  let queued = null;
  let asked = 0, drawn = 0;     // sequence numbers of the last request sent and drawn
  const onPool = (job) => job.drag && !job.parallel && !job.refining && previewEach() && api.poolRun === true;
  const slots = (job) => (onPool(job) ? Math.max(1, api.poolSize || 1) : 1);

  function request(job) {
    if (!job.refining) {
      for (const old of inflight) {
        if (!old.job.refining) continue;
        inflight.delete(old);
        old.cancelled = true;   // (its result, should it land anyway, is an older start's)
        api.cancel(old.promise);
      }
    }
    if (inflight.size >= slots(job) || (inflight.size && !onPool(job))) { queued = job; return; }
    const t0 = performance.now();
    const me = { job, promise: null, cancelled: false, seq: ++asked };
    const sendNext = () => {
      if (!inflight.delete(me)) return;   // cancelled by a newer request
      if (queued && alive() && (!inflight.size || (onPool(queued) && inflight.size < slots(queued)))) {
        const q = queued; queued = null; request(q);
      }
    };
    inflight.add(me);
    me.promise = job.parallel ? api.runParallel(job.spec) : onPool(job) ? api.run(job.spec, { pool: true }) : api.run(job.spec);
    me.promise.then((result) => {
      sendNext();
      if (!alive() || me.cancelled || me.seq < drawn) return;   // an older start than the one drawn
      drawn = me.seq;
      onResult(result, job, performance.now() - t0);
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
