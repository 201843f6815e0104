// Labelled numeric, boolean and choice controls that refuse bad values with a message
// naming the field and its allowed range; the page keeps its last good value.
import { h, newId, fmt } from "./dom.js";

export function numberControl({ label, name, value, lo, hi, kind = "float", onChange, title }) {
  const id = newId("num");
  const err = h("span", { class: "field-error", role: "alert", id: `${id}-err` });
  const isLog = kind === "log";
  const isInt = kind === "int";
  const input = h("input", {
    id, type: "text", inputmode: "decimal", value: String(value), "aria-describedby": `${id}-err`,
    "data-field": name, autocomplete: "off", spellcheck: "false",
  });
  const slider = h("input", {
    type: "range", min: 0, max: 1000, step: 1, "aria-label": `${label} slider`, tabindex: -1,
  });
  const toSlider = (v) => (isLog ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
    : (v - lo) / (hi - lo)) * 1000;
  const fromSlider = (s) => {
    const f = s / 1000;
    const v = isLog ? 10 ** (Math.log10(lo) + f * (Math.log10(hi) - Math.log10(lo))) : lo + f * (hi - lo);
    return isInt ? Math.round(v) : +v.toPrecision(3);
  };
  const range = `${fmt(lo)} and ${fmt(hi)}`;
  function check(text) {
    const v = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(v)) return [null, `${label} must be a number between ${range}`];
    if (isInt && !Number.isInteger(v)) return [null, `${label} must be a whole number between ${range}`];
    if (v < lo || v > hi) return [null, `${label} must be between ${range} (got ${text.trim()})`];
    return [v, null];
  }
  function showError(msg) {
    err.textContent = msg || "";
    input.setAttribute("aria-invalid", msg ? "true" : "false");
    wrap.classList.toggle("invalid", !!msg);
  }
  input.addEventListener("change", () => {
    const [v, msg] = check(input.value);
    showError(msg);
    if (msg) return;
    slider.value = toSlider(v);
    onChange(v);
  });
  slider.addEventListener("input", () => {
    const v = fromSlider(+slider.value);
    input.value = String(v);
    showError(null);
    onChange(v);
  });
  slider.value = toSlider(value);
  const wrap = h("div", { class: "control", title },
    h("label", { for: id }, label), h("div", { class: "control-row" }, slider, input), err);
  return { el: wrap, input, set(v) { input.value = String(v); slider.value = toSlider(v); showError(null); }, showError };
}

export function boolControl({ label, name, value, onChange }) {
  const id = newId("bool");
  const input = h("input", { id, type: "checkbox", "data-field": name });
  input.checked = !!value;
  input.addEventListener("change", () => onChange(input.checked));
  return { el: h("div", { class: "control control-bool" }, input, h("label", { for: id }, label)), input };
}

export function selectControl({ label, name, value, options, onChange }) {
  const id = newId("sel");
  const select = h("select", { id, "data-field": name },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  select.addEventListener("change", () => onChange(select.value));
  return { el: h("div", { class: "control" }, h("label", { for: id }, label), select), select };
}
