// The scene lives in the URL: one serialize/parse pair for every view.
//   #landscape?fn=rosenbrock&start=[-1.5,2]&opts=[...]
// Scalars are written as they are; arrays and objects as JSON, so a shared link
// reproduces the scene exactly (numbers keep every digit JSON gives them).

export function serialize(view, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  const s = q.toString();
  return `#${view}${s ? "?" + s : ""}`;
}

export function parse(hash) {
  const text = (hash || "").replace(/^#/, "");
  const [view, query = ""] = text.split("?", 2);
  const params = {};
  for (const [k, raw] of new URLSearchParams(query)) {
    let v = raw;
    if (/^[[{]/.test(raw) || /^-?\d/.test(raw) || raw === "true" || raw === "false") {
      try { v = JSON.parse(raw); } catch { v = raw; }
    }
    params[k] = v;
  }
  return { view: view || "", params };
}
