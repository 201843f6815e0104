// The scene lives in the URL: one serialize/parse pair for every view, and one validating
// reader for every parameter.
//   #landscape?function=rosenbrock&start=[-1.5,2]&optimizers=[...]
// Keys are the scene's field names, spelled out. Scalars are written as they are; arrays
// and objects as JSON, so a shared link reproduces the scene exactly (numbers keep every
// digit JSON gives them).
//
// A link is input from anyone: each view reads its parameters with readParams() and a
// schema of readers below. A value a reader refuses becomes a problem naming the
// parameter and what is allowed, shown in the view (problemBox), and the view uses its
// default for it; nothing half-read reaches the view's code.

import { h } from "./dom.js";
import { PALETTE } from "./canvas.js";

export const MAX_JSON_DEPTH = 16;       // a scene needs at most about eight levels
export const MAX_PARAM_CHARS = 300_000;  // 12 optimizers of learner code (20,000 characters each) once escaped

export function serialize(view, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  const s = q.toString();
  return `#${view}${s ? "?" + s : ""}`;
}

// Links made before the keys were spelled out still open: this is the one table of the
// old short keys, read as their new names when a link is parsed. `optimizer` renames the
// fields inside each entry of an `optimizers` list (see optimizers() below). A link that
// has both an old key and its new one keeps the new one; the old one is then reported as
// not a setting of the view.
export const OLD_KEYS = {
  landscape: { fn: "function", fp: "function_params", opts: "optimizers", t: "step", sel: "selected" },
  network: { ds: "dataset", bs: "batch_size", vf: "val_fraction", opts: "optimizers" },
  projection: { net: "network", iters: "max_iter" },
  optimizer: { p: "params", c: "color" },
};

export function renameOldKeys(fields, table) {
  const out = {};
  for (const [k, v] of Object.entries(fields)) {
    const renamed = Object.hasOwn(table, k) && !Object.hasOwn(fields, table[k]);
    out[renamed ? table[k] : k] = v;
  }
  return out;
}

// -> {view, params: {name: raw text}}. Values stay text: the view's readers decide what
// each one may be.
export function parse(hash) {
  const text = (hash || "").replace(/^#/, "");
  const [view, query = ""] = text.split("?", 2);
  const params = {};
  for (const [k, raw] of new URLSearchParams(query)) params[k] = raw;
  const table = Object.hasOwn(OLD_KEYS, view) ? OLD_KEYS[view] : {};
  return { view: view || "", params: renameOldKeys(params, table) };
}

// ------------------------------------------------------------------ reading
// A reader refuses a value by throwing Bad(what is allowed). `at` names a part inside the
// parameter ("[0].c"); the parameter's own name is put in front by readParams.
export class Bad extends Error {
  constructor(message, at = "") {
    super(message);
    this.at = at;
  }
}

// A short, safe quotation of a refused value for a message.
export function shown(v) {
  let text;
  try { text = JSON.stringify(v); } catch { /* a BigInt, say: String() below */ }
  if (text === undefined) text = String(v);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

// readParams(params, schema) -> {values, problems}
//   schema: {name: reader}, read in this order; reader(raw, ctx) -> value or throws Bad.
//   ctx.values holds what was read so far (a later parameter may depend on an earlier one);
//   ctx.report(at, message) notes a problem with a part that was dropped while the rest
//   of the value is kept (one bad optimizer of four, say).
//   A parameter the view does not know is a problem too (and ignored).
//   values[name] is undefined when the parameter is missing or was refused.
export function readParams(params, schema) {
  const values = {};
  const problems = [];
  const note = (name, at, message) => problems.push({ param: name + at, message });
  for (const [name, reader] of Object.entries(schema)) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) continue;
    const ctx = { values, report: (at, message) => note(name, at, message) };
    try {
      values[name] = reader(params[name], ctx);
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      note(name, e.at, `${e.message}; the default is used`);
    }
  }
  for (const name of Object.keys(params)) {
    if (!Object.prototype.hasOwnProperty.call(schema, name)) {
      note(name, "", `not a setting of this view (it has ${Object.keys(schema).join(", ")}); ignored`);
    }
  }
  return { values, problems };
}

