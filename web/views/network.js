// Network view: the same small network trained with several optimizers side by side.
// Datasets come from presets, a description in words, or a CSV file; everything is
// generated, trained and evaluated by Python in the worker. The parts in ./network/ each
// do one job and mount() wires them: an edit updates the experiment (scene.js) and its
// link; Train sends its spec; the streamed and final results are drawn (training.js);
// "Tune learning rates" sends it as a tune and can set each optimizer's best lr (tune.js).
import { h } from "../lib/dom.js";
import { problemBox } from "../lib/urlstate.js";
import { optimizerList, MAX_OPTIMIZERS } from "../lib/optlist.js";
import { readScene, sceneParams, networkSpec } from "./network/scene.js";
import { fieldErrors } from "./network/fields.js";
import { llmAsker } from "./network/llm.js";
import { DatasetPanel } from "./network/dataset.js";
import { modelControls } from "./network/model.js";
import { TrainingPanel } from "./network/training.js";
import { networkInspector } from "./network/inspector.js";
import { linkStylesheet } from "./network/draw.js";
import { tunePanel } from "./network/tune.js";
import { markOnce } from "../instant.js";

const WARMING = "The dataset was computed ahead of time: interactive in a moment, once Python has loaded (Train waits for it).";

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
  // The inspector's "Fork from step k": a copy of run i that follows it to step k, then goes on
  // with its own settings (issue #16 item 5); its panel opens for them, and the scene trains again.
  const forkRun = (run, step) => {
    const entry = scene.optimizers[run];
    if (!entry) return "";
    if (!optUI.add({ ...structuredClone(entry), fork: { run, step } })) return `At most ${MAX_OPTIMIZERS} optimizers in one experiment: remove one to fork.`;
    remember();
    if (training.training) return "The fork is added; a training is running: Stop it, then press Train.";
    training.train();
    return "";
  };
  const inspector = networkInspector({ api, catalog, fork: forkRun });   // follows each finished training

  // The dataset preview is the view's first picture. While Python loads it may be one
  // computed at build time (web/instant.js); once the worker is ready the same spec runs
  // live and replaces it (api.relive checks the digest: a loud console error if it differs).
  const showData = data.show.bind(data);
  data.show = (r) => {
    showData(r);
    markOnce("firstScene");   // the marks are read by benchmarks outside this repo
    if (!api.precomputed || !api.precomputed(r)) { markOnce("interactive"); return; }
    training.status.textContent = WARMING;
    api.relive(r).then(({ live }) => {
      if (!alive || data.data !== r) return;
      if (training.status.textContent === WARMING) training.status.textContent = "";
      data.show(live);
    }, () => {});
  };
  // "Use these lrs": each optimizer's lr set to its best (and a schedule's own lrs scaled as
  // the tune scaled them), then the scene trains; refused if the list changed since the tune.
  const useTuned = (best, tunedEntries) => {
    const opts = scene.optimizers;
    if (opts.length !== tunedEntries.length || opts.some((o, i) => o.name !== tunedEntries[i].name)) {
      return "The optimizer list changed since this tune: tune again to use its learning rates.";
    }
    opts.forEach((o, i) => setTunedLr(o, best[i]));
    optUI.render(); remember();
    if (training.training) return "The learning rates are set; a training is running: Stop it, then press Train to train at them.";
    training.train();
    return "";
  };
  // a refused width the page has not sent would silently tune the last good widths
  const blocked = () => {
    const err = root.querySelector("#hidden-err");
    return err && err.textContent ? `Hidden layer widths: ${err.textContent}. Fix them to tune (the previous widths are not used).` : "";
  };
  const tune = tunePanel({ api, catalog, spec, entries: () => scene.optimizers, sceneError: errorText, use: useTuned, blocked });
  root.replaceChildren(problemBox(problems), h("div", { class: "network-view" }, side, training.el, tune.el, inspector.el));

  const onResize = () => { training.draw(); tune.draw(); };
  window.addEventListener("resize", onResize);
  data.render(); data.refresh(); training.draw();
  if (scene.train) setTimeout(() => training.train(), 0);   // ?train=1: a shared link can start training at once

  return {
    unmount() {
      alive = false; window.removeEventListener("resize", onResize); optUI.closeCode();
      inspector.destroy();
      training.stop(); tune.stop();
      llm.stop("cancel");
    },
    get result() { return training.result; },
    get spec() { return training.lastSpec || spec(); },
    get data() { return data.data; },
    train: () => training.train(),
    inspect: (choice) => inspector.select(choice),   // for tests: {run, step, layer, index}
  };
}

// An entry of the optimizer list given its tuned lr: {lr, run} (run: the tune's best run of
// it, as Python ran it). SAM's lr is its base's; learner code's is its lr hyper-parameter;
// a schedule's eta_min (cosine) or max_lr (one-cycle) is taken from the run, which scaled it.
const SCHEDULE_LRS = ["eta_min", "max_lr"];
function setTunedLr(o, { lr, run }) {
  if (o.name === "custom") { o.hyper = { ...o.hyper, lr }; return; }
  const [holder, ran] = o.base ? [o.base, run.base || {}] : [o, run];
  holder.params = { ...holder.params, lr };
  if (holder.schedule && ran.schedule && ran.schedule.name === holder.schedule.name) {
    for (const k of SCHEDULE_LRS) if (ran.schedule[k] !== undefined && (k in holder.schedule || k === "max_lr")) holder.schedule[k] = ran.schedule[k];
  }
}

// The badge after a run's name: its last validation accuracy, or where it diverged.
function runBadge(r) {
  if (!r || !r.epochs || !r.epochs.val_acc.length) return "";
  const clipped = r.clipped !== undefined && r.clipped !== null ? ` · clipped ${r.clipped}×` : "";   // steps whose gradient was clipped
  return r.diverged_at ? h("span", { class: "badge danger" }, ` diverged at step ${r.diverged_at}${clipped}`)
    : h("span", { class: "badge" }, ` val acc ${(100 * r.epochs.val_acc.at(-1)).toFixed(1)}%${clipped}`);
}
