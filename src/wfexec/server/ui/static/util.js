// Small helpers shared by the pages: elements, phases (icon + word, never colour alone), times.

export const PHASES = {
  Pending: { icon: "◷", cls: "pending" },
  Running: { icon: "↻", cls: "running" },
  Succeeded: { icon: "✓", cls: "succeeded" },
  Failed: { icon: "✗", cls: "failed" },
  Error: { icon: "!", cls: "error" },
  Skipped: { icon: "⤼", cls: "skipped" },
  Omitted: { icon: "⊘", cls: "skipped" },
};

export function phaseInfo(phase) {
  return PHASES[phase] || { icon: "?", cls: "pending" };
}

// el("div.cls#id", {attr: v, onclick: f}, child, "text", …)
export function el(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [];
  const node = document.createElement(m[1] || "div");
  for (const part of (m[2] || "").match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") node.classList.add(part.slice(1)); else node.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A held run (`suspend`, or waiting at a suspend step) is still Running to Argo; its CLI and UI say so:
// "Running (Suspended)".
export function phaseBadge(phase, suspended = false) {
  const p = phaseInfo(phase || "Pending");
  const held = suspended && phase === "Running";
  const text = held ? "Running (Suspended)" : phase || "Pending";
  return el(`span.phase.${p.cls}${held ? ".suspended" : ""}`, { title: text },
    el("span.icon", { "aria-hidden": "true" }, held ? "⏸" : p.icon), " ", text);
}

export function fmtTime(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return isNaN(d) ? ts : d.toLocaleString();
}

export function duration(start, end) {
  if (!start) return "";
  const t0 = new Date(start).getTime();
  const t1 = end ? new Date(end).getTime() : Date.now();
  let s = Math.max(0, Math.round((t1 - t0) / 1000));
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return h ? `${h}h${m}m` : m ? `${m}m${s}s` : `${s}s`;
}

export function banner(message, kind = "error") {
  const b = document.getElementById("banner");
  if (!message) { b.hidden = true; return; }
  b.className = kind;
  b.textContent = message;
  b.hidden = false;
}

export async function confirmAction(text) {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  dlg.returnValue = "";
  dlg.showModal();
  await new Promise((resolve) => dlg.addEventListener("close", resolve, { once: true }));
  return dlg.returnValue === "ok";
}

export function namespace() {
  return localStorage.getItem("wfexec.namespace") || "default";
}

export function labelsText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`);
}

export function parseLabels(text) {
  const out = {};
  for (const part of (text || "").split(/[,\n]/)) {
    const t = part.trim();
    if (!t) continue;
    const i = t.indexOf("=");
    if (i <= 0) throw new Error(`label "${t}": expected key=value`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}
