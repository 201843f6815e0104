// The list of optimizers a scene compares: name, colour and every hyper-parameter,
// with the catalog's ranges. Shared by the landscape and network views.
// An entry is a built-in optimizer {name, params, color} or the learner's own code
// {name: "custom", label, code, hyper, color} (written in web/codelab/panel.js: "Edit a
// copy" of a built-in, or "Write your own" from a blank template).
import { h, newId } from "./dom.js";
import { PALETTE, cssColour } from "./canvas.js";
import { numberControl, boolControl, selectControl } from "./controls.js";
import { MAX_LABEL_CHARS, MAX_HYPER_VALUE } from "./urlstate.js";
import { runLabel } from "./labels.js";
import { codePanel, sourceCopy, BLANK_TEMPLATE } from "../codelab/panel.js";
import { scheduleSection, clipSection, forkLine } from "./optdynamics.js";

export const MAX_OPTIMIZERS = 12;
const DEFAULT_PREVIEW_STEPS = 200;

const isCustom = (o) => o.name === "custom";
// SAM's copy renames a probe hyper-parameter its base's update also names (Adadelta's rho): copy.py's PROBE_PREFIX
const PROBE_PREFIX = "sam_";

// opts: the entries, edited in place. api: for the code panel (the code worker) and the
// schedule preview. (api defaults to the page's own, window.descentlab.)
// view: "landscape" leaves out optimizers offered in the network only (Muon), with a note
// why; steps(): the run's length in optimizer steps (the schedule preview's x axis).
export function optimizerList({ api = window.descentlab, catalog, opts, onChange, onColour, onOpen, badge = () => "",
  view = "network", steps = () => DEFAULT_PREVIEW_STEPS }) {
  const extras = (catalog.extra_optimizers || []).filter((o) => view !== "landscape" || !o.network_only);
  const choices = [...catalog.optimizers, ...extras];
  const optById = Object.fromEntries([...catalog.optimizers, ...(catalog.extra_optimizers || [])].map((o) => [o.name, o]));
  const el = h("div", { class: "opt-list" });
  // Whether each entry's panel is open, kept across render() (a new type, a removed run,
  // a new label): the learner keeps seeing the settings they were editing. An entry not
  // yet shown starts open when the list is short (3 or fewer), else closed; add() opens it.
  const isOpen = new WeakMap();
  const code = codeEditing({ api, catalog, opts, onChange, render: () => render(), add: (entry) => add(entry), live: () => el.isConnected });

  // "2. SGD + momentum μ=0.99": the setting that tells it from a run of the same kind.
  const title = (o, i) => `${i + 1}. ${runLabel(o, catalog, opts)}`;
  // A hyper-parameter changed: the titles may now name another setting.
  function paramChanged() {
    el.querySelectorAll(".opt-item .opt-title").forEach((t, i) => { if (opts[i]) t.textContent = title(opts[i], i); });
    onChange();
  }

  function render() {
    code.forget();
    el.replaceChildren(...opts.map((o, i) => {
      const custom = isCustom(o);
      const color = h("input", { type: "color", value: cssColour(o.color, i), "aria-label": `Colour of run ${i + 1}`,
        oninput: (e) => { o.color = e.target.value; (onColour || onChange)(); } });
      const remove = h("button", { type: "button", class: "icon-button", "aria-label": `Remove run ${i + 1}`,
        disabled: opts.length <= 1, onclick: () => { opts.splice(i, 1); render(); onChange(); } }, "✕");
      const head = custom ? customHead(o, i) : builtinHead(o, i);
      if (!isOpen.has(o)) isOpen.set(o, opts.length <= 3);
      const details = h("details", { class: `opt-item${custom ? " opt-custom" : ""}`, open: isOpen.get(o) },
        h("summary", {}, h("span", { class: "swatch", style: { background: cssColour(o.color, i) } }), h("span", { class: "opt-title" }, title(o, i)), badge(i)),
        h("div", { class: "opt-head" }, head.el, color, remove), head.actions,
        custom ? customParams(o, i, paramChanged) : builtinParams(o, i, optById[o.name], paramChanged),
        ...(custom ? [] : dynamicsOf(o, i)));
      details.addEventListener("toggle", () => {
        if (!details.isConnected) return;   // a panel of an earlier render()
        isOpen.set(o, details.open);
        if (onOpen && !custom && details.open) onOpen(i);
      });
      return details;
    }));
  }

  function builtinHead(o, i) {
    const nameSel = selectControl({ label: "Optimizer", name: `optimizers[${i}].name`, value: o.name,
      options: choices.map((m) => [m.name, m.title]),
      onChange: (name) => {
        o.name = name; o.params = {};
        const base = optById[name].base;   // SAM: a base optimizer, which carries the lr and schedule
        if (base) { const { name: bn, ...bp } = base.default; o.base = { name: bn, params: bp }; } else delete o.base;
        if (base || optById[name].schedulable === false) delete o.schedule;
        render(); onChange();
      } });
    // the catalog's copyable: every optimizer the learner contract can express (all of them today)
    const copy = optById[o.name].copyable === false ? null : h("button", { type: "button", class: "button secondary small opt-copy", "aria-label": `Edit a copy of ${optById[o.name].title} (run ${i + 1})`,
      onclick: () => code.copyOf(o) }, "Edit a copy");
    return { el: nameSel.el, actions: h("div", { class: "opt-code-actions" }, ...(copy ? [copy] : [])) };
  }

  // SAM's base optimizer (its lr and schedule), the schedule, clipping and a fork's origin.
  function dynamicsOf(o, i) {
    const path = `optimizers[${i}]`;
    const meta = optById[o.name];
    const out = [];
    const lrOf = (e, m) => e.params.lr ?? m.defaults.lr;
    if (o.base) {
      const baseMeta = optById[o.base.name] || catalog.optimizers[0];
      const refused = new Set(meta.base.refused);
      const baseSel = selectControl({ label: "Base optimizer (it steps with the probe's gradient)", name: `${path}.base.name`, value: o.base.name,
        options: catalog.optimizers.filter((m) => !refused.has(m.name)).map((m) => [m.name, m.title]),
        onChange: (name) => { o.base = { name, params: {} }; render(); onChange(); } });
      out.push(h("div", { class: "opt-base" }, baseSel.el, builtinParams(o.base, i, baseMeta, paramChanged, `${path}.base`),
        scheduleSection({ api, catalog, holder: o.base, path: `${path}.base`, lr: () => lrOf(o.base, baseMeta), steps, onChange }).el));
    } else if (meta.schedulable === false) {
      out.push(h("p", { class: "hint" }, `Schedules are not available for ${meta.title}.`));
    } else {
      out.push(scheduleSection({ api, catalog, holder: o, path, lr: () => lrOf(o, meta), steps, onChange }).el);
    }
    out.push(clipSection({ catalog, entry: o, path, onChange }));
    const fork = forkLine({ entry: o, onChange, render });
    if (fork) out.push(fork);
    return out;
  }

  function customHead(o, i) {
    const id = newId("opt-label");
    const input = h("input", { id, type: "text", value: o.label, maxlength: MAX_LABEL_CHARS, "data-field": `optimizers[${i}].label`, autocomplete: "off" });
    input.addEventListener("change", () => {
      o.label = input.value.trim().slice(0, MAX_LABEL_CHARS) || "My optimizer";
      input.value = o.label;
      render(); onChange();
    });
    const editBtn = h("button", { type: "button", class: "button secondary small opt-edit-code", "data-field": `optimizers[${i}].code`,
      onclick: () => code.edit(o) }, "Edit code");
    return { el: h("div", { class: "control" }, h("label", { for: id }, "Label"), input),
      actions: h("div", { class: "opt-code-actions" }, editBtn) };
  }

  // add("adam", {lr: 0.1}) or add({name: "custom", label, code, hyper}): a new entry in the next free colour.
  function add(name = "adam", params = {}) {
    if (opts.length >= MAX_OPTIMIZERS) return false;
    const used = new Set(opts.map((o) => o.color));
    const entry = typeof name === "object" ? name : { name, params };
    const added = { ...entry, color: PALETTE.find((c) => !used.has(c)) || PALETTE[opts.length % PALETTE.length] };
    opts.push(added);
    isOpen.set(added, true);
    render();
    return true;
  }

  // Called for every scene while the start point is dragged: touch the DOM only where a
  // badge's text or kind changed, so the page is not laid out and repainted for nothing.
  function refreshBadges() {
    el.querySelectorAll(".opt-item").forEach((d, i) => {
      const old = d.querySelector(".badge");
      const b = badge(i);
      if (old && b && old.className === b.className && old.textContent === b.textContent) return;
      if (old) old.remove();
      if (b) d.querySelector("summary").append(b);
    });
  }

  // "Write your own": a blank template in the code panel; it joins the list when saved.
  const writeOwn = h("button", { type: "button", class: "button secondary", onclick: () => code.blank() }, "+ Write your own");

  render();
  // On the landscape: why Muon is not in the menu (the catalog's own words).
  const left = (catalog.extra_optimizers || []).filter((o) => !extras.includes(o));
  const note = left.length ? h("p", { class: "hint opt-network-only" }, left.map((o) => `${o.title}: ${o.landscape_note}.`).join(" ")) : null;
  return { el, render, add, refreshBadges, writeOwn, note, codeError: code.showError, closeCode: code.close };
}

