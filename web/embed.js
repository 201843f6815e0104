/* Descent Lab host script for course pages: include it once, next to your iframes.
 *
 *   <iframe src="https://lab.example/descentlab/index.html?embed=1#landscape?lesson=valley"
 *           data-descentlab title="Descent Lab" width="100%" height="720" style="border:0"
 *           sandbox="allow-scripts allow-same-origin"></iframe>
 *   <script src="https://lab.example/descentlab/embed.js" async></script>
 *
 * 1. Auto-height: every iframe carrying `data-descentlab` takes the height its page posts
 *    ({type: "descentlab:height", height}), but only when the message really comes from
 *    that iframe (event.source === iframe.contentWindow) and from the origin of its src.
 * 2. window.DescentLab.connect(iframe) -> {ready, run(spec, {onProgress}), cancel(promise),
 *    loadLesson(id)}: the page's postMessage API as promises. Requests go only to the
 *    iframe's origin; replies are accepted only from that window and origin. Errors reject
 *    with an Error carrying .kind ("SpecError", "Error", "Cancelled", ...), .field, .message.
 *
 * The page itself may restrict who can drive it: add &origins=https://your.course.site to
 * the iframe URL and messages from any other origin are ignored.
 */
(function () {
  "use strict";
  if (window.DescentLab) return;   // included twice

  var SELECTOR = "iframe[data-descentlab]";

  // Message ids are random, so another frame on this page cannot guess one (the lab also
  // lets only the window that started a run cancel it).
  function randomId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return "dl-" + crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "dl-" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function originOf(iframe) {
    try { return new URL(iframe.getAttribute("src") || iframe.src, document.baseURI).origin; } catch (e) { return null; }
  }

  function frameOf(event) {
    var frames = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source && originOf(frames[i]) === event.origin) return frames[i];
    }
    return null;
  }

  // True once the iframe shows a document of `origin` (before that it holds about:blank,
  // and posting to it would only log a "target origin does not match" error).
  function arrived(iframe, origin) {
    if (!iframe.contentWindow) return false;
    try {
      var href = iframe.contentWindow.location.href;   // readable: same origin as this page
      return href !== "about:blank" && new URL(href).origin === origin;
    } catch (e) {
      return true;                                      // cross-origin: it has navigated
    }
  }

  function hello(iframe) {
    var origin = originOf(iframe);
    if (origin && origin !== "null" && arrived(iframe, origin)) iframe.contentWindow.postMessage({ type: "descentlab:hello" }, origin);
  }

  // ---- auto-height
  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || msg.type !== "descentlab:height" || typeof msg.height !== "number" || !(msg.height > 0)) return;
    var iframe = frameOf(event);
    if (!iframe || iframe.hasAttribute("data-descentlab-fixed-height")) return;
    iframe.style.height = Math.ceil(msg.height) + "px";
    iframe.dispatchEvent(new CustomEvent("descentlab:resize", { detail: { height: msg.height } }));
  });

  // The page learns our origin from a first message (needed when the browser gives it
  // neither ancestorOrigins nor a referrer), so greet each iframe when it loads.
  function watch(iframe) {
    if (iframe.__descentlabWatched) return;
    iframe.__descentlabWatched = true;
    iframe.addEventListener("load", function () { hello(iframe); });
    hello(iframe);
  }
  function scan() { Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), watch); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  if (window.MutationObserver) new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });

  // ---- postMessage API
  function makeError(e) {
    var err = new Error((e && e.message) || "unknown error");
    err.kind = (e && e.kind) || "Error";
    err.name = err.kind;
    if (e && e.field !== undefined && e.field !== null) err.field = e.field;
    return err;
  }

  // Ask until the page answers: its listener exists only once its scripts have run.
  function askUntilReady(iframe, origin, lab, send, timeout) {
    return new Promise(function (resolve, reject) {
      if (lab.info) { resolve(lab.info); return; }
      lab.waiters.push(resolve);
      var started = Date.now();
      (function ask() {
        if (lab.info) return;
        if (Date.now() - started > timeout) { reject(new Error("Descent Lab did not answer within " + timeout + " ms")); return; }
        if (arrived(iframe, origin)) send({ type: "descentlab:ready?" });
        setTimeout(ask, 250);
      })();
    });
  }

  function connect(iframe, options) {
    options = options || {};
    var origin = options.origin || originOf(iframe);
    if (!origin || origin === "null") throw new Error("DescentLab.connect: the iframe needs an http(s) src");
    var pending = {};   // id -> {resolve, reject, onProgress}
    var lab = { info: null, waiters: [] };   // the page's "ready" answer, once it came

    function send(msg) {
      if (!iframe.contentWindow) throw new Error("DescentLab.connect: the iframe is not in the document");
      iframe.contentWindow.postMessage(msg, origin);
    }

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== origin) return;
      var msg = event.data;
      if (!msg || typeof msg.type !== "string") return;
      if (msg.type === "descentlab:ready") {
        lab.info = { version: msg.version, build: msg.build };
        lab.waiters.splice(0).forEach(function (r) { r(lab.info); });
        return;
      }
      var req = pending[msg.id];
      if (!req) return;
      if (msg.type === "descentlab:progress") {
        if (req.onProgress) req.onProgress({ done: msg.done, total: msg.total });
      } else if (msg.type === "descentlab:result") {
        delete pending[msg.id];
        req.resolve(msg.result);
      } else if (msg.type === "descentlab:error") {
        delete pending[msg.id];
        req.reject(makeError(msg.error));
      }
    }
    window.addEventListener("message", onMessage);

    var ready = askUntilReady(iframe, origin, lab, send, options.timeout || 120000);

    function request(msg, onProgress) {
      var id = randomId();
      var promise = ready.then(function () {
        return new Promise(function (resolve, reject) {
          pending[id] = { resolve: resolve, reject: reject, onProgress: onProgress };
          msg.id = id;
          send(msg);
        });
      });
      promise.id = id;
      return promise;
    }

    return {
      ready: ready,
      run: function (spec, opts) {
        var onProgress = opts && opts.onProgress;
        return request({ type: "descentlab:run", spec: spec, progress: !!onProgress }, onProgress);
      },
      cancel: function (promise) {
        if (promise && promise.id) send({ type: "descentlab:cancel", id: promise.id });
      },
      loadLesson: function (lesson) { return request({ type: "descentlab:load-lesson", lesson: lesson }); },
      disconnect: function () { window.removeEventListener("message", onMessage); },
    };
  }

  window.DescentLab = { connect: connect };
})();
