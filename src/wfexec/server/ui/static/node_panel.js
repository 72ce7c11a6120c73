// The node panel: phase, message, times, inputs and outputs (artifacts as links), exit code,
// containers, and the logs (live, searchable, downloadable, per container).

import { download, enc, hasToken, stream } from "./api.js";
import { banner, duration, el, fmtTime, phaseBadge } from "./util.js";

// Kinds of run that show their nodes their own way (KFP v2 runs, from their own module) push
// `{matches(wf, node), render(wf, node) -> Element}` here; the first that matches adds its section.
export const panelExtensions = [];

function fnv32a(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

// Argo's v2 pod name: <workflow>-<template>-<fnv32a(node name)>, the prefix kept within 52 characters.
export function podName(wfName, node) {
  if (node.name === wfName) return wfName;
  let prefix = node.templateName ? `${wfName}-${node.templateName}` : wfName;
  if (prefix.length > 52) prefix = prefix.slice(0, 52);
  return `${prefix}-${fnv32a(node.name)}`;
}

function template(wf, node) {
  return ((wf.spec || {}).templates || []).find((t) => t.name === node.templateName) || {};
}

export function containerNames(wf, node) {
  const t = template(wf, node);
  const names = [];
  if (t.container || t.script) names.push("main");
  for (const c of (t.containerSet || {}).containers || []) names.push(c.name);
  for (const c of t.initContainers || []) names.push(c.name);
  for (const c of t.sidecars || []) names.push(c.name);
  if (!names.length) names.push("main");
  return [...new Set(names)];
}

function kv(rows) {
  return el("table.kv", el("tbody", rows.filter((r) => r[1] !== undefined && r[1] !== null && r[1] !== "")
    .map(([k, v]) => el("tr", el("th", { scope: "row" }, k), el("td", v)))));
}

function params(list) {
  if (!list || !list.length) return null;
  return el("table.params", el("tbody", list.map((p) => el("tr", el("th", { scope: "row" }, p.name),
    el("td", el("code", p.value === undefined ? "" : String(p.value)))))));
}

// The server serves an artifact from the location recorded on the node; an input fetched from elsewhere
// (raw, git, http) has none, and a link to it could only fail.
function stored(a) {
  return ["local", "s3", "raw"].some((d) => a[d] && typeof a[d] === "object");
}

function artifacts(wf, node, list, kind) {
  if (!list || !list.length) return null;
  const ns = wf.metadata.namespace, name = wf.metadata.name;
  const base = kind === "inputs" ? "/input-artifacts" : "/artifacts";
  return el("ul.artifacts", list.map((a) => {
    if (!stored(a)) {
      return el("li", el("span.artifact-name", { "data-artifact": a.name }, a.name),
        a.path ? el("span.dim", ` ${a.path}`) : null, el("span.dim", " (not stored: nothing to download)"));
    }
    const href = `${base}/${enc(ns)}/${enc(name)}/${enc(node.id)}/${enc(a.name)}`;
    const fetchWithToken = (e) => {
      if (!hasToken()) return;
      e.preventDefault();
      download(href, a.name).catch((err) => banner(`Artifact ${a.name}: ${err.message}`));
    };
    return el("li", el("a", { href, download: a.name, class: "artifact", "data-artifact": a.name, onclick: fetchWithToken },
      `⬇ ${a.name}`),
      a.path ? el("span.dim", ` ${a.path}`) : null);
  }));
}

export function renderPanel(host, wf, nodeId, { onClose }) {
  const node = ((wf.status || {}).nodes || {})[nodeId];
  const typing = document.activeElement && document.activeElement.id === "log-search";
  host.replaceChildren();
  if (!node) {
    host.append(el("p", `No node ${nodeId} in this run.`));
    return () => {};
  }
  const outs = node.outputs || {};
  const ins = node.inputs || {};
  const close = el("button.close", { type: "button", "aria-label": "Close node panel", onclick: onClose }, "×");
  host.append(
    el("div.panel-head", el("h2", node.displayName || node.name), close),
    kv([["Phase", phaseBadge(node.phase)], ["Message", node.message], ["Type", node.type],
      ["Template", node.templateName], ["Started", fmtTime(node.startedAt)], ["Finished", fmtTime(node.finishedAt)],
      ["Duration", duration(node.startedAt, node.finishedAt)],
      ["Exit code", outs.exitCode === undefined ? undefined : String(outs.exitCode)],
      ["Node ID", el("code", node.id)],
      ["Pod", node.type === "Pod" ? el("code", podName(wf.metadata.name, node)) : undefined]]),
  );
  const sections = [
    ["Input parameters", params(ins.parameters)], ["Input artifacts", artifacts(wf, node, ins.artifacts, "inputs")],
    ["Output parameters", params(outs.parameters)], ["Output artifacts", artifacts(wf, node, outs.artifacts, "outputs")],
    ["Result", outs.result ? el("pre.result", outs.result) : null],
  ];
  for (const [title, body] of sections) if (body) host.append(el("h3", title), body);
  for (const ext of panelExtensions) {
    if (ext.matches(wf, node)) { host.append(ext.render(wf, node)); break; }
  }
  if (node.type !== "Pod") return () => {};
  return renderLogs(host, wf, node, typing);
}

// What the user chose in a node's log view (its container, its search), kept when the panel is drawn
// again: it is, when the node's phase changes, and a search typed as the step ended was lost.
const logChoices = new Map();

function renderLogs(host, wf, node, typing) {
  const names = containerNames(wf, node);
  const chosen = logChoices.get(`${wf.metadata.name}/${node.id}`) || {};
  const picker = el("select#log-container", { "aria-label": "Container" }, names.map((n) => el("option", { value: n }, n)));
  if (chosen.container && names.includes(chosen.container)) picker.value = chosen.container;
  const search = el("input#log-search", { type: "search", placeholder: "search logs", "aria-label": "Search logs" });
  search.value = chosen.search || "";
  const remember = () => logChoices.set(`${wf.metadata.name}/${node.id}`,
    { container: picker.value, search: search.value });
  const count = el("span.dim", { "aria-live": "polite" });
  const pre = el("pre#logs.logs", { tabindex: "0", "aria-label": "Logs" });
  const lines = [];
  const save = el("button", { type: "button", onclick: () => {
    const blob = new Blob([lines.join("\n") + "\n"], { type: "text/plain" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `${podName(wf.metadata.name, node)}-${picker.value}.log` });
    document.body.append(a); a.click(); a.remove();
  } }, "Download");
  host.append(el("h3", "Logs"), el("div.logbar", names.length > 1 ? el("label", "container ", picker) : null,
    search, " ", save, " ", count), pre);
  let ctl = null;

  function show() {
    const term = search.value.trim().toLowerCase();
    const shown = term ? lines.filter((l) => l.toLowerCase().includes(term)) : lines;
    pre.textContent = shown.join("\n");
    count.textContent = term ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`;
  }

  function open() {
    if (ctl) ctl.abort();
    lines.length = 0;
    show();
    const path = `/api/v1/workflows/${enc(wf.metadata.namespace)}/${enc(wf.metadata.name)}/log?` +
      new URLSearchParams({ podName: podName(wf.metadata.name, node), "logOptions.container": picker.value,
        "logOptions.follow": "true" });
    let pending = false;
    ctl = stream(path, (res) => {
      const text = (res.content || "").replace(/\n$/, "");
      for (const l of text.split("\n")) lines.push(l);
      if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; show(); }); }
    }, { reopen: false, onRestart: () => { lines.length = 0; show(); } });
  }

  picker.addEventListener("change", () => { remember(); open(); });
  search.addEventListener("input", () => { remember(); show(); });
  if (typing) search.focus();  // drawn again while the user typed a search: the next key goes on where it was
  open();
  return () => ctl && ctl.abort();
}
