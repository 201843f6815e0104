// Descent Lab page API: the one way views, tests and embedding pages talk to the
// Python core. Importing this module starts the computation worker and sets
// window.descentlab:
//
//   descentlab.ready                    Promise -> {version}   (rejects if loading fails)
//   descentlab.run(spec, {onProgress, signal, pool})
//                                       Promise -> the result object of descentlab.run(spec);
//                                       onProgress({done, total, partial}) per chunk; pool:
//                                       true runs it on the ready worker of the pool with the
//                                       fewest requests in flight (a drag keeps one preview in
//                                       flight per worker); learner code still goes to the code worker
//   descentlab.poolRun                  true: run() takes {pool} (what the landscape's drag checks)
//   descentlab.runParallel(spec, {onProgress, signal})
//                                       a landscape spec's optimizers shared among a pool of
//                                       workers (what a drag on the canvas waits for): the same
//                                       runs bit for bit, but no digest (the hash of the whole
//                                       result is computed by one worker; run() gives it)
//   descentlab.poolSize                 workers ready to share a runParallel (1 until helpers load)
//   descentlab.cancel(runPromiseOrId?)  stop one run (or every run): it rejects, kind "Cancelled"
//   descentlab.pause(run)               hold a run() between two progress items (its promise
//                                       stays pending; cancel still ends it)
//                                       -> Promise {target, running, paused, done, total}
//   descentlab.resume(run)              let a paused run go on -> Promise (the same state)
//   descentlab.stepOnce(run)            one more chunk of a run, then paused: resolves after
//                                       that chunk's onProgress (or the run's end: finished
//                                       true) -> Promise {..., finished}. For each of the
//                                       three, running is false when the run had ended (or
//                                       is a runParallel, which cannot be held); never rejects
//                                       for that, so a click racing the end is harmless
//   descentlab.call(fn, ...args)        a function the main worker allows (ALLOWED_CALLS in
//                                       pywasm/descentlab/worker_glue.py: "list_catalog", "validate", ...);
//                                       "validate" and "trace" of a spec with learner code go
//                                       to the code worker
//   descentlab.hasCode(spec)            whether a spec carries learner code (runs in the code worker)
//   descentlab.callCode(fn, ...args)    a function the code worker allows (CODE_CALLS there:
//                                       "learner_describe", "exercises_check", ...: learner code)
//   descentlab.startCode()              start the code worker ahead of its first request
//                                       (an editor opening) -> Promise {version}
//   descentlab.version                  core version once ready, else null
//   descentlab.loadState                {stage, fraction, bytes, error?} of the current worker
//                                       (stage: "runtime", "python", "numpy", "descentlab",
//                                       "ready"; bytes: {runtime, packages: {loaded, total}}
//                                       downloaded so far, null where nothing is downloaded)
//   descentlab.loadTimings              once ready, ms per loading stage in the worker ({fetch,
//                                       instantiate, numpy_load, numpy_import, ...}, and began:
//                                       when the worker's script started, ms since navigation), else null
//   descentlab.snapshot                 once ready, {state, reason?, made}: whether the worker's
//                                       interpreter came from the memory snapshot kept for this
//                                       build ("used"), found none ("none"), refused a bad one
//                                       ("rejected") or keeps none ("off"); made: the snapshot
//                                       made for the next visit ({size, ms} or {error}), or null
//
// What runs where. Learner code (an optimizer entry {"name": "custom", "code", ...} in a
// spec's optimizers, a network's, or a projection's network's) never runs in the page nor
// in the main worker: run() and runParallel() send such a spec, and callCode() its calls, to
// the code worker, one more copy of worker.js started on the first such request
// (new Worker(url, {name: "descentlab-code"})). Before it answers anything, that worker
// removes its own access to the network and to storage (see web/worker.js). Its Python
// budgets learner code (descentlab/learner.py: a SpecError naming optimizers[i].code and the
// learner's line); as a last resort, this page's watchdog terminates it when a request gets
// no message from it for CODE_SILENCE_MS once it is ready (a loop inside one NumPy call
// escapes the budget), starts a fresh one, and rejects the request with kind "CodeTimeout".
//
// Failures reject with an Error carrying .kind ("SpecError", "Error", "Cancelled",
// "WorkerRestarted", "LoadError", "CodeTimeout", "BadMessage": a request that cannot be sent
// or read), .field (SpecError only) and .message. Every request is answered: a spec nested
// deeper than MAX_DEPTH is refused here, before structured clone would choke on it.
//
// Events on window: "descentlab:load-progress" {stage, fraction, bytes}, "descentlab:ready"
// {version}, "descentlab:load-error" {stage, message}, "descentlab:worker-restarted" {reason},
// "descentlab:snapshot" (descentlab.snapshot once one was made) (all of the main worker), "descentlab:code-worker" {state: "loading" | "ready" |
// "restarted", reason?} (the code worker's).

