// Descent Lab computation worker (classic worker).
//
// Loads Pyodide + NumPy + descentlab from this directory (dist/ root) and answers
// id-tagged messages from api.js. Data crosses the Python boundary as JSON text, except
// long lists of floats (paths, losses, embeddings), which travel as their raw IEEE-754
// bytes: printing and parsing ~10^4 shortest-repr floats cost more than computing a
// landscape scene. Both ways every float arrives bit for bit.
//
// In:  {id, type: "run", spec}         -> {id, type: "progress", done, total, partial?}*,
//                                          (specs with learner code: code worker only)
//                                          then {id, seq, type: "result", result}
//      {id, type: "cancel"} or {type: "cancel", target}
//                                       -> {id: target, seq, type: "cancelled"} (from the run)
//      {id, type: "call", fn, args}     -> {id, seq, type: "result", result}
//      {id?, type: "pause", target}     -> {id, seq, type: "result", result: control state} at once;
//                                          the run pulls no chunk of its generator until
//                                          "resume" or "step" (or "cancel"), so no progress
//                                          item of it follows this answer
//      {id?, type: "resume", target}    -> {id, seq, type: "result", result: control state} at once
//      {id?, type: "step", target}      -> the run (paused first if it was not) pulls exactly
//                                          one more chunk: its progress item (or its result),
//                                          then {id, seq, type: "result", result: control state}
//                                          (when the run ends first: running false, finished true)
//        control state: {target, running, paused, done, total}: running is whether the run
//        `target` was received and has not ended (a pause of an ended run changes nothing);
//        done/total are its last progress item's (null before the first). The reply's id is
//        the control message's own id when it has one (not the target's: that would end the
//        run's request in the page), else null, and seq matches it as for any request.
// Out: {type: "progress", stage, fraction, bytes} while loading: stage "runtime" (the runtime's
//      files arriving), "python" (interpreter starting), "numpy", "descentlab" (imports);
//      fraction of the whole load, 0..1, never decreasing; bytes {runtime: {loaded, total},
//      packages: {loaded, total}} counted as the files arrive (total 0 while unknown; null in
//      the one-file app, whose files are unpacked from the page, not downloaded),
//      {type: "ready", version, timings, snapshot} once (timings: ms per loading stage, see
//      load(); snapshot: {state, reason?}, whether the interpreter came from a memory
//      snapshot, see startPython()),
//      or {type: "load-error", stage, message}.
//      Failures: {id, seq, type: "error", error: {kind: "SpecError", field, message}}
//                or {id, seq, type: "error", error: {kind: "Error" | "BadMessage", message}}.
//
// The snapshot maker (new Worker(url, {name: "descentlab-snapshot@<build id>"})) only makes the memory
// snapshot (see makeSnapshot) and says {type: "snapshot-made", size, ms} or
// {type: "snapshot-failed", message}; it answers no request.
//
// Two kinds of worker run this file. The main worker (and runParallel's helpers) never
// runs learner code: a spec with a {"name": "custom", "code"} optimizer is a SpecError
// naming optimizers[i].code there. The code worker, started by api.js as
// new Worker(url, {name: "descentlab-code"}), runs such specs (allow_code) and answers the
// calls of worker_glue.CODE_CALLS instead of ALLOWED_CALLS. Once Pyodide, NumPy and
// descentlab are loaded, and before it says "ready" (no request is handled before that),
// it removes its own way out (lockDown): network (fetch, XMLHttpRequest, importScripts,
// WebSocket, EventSource, WebTransport, FontFace, Worker, ...), storage (indexedDB, caches,
// navigator.storage, ...) and fresh JavaScript source (eval, Function, string timers: a
// dynamic import() would fetch). Learner code can reach JavaScript objects through
// Pyodide, so the names are made unusable in the worker's JavaScript itself; should that
// fail, the worker reports a load error instead of running code. The page's watchdog
// (api.js, CODE_SILENCE_MS) terminates a code worker that stays silent during a request.
//
// Every message gets an answer, even one this worker cannot read. `seq` counts the
// messages received (1, 2, ...), unreadable ones included ("messageerror": structured
// clone failed, e.g. an object nested a few thousand deep); messages arrive in the order
// they were posted, so the sender can match a reply to its request by seq even when the
// request's id was lost with the rest of it.
"use strict";

// The single-file build runs this from a Blob URL and serves Pyodide's files itself under
// DESCENTLAB_BASE_URL (see web/single/worker-prelude.js); a served dist/ uses this directory.
const BASE_URL = self.DESCENTLAB_BASE_URL || new URL(".", self.location.href).href;
// The Python half of the worker is a module of the wheel: pywasm/descentlab/worker_glue.py.
// It owns the list of functions the page may call (ALLOWED_CALLS, or CODE_CALLS in the
// code worker), read from it at load.
let ALLOWED_CALLS = [];
// The code worker (see above): the page names it so.
const CODE_WORKER = self.name === "descentlab-code";

let glue = null;          // {start, step, stop, call, takeBlob}: functions of descentlab.worker_glue
let loadFailure = null;   // message once loading failed
const cancelled = new Set();
const active = new Set();    // ids of runs received and not yet ended ("pause" only acts on these)
const paused = new Map();    // run id -> {credit: chunks "step" still allows, wake: resolves the run loop's wait}
const owedSteps = new Map(); // run id -> [{id, seq}] of "step" messages answered after their chunk
const lastProgress = new Map(); // run id -> {done, total} of its last progress item
let received = 0;         // messages seen so far, unreadable ones included: each one's seq

