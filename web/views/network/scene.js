// The network view's experiment: one object whose field names are also the keys of its
// link (and, but for `optimizers`' form, the fields of the network spec it trains).
//
//   dataset           a preset {name, its parameters, seed}, {recipe: {...}}, or {upload: true}
//                     for a CSV file (kept in the tab, never in the link)
//   model             {hidden: [widths], activation}
//   loss, batch_size, epochs, l2, seed, val_fraction
//   optimizers        [{name, params: {non-default hyper-parameters}, color}]
//   train             a link may start training at once (train=1); never written back
//
// readScene() and sceneParams() are its one parse/serialize pair; networkSpec() the spec.
import { normalizeOpts, optimizerSpecs, MAX_OPTIMIZERS } from "../../lib/optlist.js";
import { readParams, choice, number, flag, json, optimizers, dataset, isObject, num, shown, Bad } from "../../lib/urlstate.js";

// The spec of the last network trained in this tab: the Projection view starts from it.
export const LAST_NETWORK_KEY = "descentlab.lastNetworkSpec";

// The default experiment. JSON between the markers: buildtool/scenes.py reads it to
// precompute the default dataset preview (the view's first picture) at build time.
const DEFAULT = /*@JSON@*/{
  "dataset": { "name": "moons", "n": 300, "noise": 0.2, "seed": 0 },
  "model": { "hidden": [16, 16], "activation": "tanh" },
  "loss": "cross_entropy", "batch_size": 32, "epochs": 60, "l2": 0, "seed": 0, "val_fraction": 0.2,
  "optimizers": [{ "name": "sgd", "params": { "lr": 0.1 } }, { "name": "momentum", "params": { "lr": 0.05 } }, { "name": "adam", "params": { "lr": 0.01 } }]
}/*@END@*/;

// The experiment a link asks for: each parameter checked, a bad one reported by name and
// its default used. -> {scene, problems}
export function readScene(params, catalog) {
  const L = catalog.limits.network;
  const { values: v, problems } = readParams(params, {
    dataset: json(dataset(catalog)),
    model: json((x, ctx) => modelOf(x, ctx, catalog)),
    loss: choice(catalog.losses),
    batch_size: number(1, L.max_samples, { integer: true }),
    epochs: number(1, L.max_epochs, { integer: true }),
    l2: number(0, 1),
    seed: number(0, L.max_seed, { integer: true }),
    val_fraction: number(L.min_val_fraction, L.max_val_fraction),
    optimizers: json(optimizers(catalog, MAX_OPTIMIZERS)),
    train: flag(),
  });
  const scene = structuredClone(DEFAULT);
  for (const [k, val] of Object.entries(v)) if (val !== undefined) scene[k] = val;
  scene.optimizers = v.optimizers || normalizeOpts(DEFAULT.optimizers);
  return { scene, problems };
}

function modelOf(x, ctx, catalog) {
  const L = catalog.limits.network;
  if (!isObject(x)) throw new Bad(`must be an object like {"hidden": [16, 16], "activation": "tanh"} (got ${shown(x)})`);
  const model = structuredClone(DEFAULT.model);
  for (const k of Object.keys(x)) {
    if (k !== "hidden" && k !== "activation") ctx.report(`.${k}`, "not a field of the model (hidden, activation); ignored");
  }
  if (x.hidden !== undefined) {
    try {
      if (!Array.isArray(x.hidden) || x.hidden.length > L.max_layers) {
        throw new Bad(`must be a list of at most ${L.max_layers} layer widths (got ${shown(x.hidden)})`);
      }
      model.hidden = x.hidden.map((w, i) => num(w, 1, L.max_width, `[${i}]`, true));
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      ctx.report(`.hidden${e.at}`, `${e.message}; the default is used`);
    }
  }
  if (x.activation !== undefined) {
    if (catalog.activations.includes(x.activation)) model.activation = x.activation;
    else ctx.report(".activation", `must be one of ${catalog.activations.join(", ")} (got ${shown(x.activation)}); the default is used`);
  }
  return model;
}

// The link of an experiment; uploaded data is too big for it.
export function sceneParams(scene) {
  return {
    dataset: scene.dataset.upload ? undefined : scene.dataset, model: scene.model, loss: scene.loss,
    batch_size: scene.batch_size, epochs: scene.epochs, l2: scene.l2, seed: scene.seed,
    val_fraction: scene.val_fraction, optimizers: scene.optimizers,
  };
}

// The dataset as the core reads it; `uploaded` holds the points and labels of a CSV file.
export function datasetSpec(scene, uploaded) {
  const vf = scene.val_fraction;
  if (scene.dataset.upload && uploaded) return { points: uploaded.points, labels: uploaded.labels, val_fraction: vf };
  if (scene.dataset.recipe) return { recipe: scene.dataset.recipe, val_fraction: vf };
  return { ...scene.dataset, val_fraction: vf };
}

export function networkSpec(scene, uploaded) {
  return {
    kind: "network", dataset: datasetSpec(scene, uploaded), model: scene.model, loss: scene.loss, batch_size: scene.batch_size,
    epochs: scene.epochs, l2: scene.l2, seed: scene.seed, optimizers: optimizerSpecs(scene.optimizers),
    // The weight snapshots (for the Projection view) are the core's to space: it picks
    // the interval that fits its memory budget for this network and run length.
    snapshot_every: "auto",
  };
}