// The deepest nesting of brackets in JSON text, strings skipped: checked before JSON.parse
// so a link nested thousands deep is refused without building it.
function jsonDepth(text) {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") { depth++; if (depth > max) max = depth; }
    else if (c === "]" || c === "}") depth--;
  }
  return max;
}

// ---- readers of raw text
export const text = (max = 200) => (raw) => {
  if (raw.length > max) throw new Bad(`must be at most ${max} characters`);
  return raw;
};

export const choice = (options) => (raw) => {
  if (!options.includes(raw)) {
    const list = options.filter((o) => o !== "").join(", ");
    throw new Bad(`must be one of ${list} (got ${shown(raw)})`);
  }
  return raw;
};

export const flag = () => (raw) => {
  const t = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off", ""].includes(t)) return false;
  throw new Bad(`must be 1 or 0 (got ${shown(raw)})`);
};

// A number written as in JSON ("-0.0" keeps its sign); `integer` for whole numbers.
export const number = (lo, hi, { integer = false } = {}) => (raw) => {
  const t = raw.trim();
  const v = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
  return checkNumber(v, lo, hi, integer, raw);
};

function checkNumber(v, lo, hi, integer, got) {
  const what = integer ? "a whole number" : "a number";
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) {
    throw new Bad(`must be ${what} from ${lo} to ${hi} (got ${shown(got)})`);
  }
  return v;
}

// JSON, at most MAX_JSON_DEPTH deep, then checked by `check(value, ctx)`.
export const json = (check) => (raw, ctx) => {
  if (raw.length > MAX_PARAM_CHARS) throw new Bad(`must be at most ${MAX_PARAM_CHARS} characters`);
  if (jsonDepth(raw) > MAX_JSON_DEPTH) throw new Bad(`must be JSON nested at most ${MAX_JSON_DEPTH} levels deep`);
  let v;
  try { v = JSON.parse(raw); } catch { throw new Bad(`must be JSON (got ${shown(raw)})`); }
  return check(v, ctx);
};

// ---- checks of parsed JSON values (used inside json(...)); `at` is the path so far
export function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function num(v, lo, hi, at = "", integer = false) {
  try { return checkNumber(v, lo, hi, integer, v); } catch (e) { throw new Bad(e.message, at); }
}

// Colours are CSS: anything but "#rrggbb" could make the page fetch a URL ("url(...)") or
// worse. A link may also give an index into the palette.
const HEX = /^#[0-9a-fA-F]{6}$/;
export function isHexColour(c) {
  return typeof c === "string" && HEX.test(c);
}
export function colour(v, at = "") {
  if (isHexColour(v)) return v.toLowerCase();
  if (Number.isInteger(v) && v >= 0 && v < PALETTE.length) return PALETTE[v];
  throw new Bad(`must be a colour #rrggbb or a palette index 0 to ${PALETTE.length - 1} (got ${shown(v)})`, at);
}

// The optimizers of a scene, [{name, params: {hyper-parameter: value}, color}], checked
// against the catalog: a known name, known hyper-parameters within their ranges; or the
// learner's own code, {name: "custom", label, code, hyper: {name: value}, color} (see
// readCustom). A bad hyper-parameter or colour is dropped (the optimizer stays); a bad
// entry is dropped.
export function optimizers(catalog, max) {
  const byName = Object.fromEntries([...catalog.optimizers, ...(catalog.extra_optimizers || [])].map((o) => [o.name, o]));
  byName[SCHEDULES] = catalog.dynamics ? Object.fromEntries(catalog.dynamics.schedules.map((s) => [s.name, s])) : {};
  byName[CLIP] = catalog.dynamics ? catalog.dynamics.clip : { fields: [], hi: 0 };
  return (list, ctx) => {
    if (!Array.isArray(list) || !list.length) {
      throw new Bad('must be a list of optimizers like [{"name": "adam", "params": {"lr": 0.01}}]');
    }
    if (list.length > max) ctx.report("", `at most ${max} optimizers; the ones after the ${max}th were dropped`);
    const out = [];
    list.slice(0, max).forEach((entry, i) => {
      const o = readOptimizer(entry, byName, (at, message) => ctx.report(`[${i}]${at}`, message));
      if (o) out.push(o);
    });
    if (!out.length) throw new Bad("has no optimizer the page can use");
    // fill in colours: the first palette colour no other run uses
    const used = new Set(out.map((o) => o.color).filter(Boolean));
    for (const [i, o] of out.entries()) {
      if (o.color) continue;
      o.color = PALETTE.find((x) => !used.has(x)) || PALETTE[i % PALETTE.length];
      used.add(o.color);
    }
    return out;
  };
}

