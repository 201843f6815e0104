// Projection view: the paths optimizers take through weight space, mapped to 2-D.
// Python trains the network, computes PCA, the loss on the PCA plane and t-SNE; the parts
// in ./projection/ each do one job and mount() wires them: a setting updates the scene
// (scene.js, settings.js) and its link, Compute runs its spec (compute.js), and what
// comes back, every t-SNE frame included, is drawn (maps.js, draw.js).
import { h } from "../lib/dom.js";
import { cssColour } from "../lib/canvas.js";
import { problemBox } from "../lib/urlstate.js";
import { readScene, sceneParams, projectionSpec, storedNetwork, DEFAULT_NETWORK } from "./projection/scene.js";
import { projectionSettings } from "./projection/settings.js";
import { projectionRun } from "./projection/compute.js";
import { projectionMaps } from "./projection/maps.js";
import { linkStylesheet } from "./network/draw.js";

export function mount(root, { api, catalog, params, setParams, notify }) {
  linkStylesheet();
  const { scene, problems, networkFromLink } = readScene(params, catalog);
  let alive = true;
  let linkProblems = problemBox(problems);
  const colourOf = (i) => cssColour(scene.network.optimizers[i] && scene.network.optimizers[i].color, i);
  // a run's name: its optimizer's title, and a fork's origin (two Adams, one forked, read apart)
  const title = (o) => {
    const name = typeof o === "string" ? o : o.name;
    const t = ([...catalog.optimizers, ...(catalog.extra_optimizers || [])].find((c) => c.name === name) || { title: name }).title;
    return o && o.fork ? `${t}, fork of run ${o.fork.run + 1} at step ${o.fork.step}` : t;
  };
  const remember = () => setParams(sceneParams(scene));
  const settings = projectionSettings({ catalog, scene, colourOf, title, on: {
    changed: remember, shownRuns: () => { remember(); maps.draw(); }, takeNetwork } });
  const job = projectionRun({ api, root, spec: () => projectionSpec(scene), draw: () => maps.draw(), showMessage: settings.showMessage });
  const maps = projectionMaps({ scene, job, colourOf, title, notify, alive: () => alive });
  root.replaceChildren(linkProblems, h("div", { class: "projection-view" }, settings.el, maps.el));

  // A new network to project: its settings shown, nothing computed for it yet.
  function useNetwork(network) {
    scene.network = network; scene.hide = [];
    scene.layer = Math.max(0, network.model.hidden.length - 1);
    settings.showNetwork(); remember(); maps.draw();
  }

  function takeNetwork() {
    const net = storedNetwork(catalog);
    if (!net) { settings.showMessage("Train something in the Network view first; until then the default experiment is used."); return; }
    job.clear();
    useNetwork(net);
  }

  // Python checks the rest of a linked network at once, so a bad one is reported with the
  // link's other problems (and the default used) rather than when Compute is pressed.
  function checkLinkedNetwork() {
    const linked = scene.network;
    api.call("validate", projectionSpec(scene)).then(() => {}, (err) => {
      if (!alive || scene.network !== linked || job.run.running || job.run.result || err.kind !== "SpecError" || !String(err.field).startsWith("network")) return;
      scene.run = 0;
      const box = problemBox([...problems, { param: String(err.field), message: `${err.message}; the default experiment is used` }]);
      linkProblems.replaceWith(box);
      linkProblems = box;
      useNetwork(storedNetwork(catalog) || DEFAULT_NETWORK);
    });
  }

  // the maps fit their column: a phone's is narrower than their full size
  const onResize = () => maps.draw();
  window.addEventListener("resize", onResize);
  settings.showNetwork(); maps.draw(); remember();
  if (networkFromLink) checkLinkedNetwork();
  if (scene.compute) setTimeout(job.compute, 0);
  else job.showPrecomputed();   // the default projection at once while Python loads (web/instant.js)
  return {
    unmount() { alive = false; job.stop(); window.removeEventListener("resize", onResize); },
    get result() { return job.run.result; },
    get spec() { return job.run.spec || projectionSpec(scene); },
    get liveFrames() { return job.run.liveFrames; },
    compute: job.compute,
  };
}
