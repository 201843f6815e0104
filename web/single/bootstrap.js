// Single-file bootstrap (build.py inlines this into dist/descentlab.html; not shipped on
// its own). Runs as a classic script after the embedded assets and before the page's
// modules. It builds the worker's script as one Blob: the asset texts (base64), worker.js
// and web/single/worker-prelude.js, which serves Pyodide's files from them. api.js then
// starts the worker from window.DESCENTLAB_WORKER_URL instead of ./worker.js. (A worker
// of a file:// page cannot fetch the page's Blob URLs, so everything travels inside.)
(() => {
  "use strict";
  const BASE = /*@BASE@*/"";          // the URL prefix Pyodide is told to load from
  const PRELUDE = /*@PRELUDE@*/"";    // web/single/worker-prelude.js
  const WORKER = /*@WORKER@*/"";      // worker.js, unchanged
  const parts = [
    `self.DESCENTLAB_BASE_URL = ${JSON.stringify(BASE)};\n`,
    `self.DESCENTLAB_EMBEDDED = {base: ${JSON.stringify(BASE)}, worker: ${JSON.stringify(WORKER)}, assets: {\n`,
  ];
  for (const el of document.querySelectorAll('script[type="application/x-descentlab-asset"]')) {
    // base64 text as it is (it needs no escaping in a JS string); the worker decodes it
    parts.push(`${JSON.stringify(el.dataset.name)}: {type: ${JSON.stringify(el.dataset.type)}, ` +
      `gzip: ${el.dataset.gzip === "1"}, data: "`, el.textContent, `"},\n`);
    el.remove();
  }
  parts.push("}};\n", PRELUDE);
  window.DESCENTLAB_SINGLE_FILE = true;
  window.DESCENTLAB_WORKER_URL = URL.createObjectURL(new Blob(parts, { type: "text/javascript" }));
})();
