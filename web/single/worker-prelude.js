// Single-file worker prelude (build.py inlines it into dist/descentlab.html). The worker
// of the one-file app starts here, from a Blob URL: there is no server, so this answers
// every fetch() and importScripts() of DESCENTLAB_EMBEDDED.base + <name> (what Pyodide
// asks for: pyodide.asm.js, pyodide.asm.wasm, python_stdlib.zip, pyodide-lock.json; what
// worker.js asks for: the lock and the packages' archives) from the bytes embedded in the
// HTML file, checking the sha256 integrity a fetch passes, as the browser does for a served
// file. Then it runs worker.js as is;
// messages that arrive before that are held and replayed. The main worker starts before the
// page has read its assets (web/single/early-worker.js): its `assets` is null until the
// page's message {type: "descentlab-assets", assets} brings them (web/single/bootstrap.js).
(() => {
  "use strict";
  const E = self.DESCENTLAB_EMBEDDED;  // {base, worker: source, assets: {name: {type, gzip, data: base64}} | null}
  const nativeFetch = self.fetch.bind(self);
  const nativeImportScripts = self.importScripts.bind(self);
  const pending = new Map();           // name -> Promise<Uint8Array>
  const scripts = new Map();           // base + name -> Blob URL, for importScripts

  function decodeBase64(text) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function bytesOf(name) {
    if (!pending.has(name)) {
      pending.set(name, (async () => {
        const asset = E.assets[name];
        const raw = decodeBase64(asset.data);
        if (!asset.gzip) return raw;
        const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
        return new Uint8Array(await new Response(stream).arrayBuffer());
      })());
    }
    return pending.get(name);
  }

  function nameOf(input) {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(E.base)) return null;
    return decodeURIComponent(url.slice(E.base.length).split(/[?#]/)[0]);
  }

  async function checkIntegrity(name, data, integrity) {
    const wanted = integrity.split(/\s+/).filter((t) => t.startsWith("sha256-")).map((t) => t.slice(7));
    if (!wanted.length) return;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    const actual = btoa(String.fromCharCode(...digest));
    if (!wanted.includes(actual)) {
      throw new TypeError(`Failed to load ${name}: its sha256 (${actual}) does not match the integrity ${integrity}`);
    }
  }

  self.fetch = async (input, init = {}) => {
    const name = nameOf(input);
    if (name === null) return nativeFetch(input, init);
    const asset = E.assets[name];
    if (!asset) return new Response(`${name} is not embedded in this file`, { status: 404, statusText: "Not Found" });
    const data = await bytesOf(name);
    pending.delete(name);               // each file is read once; do not hold two copies
    const integrity = init.integrity || (input instanceof Request ? input.integrity : "");
    if (integrity) await checkIntegrity(name, data, integrity);
    return new Response(data, { status: 200, statusText: "OK", headers: { "Content-Type": asset.type } });
  };

  self.importScripts = (...urls) => nativeImportScripts(...urls.map((u) => scripts.get(String(u)) || u));

  // Unreadable messages ("messageerror") are held too, in order: worker.js numbers every
  // message it receives, and the page matches replies by that number.
  const assetsHere = E.assets ? Promise.resolve() : new Promise((resolve) => {
    const take = (event) => {
      if (!event.data || event.data.type !== "descentlab-assets") return;
      event.stopImmediatePropagation();   // the page's, not a request: worker.js never sees it
      self.removeEventListener("message", take);
      E.assets = event.data.assets;
      resolve();
    };
    self.addEventListener("message", take);   // before `hold`: listeners run in this order
  });
  const held = [];
  const hold = (event) => held.push(event);
  self.addEventListener("message", hold);
  self.addEventListener("messageerror", hold);
  (async () => {
    await assetsHere;
    bytesOf("pyodide.asm.wasm");        // start the biggest unpacking at once
    for (const name of ["pyodide.js", "pyodide.asm.js"]) {
      const blob = new Blob([await bytesOf(name)], { type: "text/javascript" });
      pending.delete(name);
      scripts.set(E.base + name, URL.createObjectURL(blob));
    }
    self.removeEventListener("message", hold);
    self.removeEventListener("messageerror", hold);
    // worker.js: sets onmessage and starts loading
    nativeImportScripts(URL.createObjectURL(new Blob([E.worker], { type: "text/javascript" })));
    for (const event of held) self.dispatchEvent(new MessageEvent(event.type, { data: event.data }));
  })().catch((e) => {
    self.postMessage({ type: "load-error", stage: "runtime", message: `Could not unpack the embedded runtime: ${e.message}` });
  });
})();