// Keys of byName's tables that no optimizer can be named (Symbols).
const SCHEDULES = Symbol("schedules");
const CLIP = Symbol("clip");
const ENTRY_FIELDS = ["name", "params", "color", "schedule", "clip_grad_norm", "clip_grad_value", "fork", "base"];

// One entry of an optimizers list -> {name, params, color, schedule?, clip_grad_norm? |
// clip_grad_value?, fork?, base?} or null (dropped, reported). A bad schedule, clip, fork
// or base is dropped with a problem naming it (Python checks the rest of each when it runs).
function readOptimizer(entry, byName, report, isBase = false) {
  if (!isObject(entry)) { report("", `must be an object like {"name": "adam"} (got ${shown(entry)}); dropped`); return null; }
  const o = renameOldKeys(entry, OLD_KEYS.optimizer);
  if (o.name === "custom" && !isBase) return readCustom(o, report);
  const meta = byName[o.name];
  if (!meta || (isBase && (meta.network_only !== undefined))) {
    const names = Object.keys(byName).filter((n) => !isBase || byName[n].network_only === undefined);
    report(".name", `must be one of ${names.join(", ")}${isBase ? "" : ", custom"} (got ${shown(o.name)}); dropped`);
    return null;
  }
  for (const k of Object.keys(o)) {
    if (!ENTRY_FIELDS.includes(k)) report(`.${k}`, `not a field of an optimizer (${ENTRY_FIELDS.join(", ")}); ignored`);
  }
  const extra = readDynamicFields(o, meta, byName, report, isBase);
  if (o.params !== undefined && !isObject(o.params)) report(".params", `must be an object of hyper-parameters (got ${shown(o.params)}); ignored`);
  const params = {};
  for (const [k, v] of Object.entries(isObject(o.params) ? o.params : {})) {
    const value = hyperParameter(meta, k, v, (message) => report(`.params.${k}`, message));
    if (value !== undefined) params[k] = value;
  }
  let color;
  if (o.color !== undefined) {
    try { color = colour(o.color); } catch (e) { report(".color", `${e.message}; ignored`); }
  }
  return { ...extra, name: o.name, params, color };
}

