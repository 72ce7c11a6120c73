// The run page's other tabs: a Gantt timeline of the nodes, the YAML, and a summary.

import { duration, el, phaseInfo } from "./util.js";
import { toYaml } from "./yaml.js";

const MAX_BARS = 1000;

export function renderTimeline(wf, onSelect) {
  const nodes = Object.values((wf.status || {}).nodes || {}).filter((n) => n.startedAt && (n.type === "Pod" || n.type === "Suspend"));
  nodes.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  if (!nodes.length) return el("p", "No steps have started yet.");
  const t0 = Math.min(...nodes.map((n) => new Date(n.startedAt).getTime()));
  const t1 = Math.max(...nodes.map((n) => new Date(n.finishedAt || Date.now()).getTime()), t0 + 1000);
  const span = t1 - t0;
  const shown = nodes.slice(0, MAX_BARS);
  const rows = shown.map((n) => {
    const s = new Date(n.startedAt).getTime(), e = new Date(n.finishedAt || Date.now()).getTime();
    const left = ((s - t0) / span) * 100, width = Math.max(0.4, ((e - s) / span) * 100);
    const p = phaseInfo(n.phase);
    return el("div.gantt-row", { role: "row" },
      el("button.gantt-name", { type: "button", role: "rowheader", onclick: () => onSelect(n.id) }, n.displayName || n.name),
      el("div.gantt-track", { role: "cell" }, el(`div.gantt-bar.${p.cls}`, {
        style: `left:${left}%;width:${width}%`, title: `${n.displayName}: ${n.phase}, ${duration(n.startedAt, n.finishedAt)}`,
      }, `${p.icon} ${duration(n.startedAt, n.finishedAt)}`)));
  });
  return el("div.gantt", { role: "table", "aria-label": "Timeline of the steps" },
    el("p.dim", `${nodes.length} steps over ${duration(new Date(t0).toISOString(), new Date(t1).toISOString())}` +
      (nodes.length > MAX_BARS ? ` (the first ${MAX_BARS} shown)` : "")), rows);
}

export function renderYaml(wf) {
  const doc = { apiVersion: wf.apiVersion, kind: wf.kind, metadata: wf.metadata, spec: wf.spec, status: wf.status };
  return el("pre.yaml", { tabindex: "0", "aria-label": "YAML of the workflow" }, toYaml(doc));
}

function table(rows, head) {
  return el("table.params", el("thead", el("tr", head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", rows.map((r) => el("tr", r.map((c) => el("td", c))))));
}

export function renderSummary(wf) {
  const spec = wf.spec || {};
  const st = wf.status || {};
  const out = el("div.summary");
  const params = (spec.arguments || {}).parameters || [];
  out.append(el("h2", "Parameters"), params.length
    ? table(params.map((p) => [p.name, el("code", p.value === undefined ? (p.default ?? "") : String(p.value)), p.description || ""]),
      ["Name", "Value", "Description"])
    : el("p.dim", "No parameters."));
  const outs = st.outputs || {};
  out.append(el("h2", "Global outputs"));
  if ((outs.parameters || []).length) out.append(table(outs.parameters.map((p) => [p.name, el("code", String(p.value ?? ""))]), ["Name", "Value"]));
  if ((outs.artifacts || []).length) out.append(table(outs.artifacts.map((a) => [a.name, a.path || ""]), ["Artifact", "Path"]));
  if (!(outs.parameters || []).length && !(outs.artifacts || []).length) out.append(el("p.dim", "No global outputs."));
  out.append(el("h2", "Run"), table([
    ["Entrypoint", spec.entrypoint || ""], ["Phase", st.phase || ""], ["Message", st.message || ""],
    ["Progress", st.progress || ""], ["Duration", duration(st.startedAt, st.finishedAt)],
    ["Labels", Object.entries((wf.metadata || {}).labels || {}).map(([k, v]) => `${k}=${v}`).join(", ")],
  ], ["", ""]));
  return out;
}