// The hyper-parameters of a built-in entry, with the catalog's ranges.
function builtinParams(o, i, meta, onChange, path = `optimizers[${i}]`) {
  const body = h("div", { class: "opt-params" });
  for (const [k, def] of Object.entries(meta.defaults)) {
    const [lo, hi, kind] = meta.ranges[k];
    const val = o.params[k] ?? def;
    const set = (v) => { if (v === def) delete o.params[k]; else o.params[k] = v; onChange(); };
    const name = `${path}.${k}`;
    body.append(kind === "bool"
      ? boolControl({ label: k, name, value: val, onChange: set }).el
      : kind === "choice"   // lo holds the options (Muon's adjust_lr_fn)
        ? selectControl({ label: k, name, value: val, options: lo.map((v) => [v, v]), onChange: set }).el
        : numberControl({ label: k, name, value: val, lo, hi, kind, onChange: set }).el);
  }
  return body;
}

// The hyper-parameters of the learner's update (its keyword defaults, as described when
// the code was saved): any finite number within ±MAX_HYPER_VALUE, or true/false.
function customParams(o, i, onChange) {
  const body = h("div", { class: "opt-params custom-params" });
  for (const [k, val] of Object.entries(o.hyper || {})) {
    const set = (v) => { o.hyper[k] = v; onChange(); };
    body.append(typeof val === "boolean"
      ? boolControl({ label: k, name: `optimizers[${i}].hyper.${k}`, value: val, onChange: set }).el
      : numberControl({ label: k, name: `optimizers[${i}].hyper.${k}`, value: val, lo: -MAX_HYPER_VALUE, hi: MAX_HYPER_VALUE, onChange: set }).el);
  }
  if (!body.childElementCount) body.append(h("p", { class: "hint" }, "update has no hyper-parameters (keyword arguments with defaults)."));
  return body;
}

