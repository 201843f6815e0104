// The landscape scene's training-dynamics fields: the learner's own f(x, y) (function
// "custom" with `expression` and `domain`) and gradient noise (`noise`: {std, seed}).
// Their link readers, their link parameters and their part of the specs, in one place;
// scene.js spreads them into its own. Ranges come from the catalog (catalog.dynamics);
// the expression itself is checked by Python (its error names the column and token).
import { text, json, isObject, num, shown, Bad } from "../../lib/urlstate.js";

export const CUSTOM = "custom";

// Link readers, read after `function` (scene.js's schema spreads these in).
export function dynamicsSchema(catalog) {
  const D = catalog.dynamics;
  const bound = catalog.limits.landscape.start_bound;
  return {
    expression: text(D.custom.max_chars),
    domain: json((x) => {
      if (!Array.isArray(x) || x.length !== 2) throw new Bad(`must be [[xmin, xmax], [ymin, ymax]] (got ${shown(x)})`);
      return x.map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new Bad(`must be a pair [lo, hi] (got ${shown(pair)})`, `[${i}]`);
        const [lo, hi] = pair.map((v, j) => num(v, -bound, bound, `[${i}][${j}]`));
        if (!(lo < hi)) throw new Bad(`needs lo < hi (got [${lo}, ${hi}])`, `[${i}]`);
        return [lo, hi];
      });
    }),
    noise: json((x) => {
      if (!isObject(x)) throw new Bad(`must be {"std": σ, "seed": s} (got ${shown(x)})`);
      for (const k of Object.keys(x)) if (!["std", "seed"].includes(k)) throw new Bad("not a field of noise (std, seed)", `.${k}`);
      return { std: num(x.std, D.noise.std[0], D.noise.std[1], ".std"), seed: num(x.seed ?? 0, D.noise.seed[0], D.noise.seed[1], ".seed", true) };
    }),
  };
}

// The scene's dynamics fields from what the link gave (v), else from the lesson's scene (base).
export function readDynamics(v, fn, base, catalog) {
  const own = fn === base.function;
  const out = {};
  if (fn === CUSTOM) {
    const meta = catalog.functions.find((f) => f.name === CUSTOM);
    out.expression = v.expression ?? (own ? base.expression : undefined) ?? meta.example;
    out.domain = v.domain ?? (own ? base.domain : undefined) ?? structuredClone(meta.domain);
  }
  const noise = v.noise ?? base.noise;
  if (noise && noise.std > 0) out.noise = { ...noise };
  return out;
}

// The link of these fields (undefined ones are left out).
export function dynamicsParams(scene) {
  const custom = scene.function === CUSTOM;
  return { expression: custom ? scene.expression : undefined, domain: custom ? scene.domain : undefined,
    noise: scene.noise && scene.noise.std > 0 ? scene.noise : undefined };
}

// Their part of a landscape spec (withNoise) or a grid spec (a grid has no gradient noise).
export function dynamicsSpec(scene, withNoise) {
  const out = {};
  if (scene.function === CUSTOM) Object.assign(out, { expression: scene.expression, domain: scene.domain });
  if (withNoise && scene.noise && scene.noise.std > 0) out.noise = scene.noise;
  return out;
}

// Controls of these fields for the scene panel: the expression and its domain (for
// "Your own f(x, y)"), and gradient noise σ with its seed. edit(change) -> a handler
// that applies `change` and asks for the scene again.
export function customControls({ h, numberControl, catalog, scene, edit }) {
  const meta = catalog.functions.find((f) => f.name === CUSTOM);
  if (scene.expression === undefined) scene.expression = meta.example;
  if (scene.domain === undefined) scene.domain = structuredClone(meta.domain);
  const bound = catalog.limits.landscape.start_bound;
  const area = h("textarea", { id: "custom-expression", rows: 2, maxlength: catalog.dynamics.custom.max_chars, "data-field": "expression",
    spellcheck: "false", autocomplete: "off" });
  area.value = scene.expression;
  area.addEventListener("change", edit(() => { scene.expression = area.value.trim(); }));
  const names = [...catalog.dynamics.custom.names, ...Object.keys(catalog.dynamics.custom.functions)].join(" ");
  const axis = (i, j, label) => numberControl({ label, name: `domain[${i}][${j}]`, value: scene.domain[i][j], lo: -bound, hi: bound,
    onChange: edit((v) => { scene.domain[i][j] = v; }) }).el;
  return [h("div", { class: "control" }, h("label", { for: "custom-expression" }, "f(x, y) ="), area,
    h("p", { class: "hint" }, `Allowed names: ${names}; operators + - * / **.`)),
  h("div", { class: "domain-controls" }, axis(0, 0, "x from"), axis(0, 1, "x to"), axis(1, 0, "y from"), axis(1, 1, "y to"))];
}

export function noiseControls({ h, numberControl, catalog, scene, edit }) {
  const N = catalog.dynamics.noise;
  const noise = () => scene.noise || { std: 0, seed: 0 };
  const set = (k) => edit((v) => { scene.noise = { ...noise(), [k]: v }; if (!(scene.noise.std > 0)) delete scene.noise; });
  const std = numberControl({ label: "Gradient noise σ", name: "noise.std", value: noise().std, lo: N.std[0], hi: N.std[1], onChange: set("std"),
    title: "Gaussian noise with this std added to every gradient (the same draws for every optimizer): it stands in for mini-batch noise" });
  const seed = numberControl({ label: "Noise seed", name: "noise.seed", value: noise().seed, lo: N.seed[0], hi: N.seed[1], kind: "int", onChange: set("seed") });
  return { els: [std.el, seed.el], show() { std.set(noise().std); seed.set(noise().seed); } };
}
