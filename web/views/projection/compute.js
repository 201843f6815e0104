// Computing a projection: Compute sends the spec, progress names the phase (training,
// PCA, the loss plane, t-SNE) and every t-SNE frame is drawn as it arrives, so the map
// animates while it optimizes; Stop cancels. The result, or the note that there was
// nothing to project, ends it. A network the worker has just trained (the Network view's
// finished run, or this view's last projection of it) is not trained again: the first
// progress item says "reused" (pywasm/descentlab/worker_glue.py, TrainedNetworks).
//
// While Python loads, the default projection computed at build time (web/instant.js) is
// shown at once (showPrecomputed); once the worker is ready it is computed again quietly
// (no frames drawn) and the live result takes its place, checked by api.verify (a loud
// console error and the live picture if the digests differ). Compute meanwhile cancels it.
import { h, fmt } from "../../lib/dom.js";
import { markOnce } from "../../instant.js";

const REUSED = "Using the network already trained (the Network view's run, or the last projection of it): no training needed.";
// A Network view run stopped after epoch k: this projection shows that run, not a new training.
const stoppedText = (k) => `Using the Network view's run stopped after epoch ${k}: its snapshots up to epoch ${k}, not a retraining.`;
const WARMING = "Computed ahead of time: interactive in a moment, once Python has loaded (Compute waits for it)";

// spec(): the projection spec now; draw(): redraw from `run`; showMessage(text)
export function projectionRun({ api, root, spec, draw, showMessage }) {
  // reused: the network came from the worker (no training); stoppedAfter: the epoch the Network view's run was stopped after
  const run = { result: null, live: null, spec: null, running: null, liveFrames: 0, reused: false, stoppedAfter: null };
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Projection progress" });
  const status = h("p", { class: "run-status", "aria-live": "polite" });
  const computeBtn = h("button", { type: "button", class: "button", onclick: () => compute() }, "Compute");
  const stopBtn = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => run.running && api.cancel(run.running) }, "Stop");

  let checking = null;   // the quiet live run of a precomputed projection

  async function compute() {
    if (run.running) return;
    if (checking) { api.cancel(checking); checking = null; }
    const s = spec();
    computeBtn.disabled = true; stopBtn.disabled = false; showMessage(""); run.result = null; run.live = null; run.reused = false; run.stoppedAfter = null;
    const t0 = performance.now();
    run.running = api.run(s, { onProgress: (p) => onProgress(s, p) });
    try {
      const result = await run.running;
      if (api.precomputed && api.precomputed(result)) adopt(s, result);
      else finish(s, result, (performance.now() - t0) / 1000);
    } catch (err) {
      status.textContent = err.kind === "Cancelled" ? "Stopped." : "";
      if (err.kind !== "Cancelled") showMessage(err.field ? `${err.field}: ${err.message}` : err.message);
    } finally {
      run.running = null; computeBtn.disabled = false; stopBtn.disabled = true; draw();
    }
  }

  function onProgress(s, { done, total, partial }) {
    progress.value = done / total;
    const phase = partial && partial.phase;
    // heartbeats (no news, only progress) keep the last embedding and KL on screen
    const beat = Boolean(partial && partial.heartbeat);
    const iteration = `t-SNE: iteration ${done - (total - s.max_iter)} of ${s.max_iter}`;
    if (partial && partial.reused) { run.reused = true; run.stoppedAfter = partial.stopped_after_epoch ?? null; draw(); }
    status.textContent = phase === "train" ? (run.stoppedAfter ? stoppedText(run.stoppedAfter) : run.reused ? REUSED
      : `Training: epoch ${done} of ${s.network.epochs}`) :
      phase === "pca" ? "Finding the PCA plane of the snapshots…" :
        phase === "loss plane" ? "Evaluating the loss on the PCA plane…" :
          phase === "tsne" ? (beat ? (run.live ? status.textContent : `${iteration}…`) : `${iteration}, KL ${fmt(partial.kl, 4)}`) :
            "Working…";
    if (phase === "tsne" && !beat) { run.live = partial; run.liveFrames += 1; draw(); }
  }

  function finish(s, result, seconds, done = `Done in ${seconds.toFixed(1)} s`) {
    Object.assign(run, { result, spec: s });
    root.dataset.digest = result.digest;
    markOnce("firstScene"); markOnce("interactive");   // read by benchmarks outside this repo
    if (result.note) {  // nothing to project (e.g. every run diverged at once): the core says why
      status.textContent = `${done}: nothing to draw.`;
      showMessage(result.note);
      return;
    }
    const how = run.stoppedAfter ? ` (the Network view's run stopped after epoch ${run.stoppedAfter}, not retrained)`
      : run.reused ? " (the network was already trained)" : "";
    status.textContent = `${done}${how} · ${summary(result)}`;
  }

  const summary = (result) => `t-SNE (${result.tsne.method}, perplexity ${fmt(result.tsne.perplexity, 3)}) KL ${fmt(result.tsne.kl, 4)}` +
    (result.pca ? ` · the PCA plane explains ${(100 * result.pca.explained).toFixed(1)}% of the paths' variance` : "");

  // A precomputed result on screen; once the worker is ready, the same spec runs live.
  function adopt(s, result) {
    Object.assign(run, { result, spec: s });
    root.dataset.digest = result.digest;
    status.textContent = `${WARMING} · ${summary(result)}`;
    draw();
    markOnce("firstScene");
    api.ready.then(() => {
      if (run.result !== result || run.running) return;
      checking = api.run(s);
      return checking.then((live) => {
        if (checking === null || run.result !== result) return;
        checking = null;
        api.verify(result, live);
        finish(s, live, 0, "Computed ahead of time, checked live");
        draw();
      });
    }).catch((err) => { if (err && err.kind !== "Cancelled") showMessage(err.field ? `${err.field}: ${err.message}` : err.message); });
  }

  // While Python loads: the precomputed projection of this spec, if the build shipped one.
  async function showPrecomputed() {
    const s = spec();
    if (!api.has || !api.has(s)) return;
    const result = await api.run(s);
    if (!run.running && !run.result && api.precomputed(result)) adopt(s, result);
  }

  return {
    run, compute, status, showPrecomputed,
    controls: h("div", { class: "timeline" }, computeBtn, stopBtn, progress),
    // a new network: nothing computed for it yet
    clear() { run.result = null; run.live = null; run.stoppedAfter = null; },
    stop() { if (run.running) api.cancel(run.running); if (checking) { api.cancel(checking); checking = null; } },
  };
}