function post(msg) {
  self.postMessage(msg);
}

function errorText(e) {
  if (e && typeof e.message === "string") return e.message.trim().split("\n").pop() || String(e);
  return String(e);
}

// A failure as the page API reports it. Every error gets a kind: a stack overflow
// ("Maximum call stack size exceeded", a RangeError) means the request was nested too deeply.
class RequestError extends Error {
  constructor(kind, message, field) {
    super(message);
    this.kind = kind;
    if (field !== undefined) this.field = field;
  }
}
function errorOf(e) {
  if (e instanceof RequestError) return e.field === undefined ? { kind: e.kind, message: e.message }
    : { kind: e.kind, field: e.field, message: e.message };
  if (e instanceof RangeError && /call stack/i.test(String(e.message))) {
    return { kind: "SpecError", field: "spec", message: `nested too deeply to read (${errorText(e)})` };
  }
  return { kind: "Error", message: errorText(e) };
}

// JSON text for Python. JSON.stringify writes -0 as "0", so a start of [-0.0, 0.5] would
// reach Python as [0, 0.5] and give another digest than natively: this writer keeps the
// sign ("-0.0" parses back to -0.0 in Python). It also refuses, with the field's path,
// anything nested deeper than MAX_DEPTH (a spec needs about ten levels; JSON.stringify
// and Python's json.loads would overflow their stacks a few thousand levels down).
// Otherwise it writes what JSON.stringify writes: NaN and ±Infinity as null, undefined
// and functions left out of objects and null in arrays.
const MAX_DEPTH = 100;
function toJSON(value, root = "spec") {
  const out = [];
  const write = (v, path, depth) => {
    if (v === null || v === undefined || typeof v === "function" || typeof v === "symbol") { out.push("null"); return; }
    if (typeof v === "number") {
      out.push(!Number.isFinite(v) ? "null" : Object.is(v, -0) ? "-0.0" : String(v));
      return;
    }
    if (typeof v === "bigint") { out.push(v.toString()); return; }
    if (typeof v === "string" || typeof v === "boolean") { out.push(JSON.stringify(v)); return; }
    if (depth >= MAX_DEPTH) {
      // the field is the top-level one the caller wrote; the message says where inside it
      const top = path.match(/^[^.[]*/)[0] || root;
      throw new RequestError("SpecError", `nested deeper than ${MAX_DEPTH} levels (at ${path.slice(0, 60)}…)`, top);
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) { write(v.valueOf(), path, depth); return; }
    if (Array.isArray(v)) {
      out.push("[");
      v.forEach((item, i) => { if (i) out.push(","); write(item, `${path}[${i}]`, depth + 1); });
      out.push("]");
      return;
    }
    out.push("{");
    let first = true;
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(k), ":");
      write(item, path ? `${path}.${k}` : k, depth + 1);
    }
    out.push("}");
  };
  write(value, root, 0);
  return out.join("");
}

// Undo worker_glue.pack: every {"$f64": [offset, ...shape]} becomes (nested) arrays of
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

// Yield to the event loop so queued messages (a "cancel", a "pause") get handled. A MessageChannel
// task is not clamped to 4 ms the way nested setTimeout(0) is.
const yieldChannel = new MessageChannel();
const yieldQueue = [];
yieldChannel.port1.onmessage = () => { const r = yieldQueue.shift(); if (r) r(); };
function yieldToEventLoop() {
  return new Promise((resolve) => { yieldQueue.push(resolve); yieldChannel.port2.postMessage(0); });
}

// How long each loading stage took (ms, this worker's clock), sent with "ready" so the page
// can show the breakdown (descentlab.startup, bench/bench_startup.py): fetch of the runtime's
// files, then compile + instantiate + interpreter start (the rest of loadPyodide; both
// packages' archives arrive alongside: see load()), NumPy's files written (and, in the
// one-file app, unpacked from the page first), NumPy imported, Descent Lab's files written
// and Descent Lab imported.
// `began`: when this script started, in ms since the page's navigation once the page
// subtracts its own timeOrigin (api.js): the worker's clock starts at its own creation.
const timings = { began: performance.timeOrigin + performance.now() };
let lapFrom = performance.now();
function lap(name) { const now = performance.now(); timings[name] = now - lapFrom; lapFrom = now; }
// When the runtime's own files had arrived (Resource Timing; 0 where the worker cannot see it).
function fetchedBy(start) {
  const ends = performance.getEntriesByType("resource")
    .filter((e) => /pyodide\.asm\.(wasm|js)|python_stdlib\.zip/.test(e.name)).map((e) => e.responseEnd);
  return ends.length ? Math.max(start, ...ends) - start : 0;
}

