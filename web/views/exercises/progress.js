// The learner's progress on the exercises: their code, whether a check passed, how many
// checks they ran. Kept in localStorage (this browser only) and exported/imported as a file.
//
//   localStorage["descentlab:exercises:v1"] = {"version": 1, "exercises": {
//       "adam": {"code": "...", "passed": false, "attempts": 3}, ...}}
//
// The exported file is the same object with "format": "descentlab-exercises" in front.
// Anything read back (storage another tab or an old version wrote, a file from anyone) is
// checked field by field: a bad entry is dropped and named, and nothing half-read is used.
export const STORAGE_KEY = "descentlab:exercises:v1";
export const VERSION = 1;
export const FORMAT = "descentlab-exercises";
export const MAX_CODE_CHARS = 20_000;       // as learner.MAX_CODE_CHARS in the core
export const MAX_FILE_BYTES = 512 * 1024;   // seven exercises of 20,000 characters fit with room
export const MAX_ATTEMPTS = 1_000_000;

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export class ProgressError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

// One exercise's entry -> {code, passed, attempts}; throws ProgressError naming the field.
function readEntry(entry, at) {
  if (!isObject(entry)) throw new ProgressError(at, "must be an object {code, passed, attempts}");
  for (const k of Object.keys(entry)) {
    if (!["code", "passed", "attempts"].includes(k)) throw new ProgressError(`${at}.${k}`, "is not a field (code, passed, attempts)");
  }
  const { code = null, passed = false, attempts = 0 } = entry;
  if (code !== null && typeof code !== "string") throw new ProgressError(`${at}.code`, "must be text");
  if (code !== null && code.length > MAX_CODE_CHARS) {
    throw new ProgressError(`${at}.code`, `is ${code.length.toLocaleString("en")} characters long; at most ${MAX_CODE_CHARS.toLocaleString("en")}`);
  }
  if (typeof passed !== "boolean") throw new ProgressError(`${at}.passed`, "must be true or false");
  if (!Number.isInteger(attempts) || attempts < 0 || attempts > MAX_ATTEMPTS) {
    throw new ProgressError(`${at}.attempts`, `must be a whole number from 0 to ${MAX_ATTEMPTS.toLocaleString("en")}`);
  }
  return { code, passed, attempts };
}

// A whole progress object -> {exercises: {id: entry}}; strict (the first problem throws).
export function readProgress(data, knownIds, { requireFormat = false } = {}) {
  if (!isObject(data)) throw new ProgressError("(file)", "must be a JSON object {format, version, exercises}");
  if (requireFormat && data.format !== FORMAT) throw new ProgressError("format", `must be "${FORMAT}"`);
  if (data.version !== VERSION) throw new ProgressError("version", `must be ${VERSION} (this page reads version ${VERSION})`);
  if (!isObject(data.exercises)) throw new ProgressError("exercises", "must be an object {exercise id: {code, passed, attempts}}");
  const exercises = {};
  for (const [id, entry] of Object.entries(data.exercises)) {
    if (!knownIds.includes(id)) throw new ProgressError(`exercises.${id.slice(0, 40)}`, `is not an exercise (they are ${knownIds.join(", ")})`);
    exercises[id] = readEntry(entry, `exercises.${id}`);
  }
  return { exercises };
}

// The text of a file the learner picked -> progress, or throws ProgressError.
export function parseImport(text, knownIds) {
  if (text.length > MAX_FILE_BYTES) {
    throw new ProgressError("(file)", `is ${Math.ceil(text.length / 1024)} KB; at most ${MAX_FILE_BYTES / 1024} KB`);
  }
  let data;
  try { data = JSON.parse(text); } catch { throw new ProgressError("(file)", "is not JSON (export your progress from this page to get one)"); }
  return readProgress(data, knownIds, { requireFormat: true });
}

export function exportObject(progress) {
  return { format: FORMAT, version: VERSION, exercises: progress.exercises };
}

// The store: load() once, then get/set entries; every change is saved at once.
// onNotice(text) tells the learner what was dropped or could not be saved.
export function progressStore(knownIds, onNotice) {
  let progress = { exercises: {} };

  function load() {
    let raw = null;
    try { raw = localStorage.getItem(STORAGE_KEY); } catch { onNotice("This browser does not let the page keep your progress (storage is off); it lasts until you leave the page."); return; }
    if (raw === null) return;
    let data;
    try { data = JSON.parse(raw); } catch {
      onNotice("Your saved exercise progress could not be read (it is not JSON), so the exercises start afresh. Import an exported file to restore it.");
      return;
    }
    // entry by entry: one bad exercise does not lose the others
    const dropped = [];
    const exercises = {};
    if (isObject(data) && data.version === VERSION && isObject(data.exercises)) {
      for (const [id, entry] of Object.entries(data.exercises)) {
        try {
          if (!knownIds.includes(id)) throw new ProgressError(`exercises.${id.slice(0, 40)}`, "is not an exercise");
          exercises[id] = readEntry(entry, `exercises.${id}`);
        } catch (e) {
          if (!(e instanceof ProgressError)) throw e;
          dropped.push(e.message);
        }
      }
    } else {
      dropped.push("the saved data is not version 1 progress");
    }
    progress = { exercises };
    if (dropped.length) onNotice(`Some saved exercise progress could not be read and was left out: ${dropped.slice(0, 3).join("; ")}${dropped.length > 3 ? "; …" : ""}.`);
  }

  function save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ version: VERSION, exercises: progress.exercises }));
      return true;
    } catch (e) {
      const full = e && (e.name === "QuotaExceededError" || e.code === 22);
      onNotice(full ? "The browser's storage for this page is full, so your latest code was not saved. Export your progress to keep it."
        : "Your progress could not be saved in this browser (storage is off). Export it to keep it.");
      return false;
    }
  }

  const entry = (id) => progress.exercises[id] || { code: null, passed: false, attempts: 0 };

  return {
    load,
    entry,
    get progress() { return progress; },
    update(id, changes) {
      progress.exercises[id] = { ...entry(id), ...changes };
      return save();
    },
    // imported entries replace those of the same exercises; the others stay
    merge(imported) {
      Object.assign(progress.exercises, imported.exercises);
      return save();
    },
  };
}
