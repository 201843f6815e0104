// Results computed at build time (buildtool/scenes.py -> dist/scenes/), so the page draws
// its first scene while Python is still loading in the worker.
//
// The core gives the same bits natively and in the browser, so the build ran it on exactly
// the specs the page sends for the lessons' scenes (the default scene is one) and their
// grids. Each is looked up by the spec's canonical JSON (canonical() below; the build
// writes the same text in Python). Only while the worker is not ready is a precomputed
// result handed out; the view then asks the live worker for the scene it shows and
// compares digests (verify(): a difference is a loud console error and the live picture
// replaces it). e2e/test_instant.py checks every shipped scene against the live worker.
//
// Sources: dist/scenes/index.json + <id>.json (the result, long float arrays moved out as
// the worker packs them: {"$f64": [offset, ...shape]}) + <id>.f64 (those floats); in the
// single file, inert <script> elements holding the same texts (the floats as base64).

const INDEX_URL = "scenes/index.json";
const SINGLE_INDEX = "descentlab-scenes";              // <script type="application/json" id=...>
const SINGLE_SCENE = 'script[type="application/x-descentlab-scene"]';
const GRID_WAIT_MS = 3000;   // at most this long (a scene whose runs never come live)
const MARKS = { firstScene: "descentlab:first-scene", interactive: "descentlab:interactive" };

// The canonical JSON of a spec: keys sorted, no spaces, numbers as JavaScript prints them,
// -0 kept as "-0" (the worker keeps its sign too), NaN and infinities as null.
export function canonical(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return !Number.isFinite(v) ? "null" : Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v).filter((k) => v[k] !== undefined && typeof v[k] !== "function").sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
}

// Record a performance mark once (the first time only): the names are read by benchmarks.
export function markOnce(which) {
  const name = MARKS[which];
  if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
}

// The table of precomputed scenes: {catalog, scenes: {key: {id, kind, digest}}}, or null
// when this build shipped none (it had no NumPy to compute them with) or it cannot be read.
// (index.html's first scripts fetched it, and the first view's scenes, already: EARLY)
const EARLY = globalThis.DESCENTLAB_EARLY_SCENES || null;

export async function loadTable() {
  try {
    const el = document.getElementById(SINGLE_INDEX);
    if (el) return JSON.parse(el.textContent);
    if (globalThis.DESCENTLAB_SINGLE_FILE) return null;
    if (EARLY) return await EARLY.table;
    const response = await fetch(INDEX_URL);
    if (!response.ok) return null;
    return await response.json();
  } catch (e) {
    console.warn(`descentlab: no precomputed scenes (${e.message})`);
    return null;
  }
}

async function sceneBytes(id) {
  if (EARLY && EARLY.files.has(id)) {
    const early = EARLY.files.get(id);
    EARLY.files.delete(id);   // once: a later ask fetches again (from the HTTP cache)
    try { return await early; } catch { /* fetched again below */ }
  }
  const el = document.querySelector(`${SINGLE_SCENE}[data-id="${id}"]`);
  if (el) {
    const b64 = el.dataset.f64 || "";
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return [el.textContent, bytes.buffer];
  }
  const [text, floats] = await Promise.all([
    fetch(`scenes/${id}.json`).then((r) => { if (!r.ok) throw new Error(`scenes/${id}.json: HTTP ${r.status}`); return r.text(); }),
    fetch(`scenes/${id}.f64`).then((r) => { if (!r.ok) throw new Error(`scenes/${id}.f64: HTTP ${r.status}`); return r.arrayBuffer(); }),
  ]);
  return [text, floats];
}

