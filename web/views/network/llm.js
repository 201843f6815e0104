// "Ask my model": a description in words sent to the learner's own OpenAI-compatible
// endpoint, whose answer is handed to Python as data (parse_llm_answer), never run.
// One request at a time, with a timeout, a Cancel button and a cap on the answer's size:
// it is read up to the cap and no further, and never handed to Python when over it.
import { h } from "../../lib/dom.js";
import { isObject } from "../../lib/urlstate.js";

const LLM_STORAGE = "descentlab.llm";   // endpoint settings live in this browser only
const LLM_TIMEOUT_S = 60;

export function llmAsker({ api, catalog, errorText }) {
  // describe.MAX_ANSWER_CHARS: Python refuses longer answers anyway
  const maxChars = (catalog.limits.describe && catalog.limits.describe.max_answer_chars) || 20000;
  // the HTTP body around the answer: JSON may escape each character as \uXXXX (6 bytes)
  const maxBytes = 6 * maxChars + 64 * 1024;
  let current = null;       // {stop(why), why} while a request is out
  let askButton = null, cancelButton = null;

  function showState() {
    if (askButton) askButton.disabled = !!current;
    if (cancelButton) cancelButton.hidden = !current;
  }

  // The tab's two buttons (the tab is rebuilt, so are they).
  function buttons(onAsk) {
    askButton = h("button", { type: "button", class: "button secondary", onclick: onAsk }, "Ask my model");
    cancelButton = h("button", { type: "button", class: "button secondary", onclick: () => stop("cancel") }, "Cancel");
    showState();
    return [askButton, cancelButton];
  }

  function stop(why) { if (current) current.stop(why); }

  // -> {recipe, note} from the model, {note} to fall back to the built-in parser, or
  // {stopped: text} when it was cancelled or replaced by a newer question.
  async function ask(text) {
    const cfg = readConfig();
    if (!cfg.url) return { note: "No model endpoint configured; used the built-in parser instead." };
    stop("replaced");
    const controller = new AbortController();
    const req = { why: null, stop(why) { if (!req.why) req.why = why; controller.abort(); } };
    current = req;
    showState();
    const seconds = timeoutOf(cfg);
    const timer = setTimeout(() => req.stop("timeout"), seconds * 1000);
    try {
      const prompt = await api.call("llm_prompt");
      if (req.why) throw new Error(req.why);
      const answer = await chat(cfg, { prompt, text, signal: controller.signal, maxBytes, maxChars });
      clearTimeout(timer);
      if (answer.length > maxChars) throw new Error(`the answer is ${answer.length} characters long; at most ${maxChars} are used`);
      const recipe = await api.call("parse_llm_answer", answer);
      return { recipe, note: "Recipe from your model (validated by Python)." };
    } catch (err) {
      if (req.why === "cancel") return { stopped: "Cancelled: your model's answer will not be used." };
      if (req.why === "replaced") return { stopped: "" };
      if (req.why === "timeout") return { note: `Your model did not answer within ${seconds} s; here is the built-in parser's recipe instead.` };
      return { note: `The model's answer could not be used (${errorText(err)}); here is the built-in parser's recipe instead.` };
    } finally {
      clearTimeout(timer);
      if (current === req) { current = null; showState(); }
    }
  }

  return { ask, stop, buttons, settings: () => llmSettings(maxChars) };
}

// The endpoint's settings, saved in this browser's local storage as they change.
function llmSettings(maxChars) {
  const saved = readConfig();
  const url = h("input", { type: "url", value: saved.url || "", placeholder: "http://localhost:11434/v1/chat/completions", "aria-label": "Chat completions URL" });
  const model = h("input", { type: "text", value: saved.model || "", placeholder: "llama3.2", "aria-label": "Model name" });
  const key = h("input", { type: "password", value: saved.key || "", placeholder: "API key (optional)", "aria-label": "API key" });
  const timeout = h("input", { type: "number", min: 1, max: 600, step: 1, value: String(timeoutOf(saved)), "aria-label": "Timeout in seconds" });
  const save = () => localStorage.setItem(LLM_STORAGE, JSON.stringify({ url: url.value, model: model.value, key: key.value,
    timeout: timeoutOf({ timeout: timeout.value }) }));
  for (const el of [url, model, key, timeout]) el.addEventListener("change", save);
  return h("details", { class: "llm" }, h("summary", {}, "Optional: use your own language model"),
    h("p", { class: "hint" }, `Any OpenAI-compatible chat-completions endpoint (a local Ollama or llama.cpp server, say). The key is kept in this browser's local storage only. The answer is treated as data: at most ${maxChars} characters, parsed and validated by Python, never executed.`),
    h("label", {}, "Endpoint URL", url), h("label", {}, "Model", model), h("label", {}, "Key", key),
    h("label", {}, "Give up after (seconds)", timeout));
}

function readConfig() {
  try {
    const cfg = JSON.parse(localStorage.getItem(LLM_STORAGE) || "{}");
    return isObject(cfg) ? cfg : {};
  } catch { return {}; }
}

function timeoutOf(cfg) {
  const t = Number(cfg.timeout);
  return Number.isFinite(t) && t >= 1 && t <= 600 ? t : LLM_TIMEOUT_S;
}

// The model's answer text to one chat-completions request.
async function chat(cfg, { prompt, text, signal, maxBytes, maxChars }) {
  const resp = await fetch(cfg.url, {
    method: "POST",
    signal,
    headers: { "Content-Type": "application/json", ...(cfg.key ? { Authorization: `Bearer ${cfg.key}` } : {}) },
    body: JSON.stringify({ model: cfg.model || undefined, messages: [{ role: "system", content: prompt }, { role: "user", content: text }], temperature: 0 }),
  });
  if (!resp.ok) throw new Error(`the endpoint answered HTTP ${resp.status}`);
  let body;
  try { body = JSON.parse(await readCapped(resp, maxBytes, maxChars)); } catch (e) {
    if (e instanceof SyntaxError) throw new Error("the endpoint's answer is not JSON");
    throw e;
  }
  const content = body && body.choices && body.choices[0] && body.choices[0].message ? body.choices[0].message.content : "";
  return typeof content === "string" ? content : String(content ?? "");
}

// The body of `resp` as text, refusing (and no longer reading) more than `max` bytes.
async function readCapped(resp, max, maxChars) {
  const declared = Number(resp.headers.get("Content-Length"));
  const tooBig = () => new Error(`the answer is larger than ${Math.round(max / 1024)} KB; at most ${maxChars} characters are used`);
  if (declared > max) throw tooBig();
  const reader = resp.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) { reader.cancel().catch(() => {}); throw tooBig(); }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return new TextDecoder().decode(bytes);
}