// The single-file build (dist/descentlab.html) starts its later workers from a Blob URL its
// bootstrap sets once the page is parsed (its main worker is an early one, adopted below).
const workerUrl = () => globalThis.DESCENTLAB_WORKER_URL || new URL("./worker.js", import.meta.url);
// A served build tells its workers its build id in their name ("descentlab@<id>"; not in the
// URL: a worker served by the service worker gets the cached response's URL, without a query):
// they keep the interpreter's memory snapshot under it (web/worker.js). None for "dev", the
// one-file app, ?snapshot=0 on the page, or the code worker (named "descentlab-code" alone).
const BUILD = (globalThis.document && document.querySelector('meta[name="descentlab-build"]') || {}).content || "dev";
const SNAPSHOTS = !globalThis.DESCENTLAB_SINGLE_FILE && BUILD !== "dev"
  && new URLSearchParams(globalThis.location ? location.search : "").get("snapshot") !== "0";
const workerName = (role) => (SNAPSHOTS ? `${role}@${BUILD}` : role);
// The snapshot is made once the page is interactive (the mark) or this long after ready.
const SNAPSHOT_AFTER_MS = 10000;
export const RESTART_NOTICE = "The computation worker stopped and was restarted.";
// Workers a runParallel may use, this page's own included. Each holds its own Pyodide
// (tens of MB), so at most three, and never more than the machine has cores.
const POOL_MAX = Math.max(1, Math.min(3, (globalThis.navigator && navigator.hardwareConcurrency) || 1));
const MAX_RESTARTS = 3;          // within RESTART_WINDOW_MS; more means a broken worker
const RESTART_WINDOW_MS = 30000;
// A spec needs about ten levels of nesting. Far deeper ones cannot even be copied into the
// worker: a few thousand levels overflow the stack of structured clone, in postMessage
// (a RangeError here) or in the worker (a "messageerror" there). web/worker.js uses the
// same limit for the JSON it hands to Python.
const MAX_DEPTH = 100;
// The code worker's watchdog: this long without any message from it during a request
// (progress comes about every half second) means learner code is stuck.
export const CODE_SILENCE_MS = 8000;
const CODE_WORKER_NAME = "descentlab-code";
const CODE_CANCEL_MS = 2000;     // a cancelled code-worker run still going after this is stopped
export const CODE_TIMEOUT_NOTICE = `Your code ran for more than ${CODE_SILENCE_MS / 1000} s without finishing, `
  + "so it was stopped. The lab is still usable.";

function makeError(kind, message, field) {
  const err = new Error(message);
  err.name = kind === "Error" ? "Error" : kind;
  err.kind = kind;
  if (field !== undefined) err.field = field;
  return err;
}

// The path of the first value nested deeper than MAX_DEPTH in `value`, or null. Iterative,
// and only objects are visited, so a long list of numbers costs one pass of typeof.
function tooDeep(value, root) {
  const stack = [{ v: value, depth: 0, parent: null, key: root }];
  while (stack.length) {
    const node = stack.pop();
    const { v, depth } = node;
    if (depth >= MAX_DEPTH) {
      const keys = [];
      for (let n = node; n; n = n.parent) keys.push(n.key);
      return keys.reverse();
    }
    const isArray = Array.isArray(v);
    for (const k of isArray ? v.keys() : Object.keys(v)) {
      const x = v[k];
      if (x !== null && typeof x === "object") stack.push({ v: x, depth: depth + 1, parent: node, key: isArray ? `[${k}]` : k });
    }
  }
  return null;
}