// The result as the worker would hand it over: each {"$f64": [offset, ...shape]} becomes
// (nested) arrays of the floats stored there (the same unpacking as web/worker.js).
function unpack(text, buffer) {
  const f64 = new Float64Array(buffer);
  const build = (offset, shape) => {
    if (shape.length === 1) return Array.from(f64.subarray(offset, offset + shape[0]));
    const [n, ...rest] = shape;
    const stride = rest.reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, rest));
  };
  const walk = (o) => {
    if (Array.isArray(o)) return o.map(walk);
    if (o && typeof o === "object") {
      if (Array.isArray(o.$f64)) { const [offset, ...shape] = o.$f64; return build(offset, shape); }
      for (const k of Object.keys(o)) o[k] = walk(o[k]);
    }
    return o;
  };
  return walk(JSON.parse(text));
}

// `api` (window.descentlab) as the views see it while a table of precomputed scenes exists:
// run() of a shipped spec and call("list_catalog") answer at once until the worker is
// ready; everything else goes to the worker (which queues it until it is ready). Adds:
//   precomputed(result)   {key, digest} when `result` came from the table, else null
//   has(spec)             whether run(spec) would answer from the table now
//   verify(pre, live)     compare digests of a precomputed and a live result; false (and a
//                         loud console error) when they differ
//   relive(pre)           once the worker is ready, the live result of the spec `pre` was
//                         served for, checked (verify): {live, same}; rejects as api.run does
//   waiting               true until the worker is ready
export function instantApi(api, table) {
  const served = new WeakMap();    // precomputed result -> {key, digest}
  const waiting = () => api.loadState.stage !== "ready" && !api.loadState.error;
  // The live check of a grid served precomputed waits for the first live result of another
  // kind (the scene's runs, whose drawing makes the page interactive): the worker interleaves
  // requests, and a grid costs it several times what the runs do.
  const gridsServed = new Set();
  let firstLive = null, sawLive = () => {};
  const liveFirst = () => firstLive || (firstLive = new Promise((resolve) => { sawLive = resolve; setTimeout(resolve, GRID_WAIT_MS); }));
  const extra = {
    run(spec, opts) {
      const key = canonical(spec);
      const entry = waiting() && table.scenes[key];
      if (!entry && gridsServed.delete(key)) return liveFirst().then(() => api.run(spec, opts));
      if (!entry) {
        const p = api.run(spec, opts);
        if (spec && spec.kind !== "grid") p.finally(() => { liveFirst(); sawLive(); }).catch(() => {});
        return p;
      }
      if (entry.kind === "grid") gridsServed.add(key);
      return sceneBytes(entry.id).then(([text, floats]) => {
        const result = unpack(text, floats);
        served.set(result, { key, digest: entry.digest, spec: structuredClone(spec) });
        return result;
      }, (err) => {
        console.warn(`descentlab: precomputed scene unavailable (${err.message}); waiting for the worker`);
        return api.run(spec, opts);
      });
    },
    call(fn, ...args) {
      if (fn === "list_catalog" && waiting() && table.catalog) return Promise.resolve(structuredClone(table.catalog));
      return api.call(fn, ...args);
    },
    precomputed: (result) => (result && served.get(result)) || null,
    has: (spec) => waiting() && Object.hasOwn(table.scenes, canonical(spec)),
    verify(pre, live) {
      const info = served.get(pre);
      if (!info || !live || live.digest === info.digest) return true;
      console.error(`descentlab: PRECOMPUTED SCENE DIFFERS FROM THE LIVE RESULT: shipped digest ${info.digest}, `
        + `live ${live.digest}, spec ${info.key.slice(0, 200)}. The live result replaces it; rebuild dist/ with numpy 2.0.2.`);
      return false;
    },
    relive(pre) {
      const info = served.get(pre);
      if (!info) return Promise.reject(new Error("relive: not a precomputed result"));
      return api.ready.then(() => api.run(info.spec)).then((live) => ({ live, same: extra.verify(pre, live) }));
    },
    get waiting() { return waiting(); },
  };
  return new Proxy(api, { get: (target, k) => (Object.hasOwn(extra, k) ? extra[k] : Reflect.get(target, k, target)) });
}
