// Single-file bootstrap (build.py inlines this into dist/descentlab.html; not shipped on
// its own). Runs as a classic script after the embedded assets, the last thing parsed.
// It posts the asset texts (base64) to the main worker that web/single/early-worker.js
// started from the <head>, which waits for them. For the workers started later (the code
// worker, runParallel's helpers, a restarted main worker) it builds one Blob holding
// everything: the assets, worker.js and web/single/worker-prelude.js, which serves
// Pyodide's files from them (the code early-worker.js's DESCENTLAB_WORKER_SOURCE writes);
// api.js starts those from window.DESCENTLAB_WORKER_URL.
// (A worker of a file:// page cannot fetch the page's Blob URLs, so everything travels inside.)
(() => {
  "use strict";
  const parts = ["{\n"];   // the assets as a JavaScript object literal, for the later workers' code
  const assets = {};
  for (const el of document.querySelectorAll('script[type="application/x-descentlab-asset"]')) {
    const asset = { type: el.dataset.type, gzip: el.dataset.gzip === "1", data: el.textContent };
    assets[el.dataset.name] = asset;
    // base64 text as it is (it needs no escaping in a JS string); the worker decodes it
    parts.push(`${JSON.stringify(el.dataset.name)}: {type: ${JSON.stringify(asset.type)}, ` +
      `gzip: ${asset.gzip}, data: "`, asset.data, `"},\n`);
    el.remove();
  }
  parts.push("}");
  const code = window.DESCENTLAB_WORKER_SOURCE(...parts);   // early-worker.js
  window.DESCENTLAB_WORKER_URL = URL.createObjectURL(new Blob(code, { type: "text/javascript" }));
  const waiting = window.DESCENTLAB_AWAITS_ASSETS;
  delete window.DESCENTLAB_AWAITS_ASSETS;
  if (waiting) waiting.postMessage({ type: "descentlab-assets", assets });
})();