function depthError(value, root) {
  if (value === null || typeof value !== "object") return null;
  const keys = tooDeep(value, root);
  if (!keys) return null;
  // the field is the top-level one the caller wrote (as the core names it: "function_params"
  // of a spec, "args" of a call); the message says where inside it
  const field = keys.find((k) => k && !k.startsWith("[")) || "spec";
  const where = keys.reduce((path, k) => (!path || k.startsWith("[") ? path + k : `${path}.${k}`), "");
  return makeError("SpecError", `nested deeper than ${MAX_DEPTH} levels (at ${where.slice(0, 60)}…)`, field);
}

function emit(type, detail) {
  window.dispatchEvent(new CustomEvent(`descentlab:${type}`, { detail }));
}

let nextId = 1;
let current = null;              // {worker, ready, pending: Map, version, loadState}
let helpers = null;              // extra workers for runParallel, started by its first call
let code = null;                 // the code worker (learner code), started by its first request
const restarts = [];

// The main worker that index.html's first script started (before the page's styles and
// modules loaded), with the events it fired since; taken once, if it is the worker this
// module would start (same name: same build, same snapshot choice).
function adoptEarlyWorker() {
  const early = globalThis.DESCENTLAB_EARLY_WORKER;
  if (!early) return null;
  delete globalThis.DESCENTLAB_EARLY_WORKER;
  if (early.name !== workerName("descentlab")) {
    early.worker.terminate();
    return null;
  }
  return early;
}

// role: "main" (current), "helper" (runParallel) or "code" (learner code)
function startWorker(role = "main") {
  const early = role === "main" ? adoptEarlyWorker() : null;
  const worker = early ? early.worker : role === "code" ? new Worker(workerUrl(), { name: CODE_WORKER_NAME })
    : new Worker(workerUrl(), { name: workerName("descentlab") });
  const helper = role === "helper";
  const state = {
    worker,
    helper,
    code: role === "code",
    heard: Date.now(),             // the last message from it (the code worker's watchdog)
    watchdog: null,
    isReady: false,
    pending: new Map(),            // id -> {resolve, reject, onProgress, kind, seq, paused}
    posted: 0,                     // messages posted: the worker numbers what it receives the same way
    rawWaiters: new Map(),         // seq -> resolve, for _postRaw (tests)
    version: null,
    loadState: { stage: "runtime", fraction: 0 },
  };
  state.ready = new Promise((resolve, reject) => { state.settle = { resolve, reject }; });
  state.ready.catch(() => {});   // callers that await it still see the rejection

  worker.onmessage = (event) => {
    state.heard = Date.now();
    const msg = event.data;
    if (msg && typeof msg === "object") onMessage(state, msg);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    restart(state, `worker error: ${event.message || "unknown"}`);
  };
  worker.onmessageerror = () => restart(state, "a message from the worker could not be read");

  // Worker.terminate() fires no event; route it through restart() so callers never hang.
  const terminate = worker.terminate.bind(worker);
  state.terminate = terminate;
  worker.terminate = () => { terminate(); restart(state, "the worker was terminated"); };
  // what the early worker said before it was adopted, in order, once `current` is this state
  // (a microtask: no later message of it can be handled first)
  if (early) {
    queueMicrotask(() => {
      for (const event of early.events) {
        if (event.type === "message") worker.onmessage(event);
        else if (event.type === "messageerror") worker.onmessageerror(event);
        else worker.onerror(event);
      }
    });
  }
  return state;
}

// Post one message to a worker; returns its seq (the worker's count of what it received).
// A message structured clone cannot copy throws here, before anything was sent.
function send(state, msg) {
  state.worker.postMessage(msg);
  return ++state.posted;
}

function onMessage(state, msg) {
  if (state !== current && state !== code && !(state.helper && helpers && helpers.includes(state))) return;
  if (msg.seq !== undefined && state.rawWaiters.has(msg.seq)) {
    state.rawWaiters.get(msg.seq)(msg);
    state.rawWaiters.delete(msg.seq);
    return;
  }
  if (msg.seq !== undefined && (msg.id === null || msg.id === undefined)) {
    // a request the worker could not read: its id was lost with it, its seq was not
    for (const [id, req] of state.pending) {
      if (req.seq === msg.seq) { msg = { ...msg, id }; break; }
    }
    if (msg.id === null || msg.id === undefined) return;
  }
  if (msg.id === undefined) { onLoadMessage(state, msg); return; }
  const req = state.pending.get(msg.id);
  if (req) onReply(state, req, msg);
}