// ---------------------------------------------------------------- loading progress in bytes
// Pyodide fetches the runtime's files (pyodide.asm.wasm, python_stdlib.zip, the lock) with
// fetch(); wrapped during load(), each such response is cloned and the clone read to count its
// bytes as they arrive, while Pyodide gets the original untouched: its URL (the wasm code
// cache keys on it) and its streaming compile stay as they were. Pyodide's asm.js comes by
// importScripts and is not counted. The packages' archives are counted as they arrive by
// whoever fetches them: the unpacker, or this thread (see "packages").
const BYTE_GROUPS = [["runtime", /pyodide\.asm\.wasm$|python_stdlib\.zip$|pyodide-lock\.json$/], ["packages", /\.tar\.gz$/]];
const PROGRESS_EVERY_MS = 100;     // at most this often a byte count is posted
// The share of the bar each stage fills when it ends: bytes first, then each stage named.
const STAGE_END = { runtime: 0.55, python: 0.75, numpy: 0.9, descentlab: 1, sandbox: 1 };
const progress = {
  stage: "runtime",
  fraction: 0,
  bytes: self.DESCENTLAB_EMBEDDED ? null : { runtime: { loaded: 0, total: 0 }, packages: { loaded: 0, total: 0 } },
  postedAt: 0,
  timer: null,
  over: false,
};

function groupOf(url) {
  const path = url.split(/[?#]/)[0];
  for (const [group, re] of BYTE_GROUPS) if (re.test(path)) return group;
  return null;
}

function postProgress(stage = progress.stage) {
  clearTimeout(progress.timer);
  progress.timer = null;
  progress.stage = stage;
  const start = { runtime: 0, python: STAGE_END.runtime, numpy: STAGE_END.python, descentlab: STAGE_END.numpy, sandbox: 1 }[stage] || 0;
  let f = start;
  if (stage === "runtime" && progress.bytes) {
    const { runtime, packages } = progress.bytes;
    const total = runtime.total + packages.total;
    if (total > 0) f = STAGE_END.runtime * Math.min(1, (runtime.loaded + packages.loaded) / total);
  }
  progress.fraction = Math.max(progress.fraction, f);
  progress.postedAt = performance.now();
  post({ type: "progress", stage, fraction: progress.fraction, bytes: progress.bytes && structuredClone(progress.bytes) });
}

// A byte count changed: post it now, or a little later (at most every PROGRESS_EVERY_MS).
function bytesArrived() {
  if (progress.over) return;   // ready or failed: no progress after that
  const { runtime } = progress.bytes;
  if (progress.stage === "runtime" && runtime.total > 0 && runtime.loaded >= runtime.total) {
    postProgress("python");   // the runtime is all here: what remains is starting it
    return;
  }
  if (progress.timer) return;
  const wait = Math.max(0, PROGRESS_EVERY_MS - (performance.now() - progress.postedAt));
  progress.timer = setTimeout(() => postProgress(), wait);
}

// Wrap fetch to count bytes; returns the function that puts the previous fetch back.
function countBytes() {
  if (!progress.bytes) return () => {};
  const inner = self.fetch;
  self.fetch = async (input, init) => {
    const response = await inner(input, init);
    const group = groupOf(input instanceof Request ? input.url : String(input));
    if (!group || !response.ok || !response.body) return response;
    const counter = progress.bytes[group];
    counter.total += Number(response.headers.get("Content-Length")) || 0;
    const reader = response.clone().body.getReader();
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        counter.loaded += value.byteLength;
        bytesArrived();
      }
    })().catch(() => {});   // a failed download is Pyodide's to report
    bytesArrived();
    return response;
  };
  return () => { self.fetch = inner; };
}

// ---------------------------------------------------------------- packages
// NumPy and Descent Lab ship as gzipped ustar archives of their wheels' files
// (buildtool/archive.py), named with their sha256 in pyodide-lock.json. Each is fetched with
// that sha256 as the fetch integrity and inflated by the browser's own gzip on a thread of
// its own (the unpacker) while this one starts the interpreter, then written into
// site-packages from JavaScript. Pyodide's loadPackage unzips a wheel with Python's zipfile
// inside wasm (0.33 s of every start for NumPy's), and inflating on this thread would wait
// for the interpreter's start, which holds the thread. The compiled extensions load when
// `import numpy` opens them (a worker may compile wasm synchronously), as after Pyodide's own
// unpackArchive.

// pyodide-lock.json's packages: {name: {file_name, sha256 (hex), ...}}. Read with the fetch
// that counts no bytes: Pyodide reads the lock too (and that read is counted), and ours,
// done first, would otherwise end the runtime's byte count before the wasm's had begun.
const uncountedFetch = self.fetch;
async function lockedPackages() {
  const response = await uncountedFetch(BASE_URL + "pyodide-lock.json");
  if (!response.ok) throw new Error(`pyodide-lock.json: HTTP ${response.status}`);
  return (await response.json()).packages;
}

// Fetch `url` with `integrity` and gunzip it; onBytes(n, total) as the gzipped bytes arrive.
// Self-contained: the unpacker runs this very function from its source.
async function fetchInflated(url, integrity, onBytes) {
  const response = await fetch(url, { integrity });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  onBytes(0, Number(response.headers.get("Content-Length")) || 0);
  const counter = new TransformStream({ transform(chunk, out) { onBytes(chunk.byteLength, 0); out.enqueue(chunk); } });
  const inflated = response.body.pipeThrough(counter).pipeThrough(new DecompressionStream("gzip"));
  return new Response(inflated).arrayBuffer();
}