// schedule, clipping, fork and SAM's base of an entry, each checked in form and range.
function readDynamicFields(o, meta, byName, report, isBase) {
  const out = {};
  const drop = (at, message) => report(at, `${message}; ignored`);
  if (o.schedule !== undefined) {
    const s = o.schedule, sm = isObject(s) ? byName[SCHEDULES][s.name] : null;
    if (meta.base || meta.schedulable === false) drop(".schedule", meta.base ? "goes on the base optimizer (base.schedule)" : `is not available for ${meta.title}`);
    else if (!sm) drop(".schedule", `must be {"name": one of ${Object.keys(byName[SCHEDULES]).join(", ")}, ...} (got ${shown(s)})`);
    else {
      const bad = Object.keys(s).find((k) => k !== "name" && !sm.params[k]);
      const badValue = Object.entries(sm.params).find(([k, p]) => typeof s[k] === "number" && (p.kind === "int" || p.kind === "float") && !(s[k] >= p.lo && s[k] <= p.hi));
      if (bad) drop(`.schedule.${bad}`, `${sm.title} has ${Object.keys(sm.params).join(", ")}`);
      else if (badValue) drop(`.schedule.${badValue[0]}`, `must be from ${badValue[1].lo} to ${badValue[1].hi} (got ${shown(s[badValue[0]])})`);
      else out.schedule = structuredClone(s);
    }
  }
  const C = byName[CLIP];
  const clips = C.fields.filter((f) => o[f] !== undefined);
  if (clips.length > 1) drop(`.${clips[1]}`, `an optimizer clips one way: ${clips[0]} is kept`);
  if (clips.length && !isBase) {
    const c = o[clips[0]];
    if (typeof c === "number" && c > 0 && c <= C.hi) out[clips[0]] = c;
    else drop(`.${clips[0]}`, `must be a number above 0 and at most ${C.hi} (got ${shown(c)})`);
  }
  if (o.fork !== undefined && !isBase) {
    const f = o.fork;
    if (!isObject(f) || !Number.isInteger(f.run) || f.run < 0 || !Number.isInteger(f.step) || f.step < 1) drop(".fork", `must be {"run": an earlier run's index from 0, "step": a step from 1} (got ${shown(f)})`);
    else out.fork = { run: f.run, step: f.step };
  }
  if (meta.base && !isBase) {
    const b = o.base === undefined ? null : readOptimizer(o.base, byName, (at, m) => report(`.base${at}`, m), true);
    if (b) { delete b.color; out.base = b; } else {
      const { name, ...params } = meta.base.default;
      out.base = { name, params };
      if (o.base === undefined) report(".base", `${meta.title} needs a base optimizer; ${name} is used`);
    }
  } else if (o.base !== undefined) drop(".base", `only SAM has a base optimizer`);
  return out;
}

// The learner's code travels in links like any entry; the page shows it and asks before
// it runs (web/codelab/confirm.js). Here only its form is checked: the code is text of at
// most MAX_CODE_CHARS, the label at most MAX_LABEL_CHARS, each hyper-parameter a name
// with a finite number within ±MAX_HYPER_VALUE or true/false.
export const MAX_CODE_CHARS = 20_000;   // as the core's learner.MAX_CODE_CHARS
export const MAX_LABEL_CHARS = 40;
export const MAX_HYPER = 12;            // as learner.MAX_HYPER
export const MAX_HYPER_VALUE = 1e6;     // as learner.HYPER_BOUND
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function readCustom(o, report) {
  for (const k of Object.keys(o)) {
    if (!["name", "label", "code", "hyper", "color"].includes(k)) report(`.${k}`, "not a field of your own optimizer (name, label, code, hyper, color); ignored");
  }
  if (typeof o.code !== "string" || !o.code.trim()) {
    report(".code", `must be the optimizer's Python code as text (got ${shown(o.code)}); dropped`);
    return null;
  }
  if (o.code.length > MAX_CODE_CHARS) {
    report(".code", `is ${o.code.length} characters long; at most ${MAX_CODE_CHARS} (an optimizer fits in a page); dropped`);
    return null;
  }
  let label = "My optimizer";
  if (o.label !== undefined) {
    if (typeof o.label !== "string" || !o.label.trim()) report(".label", `must be text (got ${shown(o.label)}); "My optimizer" is used`);
    else if (o.label.length > MAX_LABEL_CHARS) {
      label = o.label.slice(0, MAX_LABEL_CHARS);
      report(".label", `must be at most ${MAX_LABEL_CHARS} characters (got ${o.label.length}); cut to ${shown(label)}`);
    } else label = o.label;
  }
  const hyper = {};
  if (o.hyper !== undefined && !isObject(o.hyper)) report(".hyper", `must be an object of hyper-parameters like {"lr": 0.01} (got ${shown(o.hyper)}); ignored`);
  for (const [k, v] of Object.entries(isObject(o.hyper) ? o.hyper : {})) {
    if (Object.keys(hyper).length >= MAX_HYPER) { report(`.hyper.${k}`, `at most ${MAX_HYPER} hyper-parameters; ignored`); continue; }
    if (!IDENTIFIER.test(k)) { report(`.hyper.${shown(k)}`, "must be a Python name like lr or beta1; ignored"); continue; }
    if (typeof v === "boolean") { hyper[k] = v; continue; }
    try { hyper[k] = num(v, -MAX_HYPER_VALUE, MAX_HYPER_VALUE); } catch (e) { report(`.hyper.${k}`, `${e.message}, or true/false; the code's default is used`); }
  }
  let color;
  if (o.color !== undefined) {
    try { color = colour(o.color); } catch (e) { report(".color", `${e.message}; ignored`); }
  }
  return { name: "custom", label, code: o.code, hyper, color };
}