// The worker's loading: progress, ready or a load error.
function onLoadMessage(state, msg) {
  if (state.code) { onCodeLoadMessage(state, msg); return; }
  if (state.helper) {
    // a helper's loading is silent: the page only ever shows the main worker's
    if (msg.type === "ready") { state.isReady = true; state.settle.resolve({ version: msg.version }); }
    else if (msg.type === "load-error") retire(state, msg.message);
    return;
  }
  if (msg.type === "progress") {
    state.loadState = { stage: msg.stage, fraction: msg.fraction, bytes: msg.bytes || null };
    emit("load-progress", { stage: msg.stage, fraction: msg.fraction, bytes: msg.bytes || null });
  } else if (msg.type === "ready") {
    state.isReady = true;
    state.version = msg.version;
    state.loadTimings = msg.timings || null;
    // the worker's start on the page's clock (worker.js: `began` is absolute)
    if (state.loadTimings && state.loadTimings.began) state.loadTimings.began -= performance.timeOrigin;
    state.snapshot = { ...(msg.snapshot || { state: "off" }), made: null };
    if (state.snapshot.state === "none" || state.snapshot.state === "rejected") makeSnapshotLater(state);
    state.loadState = { stage: "ready", fraction: 1 };
    state.settle.resolve({ version: msg.version });
    emit("ready", { version: msg.version });
  } else if (msg.type === "load-error") {
    state.loadState = { stage: msg.stage, fraction: state.loadState.fraction, error: msg.message };
    const err = makeError("LoadError", msg.message);
    err.stage = msg.stage;
    state.settle.reject(err);
    emit("load-error", { stage: msg.stage, message: msg.message });
  }
}

// A reply to request `req`: progress, or its end (result, cancelled, error).
function onReply(state, req, msg) {
  switch (msg.type) {
    case "progress":
      if (req.onProgress) {
        try {
          req.onProgress({ done: msg.done, total: msg.total, partial: msg.partial });
        } catch (e) {
          console.warn("descentlab: onProgress threw", e);
        }
      }
      break;
    case "result":
      state.pending.delete(msg.id);
      req.resolve(msg.result);
      break;
    case "cancelled":
      state.pending.delete(msg.id);
      req.reject(makeError("Cancelled", "The run was cancelled."));
      break;
    case "error": {
      state.pending.delete(msg.id);
      const e = msg.error || {};
      req.reject(makeError(e.kind || "Error", e.message || "unknown error", e.field));
      break;
    }
    default:
      break;
  }
}

// A helper that fails is dropped for good (runParallel then uses the workers left):
// only the main worker is worth restarting.
function retire(state, reason) {
  if (!helpers || !helpers.includes(state)) return;
  helpers = helpers.filter((h) => h !== state);
  state.dead = true;  // a share loop between two parts must not post to it again (it would never answer)
  state.terminate();
  const err = makeError("WorkerRestarted", `A helper worker stopped (${reason}).`);
  for (const req of state.pending.values()) req.reject(err);
  state.pending.clear();
  state.settle.reject(err);
}

