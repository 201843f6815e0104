// The projection view's settings: one object whose field names are also the keys of its
// link and the fields of the projection spec.
//
//   network           the network spec whose weights are projected (as the Network view trains)
//   target            "trajectories" (t-SNE + PCA of the weight snapshots), "activations"
//                     (t-SNE of run `run`'s hidden activations) or "data"
//   perplexity, max_iter, seed       t-SNE's
//   grid              points per side of the loss plane on the PCA plane
//   run               the run whose activations are projected
//   layer             its hidden layer (0 the first; the last when the link does not say)
//   hide              runs not drawn, [i, ...]
//   compute           a link may start computing at once (compute=1); never written back
//
// readScene() and sceneParams() are its one parse/serialize pair; projectionSpec() the spec.
import { PALETTE } from "../../lib/canvas.js";
import { MAX_OPTIMIZERS } from "../../lib/optlist.js";
import { readParams, choice, number, flag, json, dataset, isObject, colour, shown, Bad } from "../../lib/urlstate.js";
import { LAST_NETWORK_KEY } from "../network/scene.js";

// The default network and settings. JSON between the markers: buildtool/scenes.py reads
// them to precompute the default projection (the view's first picture) at build time; run
// i's colour is PALETTE[i].
const DEFAULTS = /*@JSON@*/{
  "network": {
    "kind": "network", "dataset": { "name": "moons", "n": 200, "noise": 0.2, "seed": 0 }, "model": { "hidden": [16, 16], "activation": "tanh" },
    "loss": "cross_entropy", "batch_size": 32, "epochs": 40, "seed": 0, "snapshot_every": 5,
    "optimizers": [{ "name": "sgd", "lr": 0.1 }, { "name": "momentum", "lr": 0.05 }, { "name": "adam", "lr": 0.01 }]
  },
  "settings": { "perplexity": 30, "max_iter": 500, "seed": 0, "grid": 21, "target": "trajectories", "run": 0 }
}/*@END@*/;
export const DEFAULT_NETWORK = { ...DEFAULTS.network, optimizers: DEFAULTS.network.optimizers.map((o, i) => ({ ...o, color: PALETTE[i] })) };
const D = DEFAULTS.settings;
export const TARGETS = ["trajectories", "activations", "data"];

// The settings a link asks for: each parameter checked, a bad one reported by name and its
// default used. -> {scene, problems, networkFromLink}
export function readScene(params, catalog) {
  const networkOf = (values) => values.network || storedNetwork(catalog) || DEFAULT_NETWORK;
  const runs = (values) => networkOf(values).optimizers.length;
  const { values: v, problems } = readParams(params, {
    network: json((x, ctx) => readNetwork(x, ctx, catalog)),
    perplexity: number(1, 100),
    max_iter: number(250, 2000, { integer: true }),
    seed: number(0, catalog.limits.network.max_seed, { integer: true }),
    grid: number(5, 41, { integer: true }),
    target: choice(TARGETS),
    run: (raw, ctx) => number(0, runs(ctx.values) - 1, { integer: true })(raw),
    layer: (raw, ctx) => number(0, Math.max(0, networkOf(ctx.values).model.hidden.length - 1), { integer: true })(raw),
    hide: json((x, ctx) => runList(x, ctx, runs(ctx.values))),
    compute: flag(),
  });
  const scene = {
    network: networkOf(v), perplexity: v.perplexity ?? D.perplexity, max_iter: v.max_iter ?? D.max_iter, seed: v.seed ?? D.seed, grid: v.grid ?? D.grid,
    target: v.target || D.target, run: v.run ?? D.run,
    layer: v.layer ?? Math.max(0, networkOf(v).model.hidden.length - 1), hide: v.hide || [], compute: !!v.compute,
  };
  return { scene, problems, networkFromLink: !!v.network };
}

function runList(x, ctx, n) {
  if (!Array.isArray(x)) throw new Bad(`must be a list of run numbers like [0, 2] (got ${shown(x)})`);
  return x.filter((k, i) => {
    if (Number.isInteger(k) && k >= 0 && k < n) return true;
    ctx.report(`[${i}]`, `must be a run number from 0 to ${n - 1} (got ${shown(k)}); ignored`);
    return false;
  });
}

// The parts of a network spec this view reads itself; Python checks the whole of it.
// Colours are the one part drawn as they are: "#rrggbb" or a palette index only.
function readNetwork(x, ctx, catalog, { stored = false } = {}) {
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
  const names = new Set(catalog.optimizers.map((o) => o.name));
  net.optimizers = x.optimizers.map((o, i) => {
    if (!isObject(o) || !names.has(o.name)) {
      throw new Bad(`must be an optimizer like {"name": "adam"}, one of ${[...names].join(", ")} (got ${shown(o)})`, `.optimizers[${i}]`);
    }
    const out = { ...o };
    if (o.color !== undefined) {
      try { out.color = colour(o.color); } catch (e) { delete out.color; ctx.report(`.optimizers[${i}].color`, `${e.message}; ignored`); }
    }
    return out;
  });
  return net;
}

// The network last trained in this tab's Network view (uploaded points included), or null.
export function storedNetwork(catalog) {
  let stored;
  try { stored = JSON.parse(sessionStorage.getItem(LAST_NETWORK_KEY) || "null"); } catch { return null; }
  if (stored === null) return null;
  try { return readNetwork(stored, { report: () => {} }, catalog, { stored: true }); } catch { return null; }
}

// The link of the settings; a network with uploaded points is too big for it.
export function sceneParams(scene) {
  const uploaded = scene.network.dataset && scene.network.dataset.points;
  return {
    network: uploaded ? undefined : scene.network, perplexity: scene.perplexity, max_iter: scene.max_iter, seed: scene.seed,
    grid: scene.grid, target: scene.target, run: scene.run, layer: scene.target === "activations" ? scene.layer : undefined, hide: scene.hide.length ? scene.hide : undefined,
  };
}

export function projectionSpec(scene) {
  return {
    kind: "projection", network: scene.network, target: scene.target, perplexity: scene.perplexity, max_iter: scene.max_iter,
    seed: scene.seed, grid: scene.grid, run: Math.min(scene.run, scene.network.optimizers.length - 1),
    ...(scene.target === "activations" ? { layer: Math.min(scene.layer, Math.max(0, scene.network.model.hidden.length - 1)) } : {}),
  };
}