// The unpacker's whole life: {name, url, integrity} in; {name, loaded, total} as bytes
// arrive, then {name, buffer} (transferred) or {name, error}.
function unpackerMain() {
  self.onmessage = async ({ data: { name, url, integrity } }) => {
    try {
      const buffer = await fetchInflated(url, integrity, (loaded, total) => self.postMessage({ name, loaded, total }));
      self.postMessage({ name, buffer }, [buffer]);
    } catch (e) {
      self.postMessage({ name, error: String((e && e.message) || e) });
    }
  };
}

// fetchArchive(packages, name) for this load: on the unpacker's thread when this worker can
// start one (the served app), else here (the one-file app, whose files come from the page
// through this thread's fetch: web/single/worker-prelude.js).
function archiveFetcher(offThread) {
  let unpacker = null;
  let unpackerUrl = null;
  if (offThread && typeof Worker === "function") {
    try {
      const source = `"use strict";\n${fetchInflated}\n(${unpackerMain})();\n`;
      unpackerUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      unpacker = new Worker(unpackerUrl, { name: "descentlab-unpacker" });
    } catch (e) {
      console.warn(`descentlab: no unpacker thread (${errorText(e)}); the packages are inflated on the worker's own`);
    }
  }
  const here = (job) => fetchInflated(job.url, job.integrity, () => {}).then((buffer) => new Uint8Array(buffer));   // counted by countBytes
  const waiting = new Map();   // name -> {url, integrity, resolve, reject}
  // The unpacker stopped (it could not start, or it failed): what it had, and what comes
  // later, is fetched and inflated on this thread instead.
  const unpackerFailed = (why) => {
    console.warn(`descentlab: the unpacker stopped (${why}); the packages are inflated on the worker's own thread`);
    unpacker.terminate();
    unpacker = null;
    for (const job of waiting.values()) here(job).then(job.resolve, job.reject);
    waiting.clear();
  };
  if (unpacker) {
    const counter = progress.bytes && progress.bytes.packages;
    unpacker.onmessage = ({ data }) => {
      const job = waiting.get(data.name);
      if (!job) return;
      if (data.buffer || data.error !== undefined) waiting.delete(data.name);
      if (data.buffer) job.resolve(new Uint8Array(data.buffer));
      else if (data.error !== undefined) job.reject(new Error(data.error));
      else if (counter && !progress.over) {
        counter.loaded += data.loaded;
        counter.total += data.total;
        bytesArrived();
      }
    };
    unpacker.onerror = (event) => {
      event.preventDefault();
      unpackerFailed(event.message || "no reason given");
    };
    unpacker.onmessageerror = () => unpackerFailed("a message it sent could not be read");
  }
  const fetchArchive = async (packages, name) => {
    const entry = packages[name];
    if (!entry) throw new Error(`pyodide-lock.json lists no package ${name}`);
    const url = BASE_URL + entry.file_name;
    const integrity = "sha256-" + btoa(String.fromCharCode(...entry.sha256.match(/../g).map((h) => parseInt(h, 16))));
    try {
      if (!unpacker) return await here({ url, integrity });
      return await new Promise((resolve, reject) => {
        waiting.set(name, { url, integrity, resolve, reject });
        unpacker.postMessage({ name, url, integrity });
      });
    } catch (e) {
      throw new Error(`${entry.file_name}: ${errorText(e)}`);
    }
  };
  const done = () => {
    if (unpacker) unpacker.terminate();
    if (unpackerUrl) URL.revokeObjectURL(unpackerUrl);
  };
  return [fetchArchive, done];
}

// The files of a ustar archive: [[path, bytes]], the bytes views into `tar`. Only what
// archive.py writes is accepted (regular files with ustar names); anything else throws.
function untar(tar, what) {
  const BLOCK = 512;
  const decoder = new TextDecoder();
  const files = [];
  const field = (at, length) => {
    const bytes = tar.subarray(at, at + length);
    const end = bytes.indexOf(0);
    return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
  };
  for (let at = 0; at + BLOCK <= tar.length;) {
    if (tar.subarray(at, at + BLOCK).every((b) => b === 0)) return files;   // the end-of-archive blocks
    if (field(at + 257, 6) !== "ustar") throw new Error(`${what}: not a ustar archive at byte ${at}`);
    const prefix = field(at + 345, 155);
    const path = (prefix ? prefix + "/" : "") + field(at, 100);
    const size = parseInt(field(at + 124, 12).trim(), 8);
    const type = String.fromCharCode(tar[at + 156]);
    const start = at + BLOCK;
    const regular = type === "0" || type === "\0";
    if (!regular || !(size >= 0) || start + size > tar.length || !path || path.startsWith("/") || path.split("/").includes("..")) {
      throw new Error(`${what}: unexpected entry "${path}" (type ${JSON.stringify(type)}, ${size} bytes)`);
    }
    files.push([path, tar.subarray(start, start + size)]);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error(`${what}: the archive ends without its end-of-archive blocks`);
}

// Write an archive's files into site-packages; Python's import system then finds them.
function install(pyodide, tar, what) {
  const site = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const [path, bytes] of untar(tar, what)) {
    const full = `${site}/${path}`;
    pyodide.FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
    pyodide.FS.writeFile(full, bytes);
  }
  // The one finder that may have listed site-packages before. Not importlib.invalidate_caches():
  // that imports importlib.metadata (~0.2 s here).
  pyodide.runPython(`import sys\n[f.invalidate_caches() for f in [sys.path_importer_cache.get(${JSON.stringify(site)})] if f]`);
}