// The code panel of the list: one open at a time, for an entry of the list or for a new
// one (a copy of a built-in, or the blank template) that joins the list when saved.
function codeEditing({ api, catalog, opts, onChange, render, add, live }) {
  let open = null;   // {panel, entry, isNew}

  function start(entry, isNew) {
    close();
    const current = { entry, isNew, panel: null };
    current.panel = codePanel({ api, catalog, entry, onClose: () => { if (open === current) open = null; },
      onSave({ label, code, defaults }) {
        if (!live()) { current.panel.close(); return; }   // the view was left: its scene is gone
        const seed = current.entry.hyper || {};
        const hyper = {};
        for (const [k, d] of Object.entries(defaults)) hyper[k] = typeof seed[k] === typeof d ? seed[k] : d;
        if (current.isNew) {
          const fresh = { name: "custom", label, code, hyper };
          if (!add(fresh)) { current.panel.showError({ message: `At most ${MAX_OPTIMIZERS} optimizers in one scene: remove one first.` }); return; }
          current.entry = opts[opts.length - 1];
          current.isNew = false;
        } else {
          Object.assign(current.entry, { label, code, hyper });
          render();
        }
        onChange();
      } });
    open = current;
  }

  function close() { if (open) open.panel.close(); }

  return {
    edit: (entry) => start(entry, false),
    blank: () => start({ name: "custom", label: "My optimizer", code: BLANK_TEMPLATE, hyper: {} }, true),
    async copyOf(o) {
      const find = (name) => [...catalog.optimizers, ...(catalog.extra_optimizers || [])].find((m) => m.name === name);
      const meta = find(o.name);
      const baseMeta = o.base ? find(o.base.name) : null;   // SAM: the copy is its probe over the base's code
      const own = { ...meta.defaults, ...o.params };
      const baseOwn = baseMeta ? { ...baseMeta.defaults, ...(o.base.params || {}) } : {};
      // a text default (Sophia's hessian_distribution) is fixed in the code, not a hyper-parameter of
      // the copy: the copy is asked to carry the entry's when it is not the default
      const choices = {};
      for (const [m, values] of [[baseMeta, baseOwn], [meta, own]]) {
        for (const [k, v] of Object.entries(values)) if (typeof v === "string" && v !== m.defaults[k]) choices[k] = v;
      }
      const label = (baseMeta ? `My ${meta.title} (${baseMeta.title})` : `My ${meta.title}`).slice(0, MAX_LABEL_CHARS);
      let source;
      try { source = await sourceCopy(api, catalog, o.name, { base: baseMeta ? o.base.name : null, choices }); } catch (err) {
        start({ name: "custom", label, code: `# The source of ${meta.title} could not be loaded: ${err.message}\n`, hyper: {} }, true);
        return;
      }
      // the base's hyper-parameters, then SAM's; a name both have (Adadelta's rho) is SAM's as
      // sam_<name> in the copy (PROBE_PREFIX in pywasm/descentlab/optimizers/copy.py)
      const hyper = {};
      for (const [k, v] of Object.entries(baseOwn)) if (typeof v !== "string") hyper[k] = v;
      for (const [k, v] of Object.entries(own)) {
        if (typeof v !== "string") hyper[baseMeta && k in baseMeta.defaults ? `${PROBE_PREFIX}${k}` : k] = v;
      }
      start({ name: "custom", label, code: source, hyper }, true);
    },
    close,
    // After a re-render: an entry no longer in the list has no panel.
    forget() { if (open && !open.isNew && !opts.includes(open.entry)) close(); },
    // A run's error about the learner's code (field optimizers[i].code, or a stopped worker)
    // is shown in the open panel when it is that entry's. -> whether it was shown there.
    showError(err) {
      if (!open || open.isNew) return false;
      const m = /^optimizers\[(\d+)\]\.code$/.exec(String(err.field || ""));
      const mine = m ? opts[+m[1]] === open.entry : err.kind === "CodeTimeout";
      if (mine) open.panel.showError(err);
      return mine;
    },
  };
}

