// The landscape view's scene: one object whose field names are also the keys of its link.
//
//   lesson            the lesson it was set from ("" for free play)
//   function          a test function's name; function_params: its parameters
//   start             the start point [x, y]
//   steps             how many steps each optimizer takes
//   optimizers        [{name, params: {non-default hyper-parameters}, color}]
//   step              the timeline's step (null: the last one)
//   selected          {run, step} in the inspector, or null (in a link: [run, step])
//   expression, domain  the learner's own f(x, y) when function is "custom" (./dynamics.js)
//   noise             {std, seed} gradient noise, or undefined
//
// readScene() and sceneParams() are its one parse/serialize pair. The specs the worker
// runs are made from the scene here too, so what is drawn is what was asked for.
import { LESSONS } from "../../lessons.js";
import { normalizeOpts, optimizerSpecs, MAX_OPTIMIZERS } from "../../lib/optlist.js";
import { readParams, choice, number, json, optimizers, isObject, num, shown, Bad } from "../../lib/urlstate.js";
import { dynamicsSchema, readDynamics, dynamicsParams, dynamicsSpec } from "./dynamics.js";

const GRID_SIZE = 160;          // grid samples per side for the heat map
const CONTOUR_LEVELS = 18;

export function lessonOf(id) { return LESSONS.find((l) => l.id === id); }

// The scene of a link without one: a lesson's, so the lesson box says what it shows.
const DEFAULT_LESSON = "rosenbrock";
const DEFAULT_SCENE = lessonOf(DEFAULT_LESSON).scene;
const SCENE_FIELDS = ["function", "function_params", "start", "steps", "optimizers"];

// The scene a link asks for: a lesson (as course pages link to), its scene, then any
// parameter next to it overriding the lesson's own. -> {scene, problems}
export function readScene(params, catalog) {
  const fnById = Object.fromEntries(catalog.functions.map((f) => [f.name, f]));
  const { values: v, problems } = readParams(params, linkSchema(catalog, fnById));
  const base = structuredClone(baseOf(v));
  const fn = functionOf(v);
  const sameFn = fn === base.function;
  const scene = {
    // a link naming no lesson and no scene field shows the default scene, which is a lesson's
    lesson: v.lesson || (!params.lesson && SCENE_FIELDS.every((k) => params[k] === undefined) ? DEFAULT_LESSON : ""),
    function: fn,
    function_params: v.function_params ?? (sameFn ? base.function_params : {}),
    start: v.start ?? (sameFn ? base.start : [...fnById[fn].start]),
    steps: stepsOf(v),
    optimizers: v.optimizers || normalizeOpts(base.optimizers),
    step: v.step ?? null,
    selected: v.selected ? { run: v.selected[0], step: v.selected[1] } : null,
    ...readDynamics(v, fn, base, catalog),
  };
  return { scene, problems };
}

// What a parameter falls back to: the lesson's scene, else the default one.
const baseOf = (values) => (values.lesson ? lessonOf(values.lesson).scene : DEFAULT_SCENE);
const functionOf = (values) => values.function || baseOf(values).function;
const optimizersOf = (values) => values.optimizers || baseOf(values).optimizers;
const stepsOf = (values) => values.steps ?? baseOf(values).steps;

// Read in this order: a later parameter's range may depend on an earlier one.
function linkSchema(catalog, fnById) {
  const L = catalog.limits.landscape;
  return {
    lesson: choice(["", ...LESSONS.map((l) => l.id)]),
    function: choice(catalog.functions.map((f) => f.name)),
    function_params: json((x, ctx) => functionParams(x, fnById[functionOf(ctx.values)], ctx)),
    start: json((x) => {
      if (!Array.isArray(x) || x.length !== 2) throw new Bad(`must be a point [x, y] (got ${shown(x)})`);
      return x.map((c, i) => num(c, -L.start_bound, L.start_bound, `[${i}]`));
    }),
    steps: number(1, L.max_steps, { integer: true }),
    optimizers: json(optimizers(catalog, MAX_OPTIMIZERS)),
    step: (raw, ctx) => number(0, stepsOf(ctx.values), { integer: true })(raw),
    selected: json((x, ctx) => {
      if (!Array.isArray(x) || x.length !== 2) throw new Bad(`must be [run, step] (got ${shown(x)})`);
      return [num(x[0], 0, optimizersOf(ctx.values).length - 1, "[0]", true), num(x[1], 0, stepsOf(ctx.values), "[1]", true)];
    }),
    ...dynamicsSchema(catalog),
  };
}

// {parameter: value} of one test function: known names, values within their ranges
function functionParams(x, f, ctx) {
  if (!isObject(x)) throw new Bad(`must be an object like {"condition": 50} (got ${shown(x)})`);
  const out = {};
  for (const [k, v] of Object.entries(x)) {
    const meta = f.params[k];
    if (!meta) {
      const names = Object.keys(f.params);
      ctx.report(`.${k}`, `${f.title} has ${names.length ? `the parameters ${names.join(", ")}` : "no parameters"}; ignored`);
      continue;
    }
    try { out[k] = num(v, meta.min, meta.max); } catch (e) { ctx.report(`.${k}`, `${e.message}; the default is used`); }
  }
  return out;
}

// The link of a scene (undefined fields are left out of it).
export function sceneParams(scene) {
  return {
    function: scene.function, function_params: scene.function_params, start: scene.start, steps: scene.steps,
    optimizers: scene.optimizers, step: scene.step, lesson: scene.lesson || undefined,
    selected: scene.selected ? [scene.selected.run, scene.selected.step] : undefined,
    ...dynamicsParams(scene),
  };
}

// The scene becomes a lesson's: its function, start, steps and optimizers (palette colours).
// The optimizer list's widget holds scene.optimizers, so its contents are replaced, not the array.
export function applyLesson(scene, lesson) {
  const { optimizers: list, ...rest } = structuredClone(lesson.scene);
  // fields a lesson may leave out must not stay from the scene before (a noisy lesson's noise)
  for (const k of ["noise", "expression", "domain"]) delete scene[k];
  Object.assign(scene, rest);
  scene.optimizers.splice(0, scene.optimizers.length, ...normalizeOpts(list));
  scene.step = null;
}

// The runs of the scene; the per-step optimizer state costs about twice the run itself,
// so it is recorded only while a step is inspected.
export function landscapeSpec(scene, record) {
  return {
    kind: "landscape", function: scene.function, function_params: scene.function_params, start: scene.start,
    steps: scene.steps, optimizers: optimizerSpecs(scene.optimizers), record_state: record, ...dynamicsSpec(scene, true),
  };
}

export function gridSpec(scene) {
  return { kind: "grid", function: scene.function, function_params: scene.function_params,
    size: [GRID_SIZE, GRID_SIZE], levels: CONTOUR_LEVELS, ...dynamicsSpec(scene, false) };
}
