// Descent Lab computation worker (classic worker).
//
// Loads Pyodide + NumPy + descentlab from this directory (dist/ root) and answers
// id-tagged messages from api.js. Data crosses the Python boundary as JSON text, except
// long lists of floats (paths, losses, embeddings), which travel as their raw IEEE-754
// bytes: printing and parsing ~10^4 shortest-repr floats cost more than computing a
// landscape scene. Both ways every float arrives bit for bit.
//
// In:  {id, type: "run", spec}         -> {id, type: "progress", done, total, partial?}*,
//                                          then {id, type: "result", result}
//      {id, type: "cancel"} or {type: "cancel", target}
//                                       -> {id: target, type: "cancelled"}
//      {id, type: "call", fn, args}     -> {id, type: "result", result}
// Out: {type: "progress", stage, fraction} while loading (fraction of the whole load, 0..1),
//      {type: "ready", version} once, or {type: "load-error", stage, message}.
//      Failures: {id, type: "error", error: {kind: "SpecError", field, message}}
//                or {id, type: "error", error: {kind: "Error", message}}.
"use strict";

// The single-file build runs this from a Blob URL and serves Pyodide's files itself under
// DESCENTLAB_BASE_URL (see web/single/worker-prelude.js); a served dist/ uses this directory.
const BASE_URL = self.DESCENTLAB_BASE_URL || new URL(".", self.location.href).href;
const ALLOWED_CALLS = ["list_catalog", "kernel_digests", "validate", "explain", "llm_prompt", "parse_llm_answer"];

// The small Python glue. Generators live in a dict keyed by run id, so JavaScript never
// holds a PyProxy; every function returns a JSON string.
const PY_GLUE = `
import json, math, traceback
import numpy as np
import descentlab

BINARY_MIN_FLOATS = 64  # shorter float lists stay in the JSON text
_BLOB = [b""]           # raw float64 bytes of the last chunk, fetched by take_blob()

_RUNS = {}
_ALLOWED = frozenset(${JSON.stringify(ALLOWED_CALLS)})

def _plain(o):
    # numpy scalars / arrays, should the core ever hand one back
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")

def _finite(o):
    # JSON has no NaN/Infinity: map them to null, as JSON.stringify does
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o

def _pack(o, arrays, count):
    # Replace each long, finite float array or float list (or list of float lists) by {"$f64": [offset, *shape]}
    # into one float64 buffer; anything else (ints, bools, None, NaN) stays JSON.  A list that
    # starts with a float is taken for numbers (results never mix booleans into one).
    if isinstance(o, dict):
        return {k: _pack(v, arrays, count) for k, v in o.items()}
    a = o if isinstance(o, np.ndarray) else None
    if isinstance(o, (list, tuple)) and o:
        first = o[0]
        if type(first) is float or (isinstance(first, list) and first and type(first[0]) is float):
            try:
                a = np.asarray(o)
            except ValueError:  # ragged
                pass
    if a is not None and a.dtype == np.float64 and a.size >= BINARY_MIN_FLOATS and np.isfinite(a).all():
        ref = {"$f64": [count[0], *a.shape]}
        arrays.append(a.ravel())
        count[0] += a.size
        return ref
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (list, tuple)) and o and isinstance(o[0], (dict, list, tuple)):
        return [_pack(v, arrays, count) for v in o]
    return o

def _dumps_packed(o):
    arrays = []
    packed = _pack(o, arrays, [0])
    _BLOB[0] = np.concatenate(arrays).astype("<f8").tobytes() if arrays else b""
    return _dumps(packed)

def take_blob():
    blob, _BLOB[0] = _BLOB[0], b""
    return blob

def _dumps(o):
    try:
        return json.dumps(o, allow_nan=False, default=_plain)
    except ValueError:
        return json.dumps(_finite(json.loads(json.dumps(o, default=_plain))), allow_nan=False)

def _error(e):
    if isinstance(e, descentlab.SpecError):
        return {"kind": "SpecError", "field": str(getattr(e, "field", "")),
                "message": str(getattr(e, "message", e))}
    lines = traceback.format_exception_only(type(e), e)
    last = lines[-1].strip() if lines else type(e).__name__
    return {"kind": "Error", "message": last}

def start(run_id, spec_json):
    try:
        _RUNS[run_id] = descentlab.iter_run(json.loads(spec_json), arrays=True)
        return _dumps({"ok": True})
    except Exception as e:
        return _dumps({"error": _error(e)})

def step(run_id):
    gen = _RUNS.get(run_id)
    if gen is None:
        return _dumps({"error": {"kind": "Error", "message": "no such run"}})
    try:
        chunk = next(gen)
    except StopIteration:
        _RUNS.pop(run_id, None)
        return _dumps({"error": {"kind": "Error", "message": "iter_run ended without a result"}})
    except Exception as e:
        _RUNS.pop(run_id, None)
        return _dumps({"error": _error(e)})
    if isinstance(chunk, dict) and "result" in chunk:
        _RUNS.pop(run_id, None)
        gen.close()
    return _dumps_packed({"chunk": chunk})

def stop(run_id):
    gen = _RUNS.pop(run_id, None)
    if gen is not None:
        gen.close()

def call(name, args_json):
    try:
        if name not in _ALLOWED:
            raise ValueError(f"descentlab.{name} cannot be called from the page")
        return _dumps({"ok": getattr(descentlab, name)(*json.loads(args_json))})
    except Exception as e:
        return _dumps({"error": _error(e)})
`;

let glue = null;          // {start, step, stop, call}: Python functions
let loadFailure = null;   // message once loading failed
const cancelled = new Set();

