// View router: the URL hash names the view and holds its scene (lib/urlstate.js).
// Each view module exports mount(root, ctx) -> {unmount, ...}; views never do maths,
// they draw what the worker returns.
import { serialize, parse } from "../lib/urlstate.js";

const VIEWS = {
  landscape: () => import("./landscape.js"),
  network: () => import("./network.js"),
  projection: () => import("./projection.js"),
  exercises: () => import("./exercises.js"),
};
export const DEFAULT_VIEW = "landscape";

export function startViews({ api, root, notify, locked = false }) {
  let catalog = null;
  let current = null;       // {name, instance}
  let writing = false;      // our own hash updates must not remount
  let mountToken = 0;

  function setParams(name) {
    return (params) => {
      const hash = serialize(name, params);
      if (hash === location.hash) return;
      writing = true;
      history.replaceState(null, "", hash);
      writing = false;
      window.dispatchEvent(new CustomEvent("descentlab:scene", { detail: { view: name, params } }));
    };
  }

  async function route() {
    if (writing) return;
    const { view, params } = parse(location.hash);
    const known = Object.hasOwn(VIEWS, view);   // not VIEWS[view]: "#toString" is no view
    const name = known ? view : DEFAULT_VIEW;
    if (view && !known) notify(`This link names a view the page does not have (${JSON.stringify(view.slice(0, 40))}); showing the ${name} view. Views: ${Object.keys(VIEWS).join(", ")}.`);
    for (const a of document.querySelectorAll(".nav-list a")) {
      if (a.dataset.view === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const token = ++mountToken;
    if (!catalog) catalog = await api.call("list_catalog");
    let mod;
    try {
      mod = await VIEWS[name]();
    } catch (err) {
      root.textContent = `The ${name} view could not be loaded: ${err.message}`;
      return;
    }
    if (token !== mountToken) return;
    if (current) current.instance.unmount();
    delete root.dataset.digest;
    const instance = mod.mount(root, { api, catalog, params, setParams: setParams(name), notify, locked });
    current = { name, instance };
    window.descentlab.view = instance;
    window.descentlab.viewName = name;
  }

  window.addEventListener("hashchange", route);
  return route();
}