// ---------------------------------------------------------------- memory snapshot
// Pyodide 0.27's memory snapshot of the bare interpreter (no package: NumPy's compiled
// extensions cannot be in one). Made once per build by a worker of its own (named
// SNAPSHOT_MAKER, started by api.js after the first visit is interactive), kept in Cache
// Storage under the build id with its sha256, and given to loadPyodide({_loadSnapshot}) on
// later visits: the interpreter then starts from that memory instead of running its own
// start-up. Another build's snapshot is deleted; a snapshot whose bytes do not match its
// sha256, or that loadPyodide cannot restore, is deleted and the load starts afresh.
// The page names the build in this worker's name ("<role>@<build id>", see api.js); none
// (the one-file app, a dev build, ?snapshot=0 on the page, the code worker) means no snapshot.
const [WORKER_ROLE, NAMED_BUILD] = (self.name || "").split("@");
const SNAPSHOT_MAKER = WORKER_ROLE === "descentlab-snapshot";
const BUILD = self.DESCENTLAB_EMBEDDED ? null : NAMED_BUILD;
const SNAPSHOTS = !!BUILD && BUILD !== "dev" && typeof caches !== "undefined";
const SNAPSHOT_CACHE = `descentlab-snapshot:${new URL(BASE_URL).pathname}`;
const SNAPSHOT_KEY = new URL(`descentlab-snapshot/${BUILD}`, BASE_URL).href;
const SHA_HEADER = "X-Descentlab-Sha256";

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// This build's stored snapshot (a Response, its body unread), or null; snapshots of other
// builds are deleted on the way.
async function findSnapshot() {
  const cache = await caches.open(SNAPSHOT_CACHE);
  for (const request of await cache.keys()) if (request.url !== SNAPSHOT_KEY) await cache.delete(request);
  return (await cache.match(SNAPSHOT_KEY)) || null;
}

// The snapshot's bytes once checked against their sha256 (rejects otherwise).
async function snapshotBytes(response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (await sha256Hex(bytes) !== response.headers.get(SHA_HEADER)) throw new Error("its bytes do not match its sha256");
  return bytes;
}

async function dropSnapshot() {
  try { await (await caches.open(SNAPSHOT_CACHE)).delete(SNAPSHOT_KEY); } catch (e) { /* nothing to drop */ }
}

// The snapshot maker's whole life: a bare interpreter, its memory into Cache Storage.
async function makeSnapshot() {
  const t0 = performance.now();
  try {
    if (!SNAPSHOTS) throw new Error("this build keeps no snapshot");
    importScripts(BASE_URL + "pyodide.js");
    const pyodide = await loadPyodide({ indexURL: BASE_URL, _makeSnapshot: true });
    const bytes = pyodide.makeMemorySnapshot();
    const headers = { "Content-Type": "application/octet-stream", [SHA_HEADER]: await sha256Hex(bytes) };
    const cache = await caches.open(SNAPSHOT_CACHE);
    await cache.put(SNAPSHOT_KEY, new Response(bytes, { headers }));
    post({ type: "snapshot-made", size: bytes.length, ms: performance.now() - t0 });
  } catch (e) {
    post({ type: "snapshot-failed", message: errorText(e) });
  }
}

// loadPyodide, from this build's snapshot when there is a good one. Returns [pyodide,
// {state: "used" | "none" | "rejected" | "off", reason?}].
async function startPython(options) {
  let snapshot = { state: SNAPSHOTS ? "none" : "off" };
  let found = null;
  if (SNAPSHOTS) {
    try { found = await findSnapshot(); } catch (e) { snapshot.reason = errorText(e); }
  }
  if (found) {
    try {
      // a promise: Pyodide awaits it only once its own script is in, so reading and
      // checking the bytes overlaps with that
      const bytes = snapshotBytes(found);
      bytes.catch(() => {});   // handled by loadPyodide's await (a rejection there is caught below)
      const pyodide = await loadPyodide({ ...options, _loadSnapshot: bytes });
      return [pyodide, { state: "used" }];
    } catch (e) {
      snapshot = { state: "rejected", reason: errorText(e) };
      console.warn(`descentlab: the stored interpreter snapshot was not used (${snapshot.reason}); starting afresh`);
      await dropSnapshot();
    }
  }
  return [await loadPyodide(options), snapshot];
}