function post(msg) {
  self.postMessage(msg);
}

function errorText(e) {
  if (e && typeof e.message === "string") return e.message.trim().split("\n").pop() || String(e);
  return String(e);
}

// Undo the glue's _pack: every {"$f64": [offset, ...shape]} becomes (nested) arrays of
// the floats stored at that offset in the bytes take_blob() returns.
function unpackFloats(obj) {
  const proxy = glue.takeBlob();
  const bytes = proxy.toJs();
  proxy.destroy();
  if (!bytes.length) return obj;
  const f64 = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const build = (offset, shape) => {
    if (shape.length === 1) return Array.from(f64.subarray(offset, offset + shape[0]));
    const [n, ...rest] = shape;
    const stride = rest.reduce((a, b) => a * b, 1);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = build(offset + i * stride, rest);
    return out;
  };
  const walk = (o) => {
    if (Array.isArray(o)) { for (let i = 0; i < o.length; i++) o[i] = walk(o[i]); return o; }
    if (o && typeof o === "object") {
      if (Array.isArray(o.$f64)) { const [offset, ...shape] = o.$f64; return build(offset, shape); }
      for (const k of Object.keys(o)) o[k] = walk(o[k]);
    }
    return o;
  };
  return walk(obj);
}

// Yield to the event loop so queued messages (a "cancel") get handled. A MessageChannel
// task is not clamped to 4 ms the way nested setTimeout(0) is.
const yieldChannel = new MessageChannel();
const yieldQueue = [];
yieldChannel.port1.onmessage = () => { const r = yieldQueue.shift(); if (r) r(); };
function yieldToEventLoop() {
  return new Promise((resolve) => { yieldQueue.push(resolve); yieldChannel.port2.postMessage(0); });
}

async function load() {
  let stage = "runtime";
  try {
    post({ type: "progress", stage, fraction: 0 });
    importScripts(BASE_URL + "pyodide.js");
    const pyodide = await loadPyodide({ indexURL: BASE_URL });
    // pyodide-lock.json in this directory lists exactly numpy and descentlab; loadPackage
    // fetches each wheel with the lock's sha256 as the fetch integrity.
    const quiet = () => {};
    const errors = [];
    const onError = (m) => errors.push(String(m).trim().replace(/:$/, ""));
    stage = "numpy";
    post({ type: "progress", stage, fraction: 0.6 });
    await pyodide.loadPackage(["numpy"], { messageCallback: quiet, errorCallback: onError });
    if (errors.length) throw new Error(errors.join(": "));
    stage = "descentlab";
    post({ type: "progress", stage, fraction: 0.85 });
    await pyodide.loadPackage(["numpy", "descentlab"], { messageCallback: quiet, errorCallback: onError });
    if (errors.length) throw new Error(errors.join(": "));
    pyodide.runPython(PY_GLUE);
    const g = pyodide.globals;
    glue = { start: g.get("start"), step: g.get("step"), stop: g.get("stop"), call: g.get("call"),
      takeBlob: g.get("take_blob") };
    const version = pyodide.runPython("descentlab.__version__");
    post({ type: "progress", stage, fraction: 1 });
    post({ type: "ready", version });
  } catch (e) {
    loadFailure = `Could not load ${stage}: ${errorText(e)}`;
    post({ type: "load-error", stage, message: loadFailure });
    throw e;
  }
}

const ready = load();
ready.catch(() => {}); // reported as "load-error"; each request then gets an error reply

async function handleRun(id, spec) {
  try {
    const started = JSON.parse(glue.start(id, JSON.stringify(spec)));
    if (started.error) { post({ id, type: "error", error: started.error }); return; }
    for (;;) {
      if (cancelled.has(id)) {
        glue.stop(id);
        post({ id, type: "cancelled" });
        return;
      }
      const out = unpackFloats(JSON.parse(glue.step(id)));
      if (out.error) { post({ id, type: "error", error: out.error }); return; }
      const chunk = out.chunk || {};
      if ("result" in chunk) { post({ id, type: "result", result: chunk.result }); return; }
      const { done, total, ...partial } = chunk;
      const msg = { id, type: "progress", done, total };
      if (Object.keys(partial).length) msg.partial = partial;
      post(msg);
      await yieldToEventLoop();
    }
  } finally {
    cancelled.delete(id);
  }
}

function handleCall(id, fn, args) {
  if (!ALLOWED_CALLS.includes(fn)) {
    post({ id, type: "error", error: { kind: "Error", message: `descentlab.${fn} cannot be called from the page` } });
    return;
  }
  const out = JSON.parse(glue.call(fn, JSON.stringify(args || [])));
  if (out.error) post({ id, type: "error", error: out.error });
  else post({ id, type: "result", result: out.ok });
}

self.onmessage = async (event) => {
  const msg = event.data || {};
  const { id, type } = msg;
  if (type === "cancel") {
    // Mark first: the run loop checks the mark after its current chunk.
    // A cancel may also overtake its run while the runtime is still loading.
    cancelled.add(msg.target !== undefined ? msg.target : id);
    return;
  }
  try {
    await ready;
  } catch (e) {
    post({ id, type: "error", error: { kind: "Error", message: loadFailure || errorText(e) } });
    return;
  }
  try {
    if (type === "run") await handleRun(id, msg.spec);
    else if (type === "call") handleCall(id, msg.fn, msg.args);
    else post({ id, type: "error", error: { kind: "Error", message: `unknown request type ${JSON.stringify(type)}` } });
  } catch (e) {
    post({ id, type: "error", error: { kind: "Error", message: errorText(e) } });
  }
};