// One hyper-parameter checked against the optimizer's range; undefined when refused.
function hyperParameter(meta, k, v, report) {
  const range = meta.ranges[k];
  if (!range) {
    report(`${meta.title} has no hyper-parameter ${shown(k)} (it has ${Object.keys(meta.defaults).join(", ")}); ignored`);
    return undefined;
  }
  const [lo, hi, kind] = range;
  if (kind === "bool") {
    if (typeof v === "boolean") return v;
    report(`must be true or false (got ${shown(v)}); the default is used`);
    return undefined;
  }
  if (kind === "choice") {  // a text choice (Sophia's hessian_distribution): lo lists the allowed values
    if (lo.includes(v)) return v;
    report(`must be one of ${lo.join(", ")} (got ${shown(v)}); the default is used`);
    return undefined;
  }
  try { return num(v, lo, hi, "", kind === "int"); } catch (e) { report(`${e.message}; the default is used`); }
  return undefined;
}

// A dataset as a network spec names it: a preset {name, its parameters, seed}, or
// {recipe: {...}} (checked by Python when it is made). `extra` lists more keys allowed
// as they are (val_fraction in a whole network spec, say).
export function dataset(catalog, { extra = [] } = {}) {
  const presets = Object.fromEntries(catalog.datasets.map((d) => [d.name, d]));
  const maxSeed = catalog.limits.network.max_seed;
  return (x, ctx, at = "") => {
    if (!isObject(x)) throw new Bad(`must be an object like {"name": "moons", "n": 200} or {"recipe": {...}} (got ${shown(x)})`, at);
    if (x.upload) throw new Bad("uploaded data is not kept in links: upload the file again", at);
    const out = {};
    for (const k of extra) if (x[k] !== undefined) out[k] = x[k];
    if (x.recipe !== undefined) {
      if (!isObject(x.recipe)) throw new Bad(`must be an object (got ${shown(x.recipe)})`, `${at}.recipe`);
      for (const k of Object.keys(x)) if (k !== "recipe" && !extra.includes(k)) ctx.report(`${at}.${k}`, "not used with a recipe; ignored");
      return { ...out, recipe: x.recipe };
    }
    const meta = presets[x.name];
    if (!meta) throw new Bad(`must be one of ${Object.keys(presets).join(", ")} (got ${shown(x.name)})`, `${at}.name`);
    out.name = x.name;
    for (const [k, v] of Object.entries(x)) {
      if (k === "name" || extra.includes(k)) continue;
      const range = k === "seed" ? { min: 0, max: maxSeed } : meta.params[k];
      if (!range) {
        ctx.report(`${at}.${k}`, `${meta.title} has ${["seed", ...Object.keys(meta.params).filter((n) => n !== "seed")].join(", ")}; ignored`);
        continue;
      }
      try { out[k] = num(v, range.min, range.max, "", k === "n" || k === "classes" || k === "seed"); } catch (e) {
        ctx.report(`${at}.${k}`, `${e.message}; the default is used`);
      }
    }
    return out;
  };
}

// ------------------------------------------------------------------ showing
// The problems of a link, as a box that names each parameter, says what is allowed and
// that the default was used. Returns an element (hidden when there is nothing to say).
export function problemBox(problems) {
  const box = h("div", { class: "link-problems", role: "alert", hidden: !problems.length });
  if (!problems.length) return box;
  const close = h("button", { type: "button", class: "icon-button link-problems-close", "aria-label": "Dismiss",
    "data-keep-enabled": "", onclick: () => { box.hidden = true; } }, "✕");
  box.append(close, h("p", {}, problems.length === 1 ? "This link has a value the page cannot use:" : "This link has values the page cannot use:"),
    h("ul", {}, problems.map((p) => h("li", { "data-param": p.param }, h("code", {}, p.param), `: ${p.message}`))));
  return box;
}