async function load() {
  let stage = "runtime";
  const uncount = countBytes();
  let unpackerDone = () => {};   // stops the unpacker, on success or failure
  try {
    postProgress(stage);
    const t0 = lapFrom;
    importScripts(BASE_URL + "pyodide.js");
    // Both archives are fetched and inflated by the unpacker while the wasm compiles and the
    // interpreter starts, not after it. Not in the one-file app: there "fetching" a file is
    // unpacking it from the page on this very thread (web/single/worker-prelude.js), which
    // only delays the interpreter (measured: ready ~0.6 s later), so it follows the start.
    // A failure is reported at the stage that needs the package.
    const [fetchArchive, stopUnpacker] = archiveFetcher(!self.DESCENTLAB_EMBEDDED);
    unpackerDone = stopUnpacker;
    const archives = {};
    const fetchAll = () => {
      const lock = lockedPackages();
      for (const name of ["numpy", "descentlab"]) {
        archives[name] = lock.then((packages) => fetchArchive(packages, name));
        archives[name].catch(() => {});   // awaited (and reported) by its stage below
      }
    };
    if (!self.DESCENTLAB_EMBEDDED) fetchAll();
    if (!progress.bytes) postProgress("python");   // one-file app: nothing to download
    const [pyodide, snapshot] = await startPython({ indexURL: BASE_URL });
    lap("runtime");
    timings.fetch = fetchedBy(t0);
    timings.instantiate = timings.runtime - timings.fetch;
    if (self.DESCENTLAB_EMBEDDED) fetchAll();
    stage = "numpy";
    postProgress(stage);
    install(pyodide, await archives.numpy, "numpy");
    lap("numpy_load");
    pyodide.runPython("import numpy");
    lap("numpy_import");
    stage = "descentlab";
    postProgress(stage);
    install(pyodide, await archives.descentlab, "descentlab");
    unpackerDone();
    lap("descentlab_load");
    const g = pyodide.pyimport("descentlab.worker_glue");
    glue = { start: g.start, step: g.step, stop: g.stop, call: g.call, takeBlob: g.take_blob };
    const allowed = CODE_WORKER ? g.CODE_CALLS : g.ALLOWED_CALLS;
    ALLOWED_CALLS = allowed.toJs();
    allowed.destroy();
    const version = pyodide.runPython("import descentlab; descentlab.__version__");
    lap("descentlab_import");
    uncount();
    if (CODE_WORKER) {
      stage = "sandbox";
      lockDown(pyodide);
    }
    progress.over = true;
    clearTimeout(progress.timer);
    post({ type: "progress", stage, fraction: 1, bytes: progress.bytes });
    post({ type: "ready", version, timings, snapshot });
  } catch (e) {
    uncount();
    unpackerDone();
    progress.over = true;
    clearTimeout(progress.timer);
    loadFailure = `Could not load ${stage}: ${errorText(e)}`;
    post({ type: "load-error", stage, message: loadFailure });
    throw e;
  }
}

// What the code worker removes from its global scope before any learner code runs.
// Every name is made unusable wherever it is defined: on the global object itself
// (constructors are own properties there) and along its prototype chain (WorkerGlobalScope
// holds fetch, importScripts, indexedDB, caches, fonts), so a call through the prototype
// finds the block too.
const BLOCKED_GLOBALS = [
  // network
  "fetch", "XMLHttpRequest", "importScripts", "WebSocket", "WebSocketStream", "EventSource",
  "WebTransport", "RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "FontFace", "fonts",
  "Worker", "SharedWorker", "BroadcastChannel",
  // storage
  "indexedDB", "caches", "webkitRequestFileSystem", "webkitRequestFileSystemSync",
  "webkitResolveLocalFileSystemURL", "webkitResolveLocalFileSystemSyncURL", "cookieStore",
];
const BLOCKED_NAVIGATOR = ["sendBeacon", "storage", "storageBuckets", "serviceWorker", "locks", "usb", "hid", "serial", "bluetooth"];
const BLOCKED_WHY = "is not available here: learner code runs without network or storage";

const CODE_KINDS = [function () {}, async function () {}, function* () {}, async function* () {}];
const blocked = new Map();  // object -> names already blocked on it

// Make `name` throw wherever `target` finds it: on every object of its prototype chain
// that defines it (only on `target` itself when `chain` is false), and on `target` (an
// own, non-configurable getter that throws: it can be neither redefined nor deleted).
function blockProperty(target, name, chain = true) {
  const owners = [];
  for (let o = target; o; o = chain ? Object.getPrototypeOf(o) : null) {
    if (Object.prototype.hasOwnProperty.call(o, name)) owners.push(o);
  }
  if (!owners.length) return;
  if (!owners.includes(target)) owners.unshift(target);
  const get = () => { throw new Error(`${name} ${BLOCKED_WHY}`); };
  for (const o of owners) {
    if (!blocked.has(o)) blocked.set(o, new Set());
    if (blocked.get(o).has(name)) continue;
    Object.defineProperty(o, name, { get, set: undefined, configurable: false, enumerable: false });
    blocked.get(o).add(name);
  }
}

// The values a name had anywhere on the global's prototype chain (before lockDown).
function originalsOf(target, names, into) {
  for (const name of names) {
    for (let o = target; o; o = Object.getPrototypeOf(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d && "value" in d && (typeof d.value === "function" || (d.value && typeof d.value === "object"))) into.set(d.value, name);
    }
  }
  return into;
}

// Pyodide keeps a few references of its own that learner code can reach through
// pyodide_js (pyodide._api.tests.Function is the real Function constructor): replace
// every property holding one of `originals` in the objects reachable from `roots`, a few
// levels down. A property that cannot be replaced fails the load.
const SCRUB_DEPTH = 3;
function scrubCaptured(roots, originals, replacementOf) {
  const seen = new Set();
  const queue = roots.map((r) => [r, 0]);
  while (queue.length) {
    const [o, depth] = queue.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    for (const key of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (!d || !("value" in d)) continue;   // getters are not run
      const v = d.value;
      if (v === null || (typeof v !== "object" && typeof v !== "function")) continue;
      if (originals.has(v)) {
        if (!d.configurable && !d.writable) throw new Error(`${String(key)} holds ${originals.get(v)} and cannot be replaced`);
        Object.defineProperty(o, key, { value: replacementOf(originals.get(v)), writable: false, configurable: false });
      } else if (depth < SCRUB_DEPTH && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
        queue.push([v, depth + 1]);
      }
    }
  }
}

