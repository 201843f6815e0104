// Single-file early worker (build.py inlines this into the <head> of dist/descentlab.html in
// place of index.html's early-worker script; not shipped on its own). The main worker starts
// here, before the ~18 MB of embedded assets below are parsed, from a small Blob: worker.js
// behind web/single/worker-prelude.js, which waits for the assets. web/single/bootstrap.js
// posts them once the parser has read them. Meanwhile the page's modules (an async module
// script placed before the assets) draw the precomputed first picture, and api.js adopts
// this worker as it adopts the served app's early one (same name: no snapshot here).
(() => {
  "use strict";
  const BASE = /*@BASE@*/"";          // the URL prefix Pyodide is told to load from
  const PRELUDE = /*@PRELUDE@*/"";    // web/single/worker-prelude.js
  const WORKER = /*@WORKER@*/"";      // worker.js, unchanged
  // The code of a worker of this file, as Blob parts: `assets` is the JavaScript text of the
  // embedded assets' object literal (in parts), or "null" while the page is still reading
  // them. bootstrap.js writes the later workers' code with it too.
  const workerSource = (...assets) => [
    `self.DESCENTLAB_BASE_URL = ${JSON.stringify(BASE)};\n`,
    `self.DESCENTLAB_EMBEDDED = {base: ${JSON.stringify(BASE)}, worker: ${JSON.stringify(WORKER)}, assets: `,
    ...assets, "};\n", PRELUDE,
  ];
  window.DESCENTLAB_WORKER_SOURCE = workerSource;
  window.DESCENTLAB_SINGLE_FILE = true;
  try {
    const name = "descentlab";
    const worker = new Worker(URL.createObjectURL(new Blob(workerSource("null"), { type: "text/javascript" })), { name });
    const early = { worker, name, events: [] };
    worker.onmessage = worker.onerror = worker.onmessageerror = (event) => {
      if (event.type === "error") event.preventDefault();   // api.js reports it once it adopts
      early.events.push(event);
    };
    window.DESCENTLAB_EARLY_WORKER = early;
    window.DESCENTLAB_AWAITS_ASSETS = worker;   // bootstrap.js posts it the assets
  } catch (e) { /* api.js starts one from the bootstrap's Blob */ }
})();