// Colours for a list the page wrote itself (a lesson, a default scene): palette colours in
// order. A list from a link goes through urlstate's optimizers() reader instead.
export function normalizeOpts(list) {
  return list.slice(0, MAX_OPTIMIZERS).map((o, i) => (isCustom(o)
    ? { name: "custom", label: o.label, code: o.code, hyper: { ...(o.hyper || {}) }, color: PALETTE[i % PALETTE.length] }
    : { ...structuredClone(dynamicFields(o)), name: o.name, params: { ...(o.params || {}) }, color: PALETTE[i % PALETTE.length] }));
}

// The fields of an entry beside its hyper-parameters: schedule, clipping, fork, SAM's base.
export const DYNAMIC_FIELDS = ["schedule", "clip_grad_norm", "clip_grad_value", "fork", "base"];
export function dynamicFields(o) {
  return Object.fromEntries(DYNAMIC_FIELDS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

// SAM's base as the core reads it: {name, its hyper-parameters, schedule?}.
const baseSpec = (b) => ({ ...b.params, ...(b.schedule ? { schedule: b.schedule } : {}), name: b.name });

// The optimizers as the core reads them. The name comes last, so no hyper-parameter can
// replace it: what the list shows is what is computed.
export function optimizerSpecs(opts) {
  return opts.map((o, i) => (isCustom(o)
    ? { name: "custom", label: o.label, code: o.code, hyper: { ...o.hyper }, color: cssColour(o.color, i) }
    : { ...o.params, ...dynamicFields(o), ...(o.base ? { base: baseSpec(o.base) } : {}), name: o.name, color: cssColour(o.color, i) }));
}
