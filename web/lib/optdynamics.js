// The training-dynamics controls of one optimizer entry: its learning-rate schedule (with
// a small lr(t) preview that Python computes: the allowed call "schedule_values"), its
// gradient clipping, and a fork's origin. Ranges, defaults and names come from the
// catalog (catalog.dynamics, read from pywasm/descentlab/schedules.py and optimizer_spec.py).
// An entry holds them as the core reads them: entry.schedule = {name, ...}, entry.clip_grad_norm
// or entry.clip_grad_value = c, entry.fork = {run, step}.
import { h, newId } from "./dom.js";
import { numberControl, boolControl, selectControl } from "./controls.js";
import { LineChart } from "./chart.js";

const PREVIEW_HEIGHT = 96;
const PREVIEW_COLOUR = "#2b6cb0";
const DEFAULT_CLIP = 1.0;
const CLIP_SLIDER_MIN = 1e-6;  // the slider's low end; the core takes any c > 0 typed in
const DEFAULT_GAMMA = 0.99;   // exponential has no default gamma in torch: a gentle decay to start from

// Starting values of the parameters torch requires (no default), from the run's length.
function requiredStart(key, steps) {
  const part = (f) => Math.max(1, Math.floor(steps * f));
  return { step_size: part(0.25), milestones: [part(0.5), part(0.75)], gamma: DEFAULT_GAMMA, T_max: steps,
    total_steps: steps, warmup_steps: part(0.1), decay_steps: part(0.2) }[key];
}

// A new schedule of `name`: its required parameters filled in, the rest left to torch's defaults.
export function newSchedule(meta, steps) {
  const out = { name: meta.name };
  for (const [k, p] of Object.entries(meta.params)) if (!("default" in p)) out[k] = requiredStart(k, steps);
  return out;
}

// holder: the object that carries the schedule (the entry, or a SAM entry's base).
// lr(): the base lr the preview starts from; steps(): the run's length.
export function scheduleSection({ api, catalog, holder, path, lr, steps, onChange }) {
  const metas = catalog.dynamics.schedules;
  const byName = Object.fromEntries(metas.map((s) => [s.name, s]));
  const body = h("div", { class: "schedule-params" });
  const canvas = h("canvas", { class: "schedule-preview", "aria-label": "Learning rate per step (preview)", "data-field": `${path}.preview` });
  const err = h("p", { class: "field-error schedule-error", role: "alert" });
  const wrap = h("div", { class: "opt-schedule" });
  const chart = new LineChart(canvas, { height: PREVIEW_HEIGHT, logY: false, yLabel: "lr", xLabel: "step" });
  let asked = 0;

  async function preview() {
    const s = holder.schedule;
    canvas.hidden = !s;
    if (!s) { err.textContent = ""; return; }
    const mine = ++asked;
    try {
      const values = await api.call("schedule_values", s, lr(), steps());
      if (mine !== asked || !wrap.isConnected) return;
      err.textContent = "";
      canvas.hidden = false;
      canvas.dataset.points = String(values.length);
      chart.set([{ values, x: values.map((_, i) => i + 1), color: PREVIEW_COLOUR }]);
    } catch (e) {
      if (mine !== asked) return;
      canvas.hidden = true;
      err.textContent = `${e.field || path}: ${e.message}`;
    }
  }
  const changed = () => { onChange(); preview(); };

  function render() {
    const s = holder.schedule;
    body.replaceChildren(...(s ? paramControls(byName[s.name], s, `${path}.schedule`, changed) : []));
    if (s) body.append(h("p", { class: "hint" }, byName[s.name].summary));
    preview();
  }
  const select = selectControl({ label: "Schedule", name: `${path}.schedule.name`, value: holder.schedule ? holder.schedule.name : "",
    options: [["", "none (constant lr)"], ...metas.map((s) => [s.name, s.title])],
    onChange: (name) => { if (name) holder.schedule = newSchedule(byName[name], steps()); else delete holder.schedule; render(); onChange(); } });
  wrap.append(select.el, body, canvas, err);
  render();
  return { el: wrap, preview };
}