function restart(state, reason) {
  if (state.helper) { retire(state, reason); return; }
  if (state.code) { restartCode(state, "WorkerRestarted", `The code worker stopped and was restarted (${reason}).`, reason); return; }
  if (state !== current) return;
  state.terminate();
  const now = Date.now();
  while (restarts.length && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
  restarts.push(now);
  const err = makeError("WorkerRestarted", `${RESTART_NOTICE} (${reason})`);
  for (const req of state.pending.values()) req.reject(err);
  state.pending.clear();
  state.settle.reject(makeError("WorkerRestarted", RESTART_NOTICE));
  if (restarts.length > MAX_RESTARTS) {
    // Keep a dead state so further requests fail at once instead of looping.
    current = { ...state, pending: new Map(), dead: true, ready: Promise.reject(err) };
    current.ready.catch(() => {});
    emit("load-error", { stage: "worker", message: `The computation worker keeps stopping (${reason}).` });
    return;
  }
  console.warn(`descentlab: ${RESTART_NOTICE} (${reason})`);
  current = startWorker();
  emit("worker-restarted", { reason });
}

// ---------------------------------------------------------------- the memory snapshot
// This build had none (or a bad one): once the page is interactive, a worker of its own
// starts a bare interpreter and stores its memory (web/worker.js makeSnapshot) for the
// next visit; it never answers requests and is terminated once done. `state.snapshot.made`
// becomes {size, ms} or {error}; "descentlab:snapshot" says so.
function makeSnapshotLater(state) {
  const start = () => {
    if (state.snapshotMaker || state !== current) return;
    const maker = new Worker(workerUrl(), { name: workerName("descentlab-snapshot") });
    state.snapshotMaker = maker;
    const done = (made) => {
      maker.terminate();
      state.snapshot.made = made;
      emit("snapshot", { ...state.snapshot });
    };
    maker.onmessage = (event) => {
      const msg = event.data || {};
      if (msg.type === "snapshot-made") done({ size: msg.size, ms: msg.ms });
      else if (msg.type === "snapshot-failed") done({ error: msg.message });
    };
    maker.onerror = (event) => { event.preventDefault(); done({ error: event.message || "the snapshot worker failed" }); };
  };
  const interactive = () => performance.getEntriesByName("descentlab:interactive", "mark").length > 0;
  if (interactive()) { setTimeout(start, 0); return; }
  const observer = new PerformanceObserver(() => { if (interactive()) { observer.disconnect(); start(); } });
  observer.observe({ type: "mark" });
  setTimeout(() => { observer.disconnect(); start(); }, SNAPSHOT_AFTER_MS);
}

// ---------------------------------------------------------------- the code worker
// Learner code runs there only (see the header). It loads silently, like a helper, and
// announces itself with "descentlab:code-worker" events.
function codeWorker() {
  if (!code) {
    code = startWorker("code");
    emit("code-worker", { state: "loading" });
  }
  return code;
}

function onCodeLoadMessage(state, msg) {
  if (msg.type === "ready") {
    state.isReady = true;
    state.version = msg.version;
    state.settle.resolve({ version: msg.version });
    emit("code-worker", { state: "ready" });
  } else if (msg.type === "load-error") {
    // every request waiting for it fails; the next request starts a fresh one
    const err = makeError("LoadError", `The code worker could not start: ${msg.message}`);
    err.stage = msg.stage;
    endCode(state, err);
  }
}

// Stop code worker `state` and reject what it had in flight with `err`.
function endCode(state, err) {
  if (state !== code) return;
  code = null;
  clearInterval(state.watchdog);
  state.dead = true;
  state.terminate();
  for (const req of state.pending.values()) req.reject(err);
  state.pending.clear();
  state.settle.reject(err);
}

// A code worker that stopped answering, crashed or was terminated: fail its requests with
// `kind` and start a fresh one at once, so the next run does not wait for a whole load.
function restartCode(state, kind, message, reason) {
  if (state !== code) return;
  endCode(state, makeError(kind, message));
  emit("code-worker", { state: "restarted", reason });
  codeWorker();
}

// The watchdog: while the code worker is ready and has a request in flight, it must say
// something (progress, a result) at least every CODE_SILENCE_MS.
function watch(state) {
  if (state.watchdog) return;
  state.watchdog = setInterval(() => {
    if (state.dead || !state.pending.size) { clearInterval(state.watchdog); state.watchdog = null; return; }
    if (!state.isReady) { state.heard = Date.now(); return; }  // loading: the clock starts once ready
    // a paused run is silent by request: the clock starts again when it goes on
    if ([...state.pending.values()].every((r) => r.paused)) { state.heard = Date.now(); return; }
    const now = Date.now();
    if (now - state.heard > CODE_SILENCE_MS) {
      restartCode(state, "CodeTimeout", CODE_TIMEOUT_NOTICE, `no answer for ${CODE_SILENCE_MS / 1000} s`);
    } else if ([...state.pending.values()].some((r) => r.cancelledAt && now - r.cancelledAt > CODE_CANCEL_MS)) {
      // a cancelled run is stuck inside learner code: stopping the worker is the only way
      restartCode(state, "Cancelled", "The run was cancelled.", "a cancelled run did not stop");
    }
  }, Math.min(1000, CODE_SILENCE_MS / 4));
}

// Whether `spec` carries learner code: an optimizer entry named "custom" in any
// "optimizers" list (a landscape's, a network's, a projection's network's) or "optimizer".
function hasCode(spec) {
  const stack = [[spec, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop();
    if (v === null || typeof v !== "object" || depth > MAX_DEPTH) continue;
    for (const [k, x] of Object.entries(v)) {
      if (x === null || typeof x !== "object") continue;
      const entries = k === "optimizers" && Array.isArray(x) ? x : k === "optimizer" ? [x] : [];
      if (entries.some((e) => e && typeof e === "object" && e.name === "custom")) return true;
      if (!Array.isArray(x) || (x.length && x[0] !== null && typeof x[0] === "object")) stack.push([x, depth + 1]);
    }
  }
  return false;
}

function request(payload, { onProgress, kind } = {}, state = current) {
  const id = nextId++;
  const promise = new Promise((resolve, reject) => {
    if (state.dead) {
      reject(makeError("WorkerRestarted", "The computation worker is not available; reload the page."));
      return;
    }
    const deep = payload.type === "run" ? depthError(payload.spec, "") : depthError(payload.args, "args");
    if (deep) { reject(deep); return; }
    const req = { resolve, reject, onProgress, kind, seq: null };
    // a request joining an idle code worker starts its silence clock now
    if (state.code && !state.pending.size) state.heard = Date.now();
    state.pending.set(id, req);
    try {
      req.seq = send(state, { id, ...payload });
    } catch (e) {
      state.pending.delete(id);
      reject(makeError("BadMessage", `The request could not be sent to the worker: ${e.message}`));
      return;
    }
    if (state.code) watch(state);
  });
  promise.id = id;
  return promise;
}

function cancel(target) {
  const states = [current, ...(helpers || []), ...(code ? [code] : [])];
  const all = target === undefined || target === null;
  const ids = all
    ? [...parallelRuns.keys(), ...states.flatMap((st) => [...st.pending].filter(([, r]) => r.kind === "run").map(([id]) => id))]
    : [typeof target === "object" ? target.id : target];
  let found = false;
  for (const id of ids) {
    if (parallelRuns.has(id)) { parallelRuns.get(id).abort(); found = true; continue; }
    for (const st of states) {
      if (st.pending.has(id)) {
        send(st, { type: "cancel", target: id });
        st.pending.get(id).paused = false;   // a paused run ends now: the watchdog listens again
        if (st.code) st.pending.get(id).cancelledAt = Date.now();  // the watchdog makes sure it ends
        found = true;
      }
    }
  }
  return found;
}

// pause, resume or step ("pause" | "resume" | "step") the run() `target` (its promise or id).
function control(type, target) {
  const id = target !== null && typeof target === "object" ? target.id : target;
  const states = [current, ...(helpers || []), ...(code ? [code] : [])];
  const state = states.find((st) => st.pending.has(id) && st.pending.get(id).kind === "run");
  if (!state) return Promise.resolve({ target: id, running: false, paused: false, done: null, total: null, finished: type === "step" || undefined });
  const req = state.pending.get(id);
  if (type !== "pause") { req.paused = false; state.heard = Date.now(); }   // it computes again
  return request({ type, target: id }, { kind: "control" }, state).then((r) => {
    if (state.pending.get(id) === req) req.paused = r.paused;
    return r;
  });
}

function run(spec, { onProgress, signal, pool = false } = {}) {
  if (signal && signal.aborted) return Promise.reject(makeError("Cancelled", "The run was cancelled."));
  const state = hasCode(spec) ? codeWorker() : pool ? freeWorker() : current;
  const promise = request({ type: "run", spec }, { onProgress, kind: "run" }, state);
  if (signal) signal.addEventListener("abort", () => cancel(promise.id), { once: true });
  return promise;
}

function startHelpers() {
  // after the main worker is up, so the first scene never waits for a helper's load
  helpers = [];
  current.ready.then(() => {
    for (let i = 1; i < POOL_MAX; i++) helpers.push(startWorker("helper"));
  }, () => {});
}

// The ready worker of the pool with the fewest requests in flight (the main one on a tie;
// the first such call starts the helpers, as runParallel's does).
function freeWorker() {
  if (!helpers) startHelpers();
  const ready = [current, ...helpers].filter((st) => st.isReady && !st.dead);
  return ready.length ? ready.reduce((best, st) => (st.pending.size < best.pending.size ? st : best)) : current;
}

const parallelRuns = new Map();  // id of a runParallel promise -> its AbortController

// Each optimizer of a landscape spec races alone, so its run is the same whichever worker
// computes it. Every ready worker takes the next optimizer ("only": i, the whole spec still
// validated) as soon as it is free; that balances cheap runs (SGD) against dear ones (NAdam)
// without a cost model.
function runParallel(spec, { onProgress, signal } = {}) {
  const id = nextId++;
  const controller = new AbortController();
  const forward = () => controller.abort();
  if (signal) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener("abort", forward, { once: true });
  }
  parallelRuns.set(id, controller);
  const promise = shareRun(spec, onProgress, controller.signal).finally(() => {
    parallelRuns.delete(id);
    if (signal) signal.removeEventListener("abort", forward);
  });
  promise.id = id;
  return promise;
}

async function shareRun(spec, onProgress, signal) {
  if (hasCode(spec)) return run(spec, { onProgress, signal });  // learner code: the code worker alone
  if (!helpers) startHelpers();
  const pool = [current, ...helpers].filter((st) => st.isReady && !st.dead);
  const opts = spec && spec.kind === "landscape" && !spec.record_state && spec.only === undefined
    && Array.isArray(spec.optimizers) ? spec.optimizers : [];
  if (pool.length < 2 || opts.length < 2) return run(spec, { onProgress, signal });
  if (signal.aborted) throw makeError("Cancelled", "The run was cancelled.");
  const results = new Array(opts.length);
  const inflight = new Set();
  let stopped = false, next = 0, done = 0;
  const abort = () => { stopped = true; for (const p of inflight) cancel(p); };
  signal.addEventListener("abort", abort, { once: true });
  const share = async (state) => {
    while (!stopped && next < opts.length) {
      const i = next++;
      const p = request({ type: "run", spec: { ...spec, only: i } }, { kind: "run" }, state);
      inflight.add(p);
      try { results[i] = await p; } finally { inflight.delete(p); }
      if (stopped) return;
      done += 1;
      if (onProgress) onProgress({ done, total: opts.length });
    }
  };
  try {
    await Promise.all(pool.map(share));
    // an abort may land while the parts in flight still finish: some slots stay empty
    if (signal.aborted) throw makeError("Cancelled", "The run was cancelled.");
  } catch (err) {
    abort();
    // A SpecError names the field as in the whole spec already; a helper that stopped
    // leaves the whole run to the main worker.
    if (err.kind !== "WorkerRestarted" || signal.aborted) throw err;
    return run(spec, { onProgress, signal });
  } finally {
    signal.removeEventListener("abort", abort);
  }
  const merged = { ...results[0], runs: results.map((r) => r.runs[0]) };
  delete merged.digest;
  return merged;
}

// Calls that take a spec first: one carrying learner code is validated or traced in the
// code worker (the main worker would refuse it by name).
const SPEC_CALLS = ["validate", "trace"];

function call(fn, ...args) {
  const state = SPEC_CALLS.includes(fn) && hasCode(args[0]) ? codeWorker() : current;
  return request({ type: "call", fn, args }, { kind: "call" }, state);
}

function callCode(fn, ...args) {
  return request({ type: "call", fn, args }, { kind: "call" }, codeWorker());
}

current = startWorker();

export const descentlab = {
  get ready() { return current.ready; },
  get version() { return current.version; },
  get loadState() { return current.loadState; },
  get loadTimings() { return current.loadTimings || null; },   // ms per loading stage (worker.js load())
  // once ready: {state: "used" | "none" | "rejected" | "off", reason?, made: null | {size, ms} | {error}}
  // (whether the interpreter came from a stored memory snapshot; one made for the next visit)
  get snapshot() { return current.snapshot || null; },
  get _worker() { return current.worker; },   // for tests: terminate() it to test recovery
  get poolSize() { return 1 + (helpers || []).filter((h) => h.isReady).length; },
  get _helperWorkers() { return (helpers || []).map((h) => h.worker); },  // for tests, as _worker
  get _codeWorker() { return code ? code.worker : null; },                // for tests, as _worker
  // start the code worker ahead of its first request (an editor opening); -> its ready promise
  startCode() { return codeWorker().ready; },
  // for tests: post any message (unreadable ones too) to the main worker, counted as the
  // API counts its own; resolves with the worker's final reply to it
  _postRaw(message) {
    const state = current;
    return new Promise((resolve) => { state.rawWaiters.set(send(state, message), resolve); });
  },
  run,
  runParallel,
  poolRun: true,
  cancel,
  pause: (target) => control("pause", target),
  resume: (target) => control("resume", target),
  stepOnce: (target) => control("step", target),
  call,
  callCode,
  hasCode,
};

window.descentlab = descentlab;
export default descentlab;
