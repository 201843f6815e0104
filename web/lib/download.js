// Save files from the page: PNG of a canvas, CSV and JSON of results.
import { h } from "./dom.js";

export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url; a.download = filename;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadJSON(filename, data) {
  download(filename, new Blob([JSON.stringify(data, null, 1)], { type: "application/json" }));
}

export function toCSV(header, rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n";
}

export function downloadCSV(filename, header, rows) {
  download(filename, new Blob([toCSV(header, rows)], { type: "text/csv" }));
}

export function downloadPNG(filename, canvas) {
  canvas.toBlob((blob) => download(filename, blob), "image/png");
}

// The row every view ends with: its exports and a link that reproduces the scene (the URL).
export function exportButtons({ png, csv, json, notify, copied }) {
  const button = (label, onclick) => h("button", { type: "button", class: "button secondary", onclick }, label);
  const copyLink = () => {
    const url = location.href;
    (navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject()).then(() => notify(copied), () => notify(url));
  };
  return h("div", { class: "exports" },
    button("Export PNG", png), button("Export CSV", csv), button("Export JSON", json), button("Copy link", copyLink));
}
