// A plain-data to YAML writer, for showing objects (read-only; the server parses what users paste).

const PLAIN = /^[A-Za-z0-9_./@-][A-Za-z0-9_ ./@:-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~|-?\d[\d_.eE+-]*)$/i;

function scalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = String(v);
  if (s === "" || !PLAIN.test(s) || RESERVED.test(s) || s.endsWith(" ") || s.includes(": ")) return JSON.stringify(s);
  return s;
}

function block(s, pad) {
  return "|" + (s.endsWith("\n") ? "" : "-") + "\n" + s.replace(/\n$/, "").split("\n").map((l) => pad + l).join("\n");
}

function write(v, indent, out) {
  const pad = "  ".repeat(indent);
  if (Array.isArray(v)) {
    if (!v.length) { out.push(" []"); return; }
    for (const item of v) {
      if (item && typeof item === "object" && Object.keys(item).length) {
        const lines = [];
        write(item, indent + 1, lines);
        out.push("\n" + pad + "- " + lines.join("").replace(/^\n\s*/, ""));
      } else {
        const lines = [];
        write(item, indent + 1, lines);
        out.push("\n" + pad + "-" + lines.join(""));
      }
    }
  } else if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (!keys.length) { out.push(" {}"); return; }
    for (const k of keys) {
      out.push("\n" + pad + scalar(k) + ":");
      write(v[k], indent + 1, out);
    }
  } else if (typeof v === "string" && v.includes("\n")) {
    out.push(" " + block(v, pad));
  } else {
    out.push(" " + scalar(v));
  }
}

export function toYaml(value) {
  const out = [];
  write(value, 0, out);
  return out.join("").replace(/^\n/, "") + "\n";
}
