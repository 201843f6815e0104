// Code the learner wrote or saw and accepted in this tab runs without asking again; code
// that arrives from a link or an embedding page is shown first (web/codelab/confirm.js).
// The marks live in sessionStorage (this tab only), as SHA-256 digests of the code.
const KEY = "descentlab:trusted-code";
const MAX_MARKS = 200;   // a session edits a few dozen versions; older marks are dropped

async function digest(code) {
  const bytes = new TextEncoder().encode(String(code));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

function marks() {
  try {
    const list = JSON.parse(sessionStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export async function trustCode(code) {
  const d = await digest(code);
  const list = marks().filter((x) => x !== d);
  list.push(d);
  try { sessionStorage.setItem(KEY, JSON.stringify(list.slice(-MAX_MARKS))); } catch { /* storage full or off: ask again next time */ }
}

export async function isTrusted(code) {
  return marks().includes(await digest(code));
}
