// Names of runs as the page shows them: the optimizer's title, plus the settings that tell
// it apart from the other runs of the same kind ("SGD + momentum μ=0.99"), so that two
// runs of one optimizer are never shown under the same name. Shared by every view.
import { fmt } from "./dom.js";

// How a hyper-parameter is written in a label (its usual symbol); others keep their name.
const SYMBOLS = { momentum: "μ", beta1: "β₁", beta2: "β₂", eps: "ε", rho: "ρ", alpha: "α", weight_decay: "wd", dampening: "τ" };

export const paramSymbol = (k) => SYMBOLS[k] || k;

// One setting as a label shows it: "μ=0.99", "lr=0.25", "nesterov" (a true flag).
function setting(k, v) {
  if (v === true) return k;
  if (v === false) return `no ${k}`;
  return `${paramSymbol(k)}=${typeof v === "number" ? fmt(v, 3) : String(v)}`;
}

// The value of each hyper-parameter of an entry: its own, else the catalog's default.
function settingsOf(entry, meta) {
  if (entry.name === "custom") return { ...(entry.hyper || {}) };
  return { ...(meta ? meta.defaults : {}), ...(entry.params || {}) };
}

// The title of an entry: the catalog's title, or a custom optimizer's own label.
// SAM names its base optimizer: "SAM (SGD)"; Muon and the other extras their catalog title.
export function runTitle(entry, catalog) {
  if (entry.name === "custom") return entry.label || "My optimizer";
  const meta = metaOf(catalog, entry.name);
  if (meta && entry.base && entry.base.name) return `${meta.title} (${runTitle(entry.base, catalog)})`;
  return meta ? meta.title : entry.name;
}

const metaOf = (catalog, name) => [...catalog.optimizers, ...(catalog.extra_optimizers || [])].find((o) => o.name === name);

// The training-dynamics fields that tell two runs of one optimizer apart when their
// hyper-parameters do not: its schedule, clipping and fork origin, as settings.
function dynamicsOf(entry, catalog) {
  const out = {};
  const schedules = (catalog.dynamics && catalog.dynamics.schedules) || [];
  const sched = entry.schedule || (entry.base && entry.base.schedule);
  out.schedule = sched ? (schedules.find((x) => x.name === sched.name)?.title || sched.name) : "constant lr";
  if (entry.clip_grad_norm !== undefined) out.clip = `clip norm ${fmt(entry.clip_grad_norm, 3)}`;
  else if (entry.clip_grad_value !== undefined) out.clip = `clip value ${fmt(entry.clip_grad_value, 3)}`;
  else out.clip = "no clipping";
  out.fork = entry.fork ? `fork of run ${entry.fork.run + 1} at step ${entry.fork.step}` : "";
  return out;
}

// entry: {name, params} (or a custom {name: "custom", label, hyper}); allEntries: every run
// of the scene, entry among them. -> "Adam", or "SGD lr=0.25" when another SGD run differs
// in lr, or "Adam (run 3)" when two runs are the same in every setting.
export function runLabel(entry, catalog, allEntries = [entry]) {
  const label = settingsLabel(entry, catalog, allEntries);
  // Settings that differ from some runs may still leave two runs alike (SGD, Adam, Adam lr=0.05,
  // Adam: both plain Adams read "Adam lr=0.001"): then the run number tells them apart.
  const clash = allEntries.some((e) => e !== entry && settingsLabel(e, catalog, allEntries) === label);
  return clash && !/\(run \d+\)$/.test(label) ? `${label} (run ${allEntries.indexOf(entry) + 1})` : label;
}

function settingsLabel(entry, catalog, allEntries) {
  const title = runTitle(entry, catalog);
  const meta = metaOf(catalog, entry.name);
  const same = allEntries.filter((e) => e !== entry && runTitle(e, catalog) === title);
  if (!same.length) return title;
  // SAM's lr is its base's
  const withBase = (e) => ({ ...settingsOf(e, meta), ...(e.base ? settingsOf(e.base, metaOf(catalog, e.base.name)) : {}) });
  const mine = withBase(entry);
  const others = same.map(withBase);
  // the settings in which some run of the same title differs, lr first
  const keys = Object.keys(mine).filter((k) => others.some((o) => o[k] !== mine[k]))
    .sort((a, b) => (a === "lr" ? -1 : b === "lr" ? 1 : 0));
  if (keys.length) return `${title} ${keys.map((k) => setting(k, mine[k])).join(" ")}`;
  // same hyper-parameters: a schedule, clipping or a fork may tell them apart
  const dyn = dynamicsOf(entry, catalog);
  const otherDyn = same.map((e) => dynamicsOf(e, catalog));
  const differs = Object.keys(dyn).filter((k) => otherDyn.some((o) => o[k] !== dyn[k]) && dyn[k]);
  if (differs.length) return `${title}, ${differs.map((k) => dyn[k]).join(", ")}`;
  if (Object.keys(dyn).some((k) => otherDyn.some((o) => o[k] !== dyn[k]))) return title;   // the parent of a fork
  return `${title} (run ${allEntries.indexOf(entry) + 1})`;
}

// The labels of all runs of a scene, in order.
export const runLabels = (entries, catalog) => entries.map((e) => runLabel(e, catalog, entries));
