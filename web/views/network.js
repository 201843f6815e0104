// Network view: the same small network trained with several optimizers side by side.
// Datasets come from presets, a description in words, or a CSV file; everything is
// generated, trained and evaluated by Python in the worker. The parts in ./network/ each
// do one job and mount() wires them: an edit updates the experiment (scene.js) and its
// link; Train sends its spec; the streamed and final results are drawn (training.js).
import { h } from "../lib/dom.js";
import { problemBox } from "../lib/urlstate.js";
import { optimizerList } from "../lib/optlist.js";
import { readScene, sceneParams, networkSpec } from "./network/scene.js";
import { fieldErrors } from "./network/fields.js";
import { llmAsker } from "./network/llm.js";
import { DatasetPanel } from "./network/dataset.js";
import { modelControls } from "./network/model.js";
import { TrainingPanel } from "./network/training.js";
import { networkInspector } from "./network/inspector.js";
import { linkStylesheet } from "./network/draw.js";

export function mount(root, { api, catalog, params, setParams, notify }) {
  linkStylesheet();
  const { scene, problems } = readScene(params, catalog);
  let alive = true;
  const isAlive = () => alive;
  const msg = h("div", { class: "message", role: "alert", hidden: true });
  const showMessage = (text) => { msg.hidden = !text; msg.textContent = text || ""; };
  const fieldText = fieldErrors(root);
  const errorText = (err) => { optUI.codeError(err); return fieldText(err); };   // code errors in the code panel too
  const remember = () => setParams(sceneParams(scene));
  const llm = llmAsker({ api, catalog, errorText });
  const data = new DatasetPanel({ api, catalog, scene, llm, errorText, showMessage, alive: isAlive, on: { changed: remember } });
  const spec = () => networkSpec(scene, data.uploaded);
  const training = new TrainingPanel({ api, root, catalog, scene, spec, data: () => data.data, notify, alive: isAlive,
    errorText, showMessage, onDone: () => optUI.refreshBadges() });
  const optUI = optimizerList({ api, catalog, opts: scene.optimizers, onChange: remember,
    onColour: () => { remember(); training.draw(); }, badge: (i) => runBadge(training.runs()[i]) });
  const side = h("aside", { class: "panel side", "aria-label": "Dataset and model" },
    h("h2", {}, "Dataset"), msg, ...data.els,
    h("h2", {}, "Model"), modelControls({ catalog, scene, onChange: remember }),
    h("h2", {}, "Optimizers"), optUI.el,
    h("div", { class: "opt-add" }, h("button", { type: "button", class: "button secondary", onclick: () => { if (optUI.add()) remember(); } }, "+ Add optimizer"),
      optUI.writeOwn));
  const inspector = networkInspector({ api, catalog });   // follows each finished training
  root.replaceChildren(problemBox(problems), h("div", { class: "network-view" }, side, training.el, inspector.el));

  const onResize = () => training.draw();
  window.addEventListener("resize", onResize);
  data.render(); data.refresh(); training.draw();
  if (scene.train) setTimeout(() => training.train(), 0);   // ?train=1: a shared link can start training at once

  return {
    unmount() {
      alive = false; window.removeEventListener("resize", onResize); optUI.closeCode();
      inspector.destroy();
      training.stop();
      llm.stop("cancel");
    },
    get result() { return training.result; },
    get spec() { return training.lastSpec || spec(); },
    get data() { return data.data; },
    train: () => training.train(),
    inspect: (choice) => inspector.select(choice),   // for tests: {run, step, layer, index}
  };
}

// The badge after a run's name: its last validation accuracy, or where it diverged.
function runBadge(r) {
  if (!r || !r.epochs || !r.epochs.val_acc.length) return "";
  const clipped = r.clipped !== undefined && r.clipped !== null ? ` · clipped ${r.clipped}×` : "";   // steps whose gradient was clipped
  return r.diverged_at ? h("span", { class: "badge danger" }, ` diverged at step ${r.diverged_at}${clipped}`)
    : h("span", { class: "badge" }, ` val acc ${(100 * r.epochs.val_acc.at(-1)).toFixed(1)}%${clipped}`);
}