function lockDown(pyodide) {
  const originals = originalsOf(self, [...BLOCKED_GLOBALS, "eval"], new Map());
  originalsOf(self.navigator, BLOCKED_NAVIGATOR, originals);
  for (const fn of CODE_KINDS) originals.set(Object.getPrototypeOf(fn).constructor, "Function");
  for (const name of BLOCKED_GLOBALS) blockProperty(self, name);
  for (const name of BLOCKED_NAVIGATOR) blockProperty(self.navigator, name);
  // Fresh source code: eval("import('http://...')") fetches even without fetch. The
  // Function constructor stays an object (Pyodide reads Function.prototype and tests
  // instanceof Function) but refuses to be called; every kind of function reaches it, or
  // its async and generator kinds, through .constructor.
  const noSource = (what) => () => { throw new Error(`${what} ${BLOCKED_WHY}`); };
  Object.defineProperty(self, "eval", { value: noSource("eval"), writable: false, configurable: false });
  let safeFunction = null;
  for (const fn of CODE_KINDS) {
    const proto = Object.getPrototypeOf(fn);
    const refuse = noSource("new Function(source)");
    const safe = new Proxy(proto.constructor, { apply: refuse, construct: refuse });
    Object.defineProperty(proto, "constructor", { value: safe, writable: false, configurable: false });
    if (fn === CODE_KINDS[0]) {
      safeFunction = safe;
      Object.defineProperty(self, "Function", { value: safe, writable: false, configurable: false });
    }
  }
  scrubCaptured([pyodide, self], originals,
    (name) => (name === "Function" ? safeFunction : noSource(name)));
  // timers run a string argument as code
  for (const name of ["setTimeout", "setInterval"]) {
    const native = self[name].bind(self);
    const guarded = (handler, ...rest) => {
      if (typeof handler !== "function") throw new TypeError(`${name} with source text ${BLOCKED_WHY}`);
      return native(handler, ...rest);
    };
    for (let o = self; o; o = Object.getPrototypeOf(o)) {
      if (Object.prototype.hasOwnProperty.call(o, name)) {
        Object.defineProperty(o, name, { value: guarded, writable: false, configurable: false });
      }
    }
    if (!Object.prototype.hasOwnProperty.call(self, name)) {
      Object.defineProperty(self, name, { value: guarded, writable: false, configurable: false });
    }
  }
  // fail closed: a name still usable means no learner code may run here
  const open = [];
  const usable = (get) => { try { return get() !== undefined; } catch (e) { return false; } };
  for (const name of BLOCKED_GLOBALS) if (usable(() => self[name])) open.push(name);
  for (const name of BLOCKED_NAVIGATOR) if (usable(() => self.navigator[name])) open.push(`navigator.${name}`);
  const runs = (get) => { try { get(); return true; } catch (e) { return false; } };
  for (const fn of CODE_KINDS) if (runs(() => fn.constructor("return 1"))) open.push(`${Object.prototype.toString.call(fn)}.constructor`);
  if (runs(() => self.eval("1")) || runs(() => self.Function("return 1"))) open.push("eval");
  if (usable(() => { setTimeout("0"); return true; })) open.push("setTimeout(text)");
  if (open.length) throw new Error(`the code worker could not remove ${open.join(", ")}`);
}

const ready = SNAPSHOT_MAKER ? new Promise(() => {}) : load();
ready.catch(() => {}); // reported as "load-error"; each request then gets an error reply
if (SNAPSHOT_MAKER) makeSnapshot();

async function handleRun(id, seq, spec) {
  try {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      throw new RequestError("SpecError", "must be an object like {\"kind\": \"landscape\", ...}", "spec");
    }
    // the top-level fields are named as in the spec ("function_params", not "spec.function_params")
    const text = toJSON(spec, "");
    const started = JSON.parse(glue.start(id, text, CODE_WORKER));
    if (started.error) { post({ id, seq, type: "error", error: started.error }); return; }
    for (;;) {
      await untilUnpaused(id);
      if (cancelled.has(id)) {
        glue.stop(id);
        post({ id, seq, type: "cancelled" });
        return;
      }
      const out = unpackFloats(JSON.parse(glue.step(id)));
      if (out.error) { post({ id, seq, type: "error", error: out.error }); return; }
      const chunk = out.chunk || {};
      if ("result" in chunk) { post({ id, seq, type: "result", result: chunk.result }); return; }
      const { done, total, ...partial } = chunk;
      const msg = { id, type: "progress", done, total };
      if (Object.keys(partial).length) msg.partial = partial;
      post(msg);
      lastProgress.set(id, { done, total });
      answerStep(id);
      await yieldToEventLoop();
    }
  } finally {
    ended(id);   // before any later message: owed steps are answered right after the result
  }
}