// One control per schedule parameter, with the catalog's range; a value equal to the
// default is left out of the entry (the link stays short).
function paramControls(meta, s, path, onChange) {
  return Object.entries(meta.params).map(([k, p]) => {
    const def = p.default;
    const value = s[k] ?? (def === "lr" ? undefined : def);
    const set = (v) => { if (v === def) delete s[k]; else s[k] = v; onChange(); };
    const name = `${path}.${k}`;
    if (p.kind === "bool") return boolControl({ label: k, name, value, onChange: set }).el;
    if (p.kind === "choice") return selectControl({ label: k, name, value, options: p.options.map((o) => [o, o]), onChange: set }).el;
    if (p.kind === "milestones") return milestonesControl(k, name, s[k] || [], (v) => { s[k] = v; onChange(); });
    if (p.kind === "momentum") return numberControl({ label: k, name, value, lo: 0, hi: 0.9999, onChange: set }).el;
    if (def === "lr" && value === undefined) {
      return numberControl({ label: `${k} (default: the lr)`, name, value: "", lo: p.lo, hi: p.hi, onChange: set }).el;
    }
    return numberControl({ label: k, name, value, lo: p.lo, hi: p.hi, kind: p.kind === "int" ? "int" : "float", onChange: set }).el;
  });
}

// Milestones as "50, 100": increasing whole numbers (Python checks the order and names the item).
function milestonesControl(label, name, value, onChange) {
  const id = newId("ms");
  const err = h("span", { class: "field-error", role: "alert" });
  const input = h("input", { id, type: "text", value: value.join(", "), "data-field": name, autocomplete: "off" });
  input.addEventListener("change", () => {
    const parts = input.value.split(",").map((t) => t.trim()).filter(Boolean);
    const nums = parts.map(Number);
    if (!parts.length || nums.some((v) => !Number.isInteger(v) || v < 1)) {
      err.textContent = `${label} must be whole numbers from 1 up, separated by commas, like 50, 100`;
      return;
    }
    err.textContent = "";
    onChange(nums);
  });
  return h("div", { class: "control" }, h("label", { for: id }, label), input, err);
}

// Clipping: none, the total 2-norm (clip_grad_norm) or each coordinate (clip_grad_value), at c.
export function clipSection({ catalog, entry, path, onChange }) {
  const C = catalog.dynamics.clip;
  const kindOf = () => C.fields.find((f) => entry[f] !== undefined) || "";
  const cBox = h("div", {});
  function renderC() {
    const kind = kindOf();
    cBox.replaceChildren(...(kind ? [numberControl({ label: "c", name: `${path}.${kind}`, value: entry[kind], lo: CLIP_SLIDER_MIN, hi: C.hi, kind: "log",
      onChange: (v) => { entry[kind] = v; onChange(); } }).el] : []));
  }
  const select = selectControl({ label: "Clip gradient", name: `${path}.clip`, value: kindOf(),
    options: [["", "none"], ["clip_grad_norm", "by norm (clip_grad_norm_)"], ["clip_grad_value", "by value (clip_grad_value_)"]],
    onChange: (kind) => {
      const c = entry[kindOf()] ?? DEFAULT_CLIP;
      for (const f of C.fields) delete entry[f];
      if (kind) entry[kind] = c;
      renderC(); onChange();
    } });
  renderC();
  return h("div", { class: "opt-clip" }, select.el, cBox);
}

// A fork's origin, and a way to make it a run of its own again.
export function forkLine({ entry, onChange, render }) {
  if (!entry.fork) return null;
  const { run, step } = entry.fork;
  return h("p", { class: "opt-fork hint", "data-field": "fork" }, `Fork of run ${run + 1} at step ${step}: its path up to there, then these settings. `,
    h("button", { type: "button", class: "button secondary small", onclick: () => { delete entry.fork; render(); onChange(); } }, "Unfork"));
}
