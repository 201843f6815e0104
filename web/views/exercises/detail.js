// One exercise: its title, why it matters, the equations (from the reference optimizer's
// own module, via exercises_list), hints revealed one at a time, the editor with the
// learner's code, and Check / Reset to skeleton / Race it.
import { h } from "../../lib/dom.js";
import { codeEditor } from "./code-editor.js";

export function exerciseDetail(ex, index, { code, passed, attempts, on }) {
  const ids = { title: `ex-title-${ex.id}` };
  const editorBox = h("div", { class: "ex-editor" });
  const verdict = h("div", { class: "ex-verdict-box", role: "status", "aria-live": "polite" });
  const race = h("div", { class: "ex-race", hidden: true });
  const attemptsText = h("span", { class: "ex-attempts" });
  const passedBadge = h("span", { class: "badge ex-passed-badge", hidden: !passed }, "✓ passed");
  const checkButton = h("button", { type: "button", class: "button ex-check", onclick: () => on.check(editor.getValue()) }, "Check");
  const reset = resetControl(() => { editor.setValue(ex.skeleton); editor.markLine(null); on.change(ex.skeleton); });
  const hints = hintList(ex.hints);

  const el = h("section", { class: "panel ex-detail", "aria-labelledby": ids.title },
    h("div", { class: "ex-info" },
      h("h2", { id: ids.title }, `${index + 1}. ${ex.title} `, passedBadge),
      h("p", { class: "ex-why" }, ex.why || ""),
      h("h3", {}, "Equations"),
      h("pre", { class: "ex-equations", "aria-label": `Equations of ${ex.title}` }, ex.equations.join("\n")),
      h("p", { class: "ex-note" }, ex.task || "Write update so that it returns (updates, new_state); the updates are added to the parameters.",
        " ", h("code", {}, "np"), ", ", h("code", {}, "K"), " (K.sqrt, K.exp, …) and ",
        h("code", {}, "bias_correction(beta, t)"), " (1 − βᵗ) are available."),
      hints.el),
    h("div", { class: "ex-work" },
      h("h3", {}, "Your code"),
      editorBox,
      h("div", { class: "ex-actions" }, checkButton, reset.el, attemptsText),
      reset.confirm,
      verdict, race));

  let editor = null;
  const ready = codeEditor(editorBox, { value: code ?? ex.skeleton, label: `Code of the ${ex.title} exercise`,
    onChange: (text) => on.change(text) }).then((ed) => { editor = ed; return ed; });

  function showAttempts(n) {
    attemptsText.textContent = n ? `${n} check${n === 1 ? "" : "s"} so far` : "";
  }
  showAttempts(attempts);

  return {
    el,
    ready,
    get editor() { return editor; },
    checking(busy) {
      checkButton.disabled = busy;
      checkButton.textContent = busy ? "Checking…" : "Check";
      if (busy) { verdict.replaceChildren(h("p", { class: "ex-checking" }, "Running your update beside the reference…")); race.hidden = true; }
    },
    showVerdict(node, line, message) {
      verdict.replaceChildren(node);
      editor?.markLine(line ?? null, message);
    },
    showPassed(isPassed) { passedBadge.hidden = !isPassed; },
    showAttempts,
    // onRace: the button's action, or null (not passed yet); the note says where it races
    showRace(onRace) {
      race.hidden = !onRace;
      race.replaceChildren(...(onRace ? [
        h("p", { class: "ex-race-note" }, ex.race_note || "Your optimizer joins the race on the landscape, next to Descent Lab's own."),
        h("button", { type: "button", class: "button ex-race-button", onclick: onRace }, "Race it"),
      ] : []));
    },
    destroy() { editor?.destroy(); },
  };
}

// Hints, one at a time: "Show a hint (1 of 3)".
function hintList(hints) {
  const list = h("ol", { class: "ex-hints" });
  const button = h("button", { type: "button", class: "button secondary ex-hint-button", onclick: reveal });
  let shown = 0;
  function label() {
    button.hidden = shown >= hints.length;
    button.textContent = `Show a hint (${shown + 1} of ${hints.length})`;
  }
  function reveal() {
    if (shown >= hints.length) return;
    list.append(h("li", {}, hints[shown]));
    shown += 1;
    label();
    if (button.hidden) {  // the button is gone: keep the focus on the last hint, not lost on the page
      list.lastChild.setAttribute("tabindex", "-1");
      list.lastChild.focus();
    }
  }
  label();
  return { el: h("div", { class: "ex-hints-box" }, h("h3", {}, "Hints"), list, button) };
}

// "Reset to skeleton" asks first, in the page (no browser dialog): the learner's code is lost.
function resetControl(doReset) {
  const confirm = h("div", { class: "ex-confirm", role: "group", "aria-label": "Confirm reset", hidden: true },
    h("p", {}, "Replace your code with the exercise's skeleton? Your code is lost (export your progress first to keep it)."),
    h("button", { type: "button", class: "button danger ex-reset-yes", onclick: () => { confirm.hidden = true; doReset(); } }, "Reset to skeleton"),
    h("button", { type: "button", class: "button secondary ex-reset-no", onclick: () => { confirm.hidden = true; el.focus(); } }, "Keep my code"));
  const el = h("button", { type: "button", class: "button secondary ex-reset",
    onclick: () => { confirm.hidden = false; confirm.querySelector(".ex-reset-no").focus(); } }, "Reset to skeleton");
  return { el, confirm };
}