// ---------------------------------------------------------------- pause, resume, step
// Between two chunks the run loop waits here while its run is paused; a "step" lets one
// chunk through (credit), a "resume" or "cancel" wakes it for good.
async function untilUnpaused(id) {
  for (;;) {
    const p = paused.get(id);
    if (!p || cancelled.has(id)) return;
    if (p.credit > 0) { p.credit -= 1; return; }
    await new Promise((resolve) => { p.wake = resolve; });
    p.wake = null;
  }
}

function wake(id) {
  const p = paused.get(id);
  if (p && p.wake) p.wake();
}

function controlState(target) {
  const last = lastProgress.get(target) || { done: null, total: null };
  return { target, running: active.has(target), paused: paused.has(target), done: last.done, total: last.total };
}

// One "step" asked for the chunk just posted (or the run ended): its answer.
function answerStep(id, finished = false) {
  const owed = owedSteps.get(id);
  if (!owed || !owed.length) return;
  const ask = owed.shift();
  post({ id: ask.id, seq: ask.seq, type: "result", result: { ...controlState(id), finished } });
}

// A run's end (result, error, cancel, or refused): its marks go, owed steps are answered.
function ended(id) {
  cancelled.delete(id);
  active.delete(id);
  paused.delete(id);
  lastProgress.delete(id);
  while (owedSteps.has(id) && owedSteps.get(id).length) answerStep(id, true);
  owedSteps.delete(id);
}

// type: "pause" | "resume" | "step"; replyId: the id the answer carries (null: by seq)
function control(type, target, replyId, seq) {
  if (!active.has(target)) {   // ended (or never ran): nothing to hold
    post({ id: replyId, seq, type: "result", result: { ...controlState(target), finished: type === "step" ? true : undefined } });
    return;
  }
  if (type === "resume") {
    const p = paused.get(target);
    paused.delete(target);
    if (p && p.wake) p.wake();
  } else {
    if (!paused.has(target)) paused.set(target, { credit: 0, wake: null });
    if (type === "step") {
      paused.get(target).credit += 1;
      if (!owedSteps.has(target)) owedSteps.set(target, []);
      owedSteps.get(target).push({ id: replyId, seq });
      wake(target);
      return;   // answered after its chunk (answerStep)
    }
  }
  post({ id: replyId, seq, type: "result", result: controlState(target) });
}

function handleCall(id, seq, fn, args) {
  if (typeof fn !== "string" || !ALLOWED_CALLS.includes(fn)) {
    throw new RequestError("Error", `descentlab.${String(fn)} cannot be called from the page`);
  }
  if (args !== undefined && !Array.isArray(args)) throw new RequestError("BadMessage", "args must be a list");
  const out = JSON.parse(glue.call(fn, toJSON(args || [], "args"), CODE_WORKER));
  if (out.error) post({ id, seq, type: "error", error: out.error });
  else post({ id, seq, type: "result", result: out.ok });
}

// An id is what the page API gives: a number or a short string. Anything else is echoed
// as null, so the reply can still be matched by its seq.
const goodId = (id) => (typeof id === "number" && Number.isFinite(id)) || (typeof id === "string" && id.length > 0 && id.length <= 200);

function reject(id, seq, error) {
  post({ id: goodId(id) ? id : null, seq, type: "error", error });
}

// A message that could not be deserialized arrives as "messageerror", without its data.
self.onmessageerror = () => {
  const seq = ++received;
  reject(null, seq, { kind: "BadMessage", message: "the worker could not read this request (it could not be copied into the worker; is it nested too deeply?)" });
};

self.onmessage = async (event) => {
  const seq = ++received;
  const msg = event.data;
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
    reject(null, seq, { kind: "BadMessage", message: `a request must be an object like {id, type: "run", spec}, got ${msg === null ? "null" : Array.isArray(msg) ? "a list" : typeof msg}` });
    return;
  }
  const { id, type } = msg;
  if (type === "cancel") {
    // Mark first: the run loop checks the mark after its current chunk (a paused run is woken).
    // A cancel may also overtake its run while the runtime is still loading.
    const target = msg.target !== undefined ? msg.target : id;
    if (goodId(target)) { cancelled.add(target); wake(target); }
    else reject(id, seq, { kind: "BadMessage", message: "a cancel must name the id of a run (target)" });
    return;
  }
  if (type === "pause" || type === "resume" || type === "step") {
    if (!goodId(msg.target)) { reject(id, seq, { kind: "BadMessage", message: `a ${type} must name the id of a run (target)` }); return; }
    control(type, msg.target, goodId(id) && id !== msg.target ? id : null, seq);
    return;
  }
  if (type !== "run" && type !== "call") {
    reject(id, seq, { kind: "BadMessage", message: `unknown request type ${JSON.stringify(String(type))}; one of "run", "call", "cancel", "pause", "resume", "step"` });
    return;
  }
  if (!goodId(id)) {
    reject(id, seq, { kind: "BadMessage", message: "a request needs an id: a number or a short string" });
    return;
  }
  if (type === "run") active.add(id);   // from now on it can be paused, even while loading
  try {
    try {
      await ready;
    } catch (e) {
      reject(id, seq, { kind: "Error", message: loadFailure || errorText(e) });
      return;
    }
    try {
      if (type === "run") await handleRun(id, seq, msg.spec);
      else handleCall(id, seq, msg.fn, msg.args);
    } catch (e) {
      reject(id, seq, errorOf(e));
    }
  } finally {
    if (type === "run") ended(id);   // also when it never started: its marks go
  }
};
