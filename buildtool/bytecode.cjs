// Build step (Node): compile archives to bytecode with Pyodide's own CPython. See bytecode.py.
//
//   node bytecode.cjs PYODIDE_DIR JOB_JSON
//
// JOB_JSON: {dir, code, items: [{src, dst, mode, prefix}], cache_tag}. `code` defines
// compile_archive(src, dst, mode, prefix); each item's src is read from `dir` and dst written
// there. PYTHONHASHSEED is fixed so the bytecode is the same on every build (a set literal's
// order in a frozenset constant follows string hashes).
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [runtime, jobFile] = process.argv.slice(2);
  const job = JSON.parse(fs.readFileSync(jobFile, "utf8"));
  const { loadPyodide } = require(path.join(runtime, "pyodide.js"));
  const pyodide = await loadPyodide({
    indexURL: runtime + path.sep,
    env: { PYTHONHASHSEED: "0" },
    stdout: (s) => process.stderr.write(s + "\n"),
  });
  const tag = pyodide.runPython("import sys; sys.implementation.cache_tag");
  if (tag !== job.cache_tag) throw new Error(`Pyodide runs ${tag}, the page expects ${job.cache_tag}`);
  pyodide.runPython(job.code);
  const compileArchive = pyodide.globals.get("compile_archive");
  pyodide.FS.mkdirTree("/job");
  for (const item of job.items) {
    pyodide.FS.writeFile(`/job/${item.src}`, fs.readFileSync(path.join(job.dir, item.src)));
    const n = compileArchive(`/job/${item.src}`, `/job/${item.dst}`, item.mode, item.prefix);
    fs.writeFileSync(path.join(job.dir, item.dst), pyodide.FS.readFile(`/job/${item.dst}`));
    process.stdout.write(`${item.src}: ${n} modules\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
