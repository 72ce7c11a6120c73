// KFP v2 tasks in the node panel, as KFP users know them: the task's display name, typed inputs and
// outputs, and its metrics artifacts (scalars table, confusion matrix, ROC curve, Markdown, sandboxed HTML).

import { enc, get } from "./api.js";
import { panelExtensions } from "./node_panel.js";
import { el } from "./util.js";

const SVG = "http://www.w3.org/2000/svg";
const views = new Map(); // node view by run, node and phase: a live re-render of the panel costs no request

function isKfp(wf, node) {
  return ((wf.metadata || {}).annotations || {})["wfexec.io/kfp-v2"] === "true" && node.type === "Pod";
}

function show(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function typed(list) {
  if (!list || !list.length) return null;
  return el("table.params.kfp-typed", el("tbody", list.map((v) => el("tr", el("th", { scope: "row" }, v.name),
    el("td", el("span.dim", v.type)), el("td", el("code", show(v.value)))))));
}

function scalars(m) {
  const rows = Object.entries(m.scalars || {});
  if (!rows.length) return null;
  return el("table.params.kfp-scalars", el("thead", el("tr", el("th", "Metric"), el("th", "Value"))),
    el("tbody", rows.map(([k, v]) => el("tr", el("th", { scope: "row" }, k), el("td", String(v))))));
}

function confusion(cm) {
  if (!cm) return null;
  const labels = cm.labels.length ? cm.labels : cm.rows.map((_, i) => String(i));
  const max = Math.max(1, ...cm.rows.flat());
  return el("table.kfp-confusion", { "aria-label": "Confusion matrix (rows: actual, columns: predicted)" },
    el("thead", el("tr", el("th", "actual \\ predicted"), labels.map((l) => el("th", { scope: "col" }, l)))),
    el("tbody", cm.rows.map((row, i) => el("tr", el("th", { scope: "row" }, labels[i] || String(i)),
      row.map((n) => el("td", { style: `background: rgba(60, 120, 220, ${(0.08 + 0.6 * n / max).toFixed(2)})` }, String(n)))))));
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

function roc(points) {
  if (!points || !points.length) return null;
  const size = 200, pad = 30;
  const x = (fpr) => pad + fpr * size, y = (tpr) => pad + (1 - tpr) * size;
  const sorted = [...points].sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr);
  const path = [{ fpr: 0, tpr: 0 }, ...sorted, { fpr: 1, tpr: 1 }].map((p) => `${x(p.fpr)},${y(p.tpr)}`).join(" ");
  const title = svg("title", {});
  title.textContent = "ROC curve: true positive rate against false positive rate";
  const label = (tx, ty, text, extra = {}) => { const t = svg("text", { x: tx, y: ty, "font-size": 11, ...extra }); t.textContent = text; return t; };
  return svg("svg", { class: "kfp-roc", viewBox: `0 0 ${size + 2 * pad} ${size + 2 * pad}`, width: size + 2 * pad,
    height: size + 2 * pad, role: "img" }, title,
  svg("rect", { x: pad, y: pad, width: size, height: size, fill: "none", stroke: "currentColor", "stroke-opacity": 0.4 }),
  svg("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "currentColor", "stroke-dasharray": "4 3", "stroke-opacity": 0.4 }),
  svg("polyline", { points: path, fill: "none", stroke: "#2a6fdb", "stroke-width": 2 }),
  ...sorted.map((p) => svg("circle", { cx: x(p.fpr), cy: y(p.tpr), r: 3, fill: "#2a6fdb" },
    (() => { const t = svg("title", {}); t.textContent = `threshold ${p.threshold}: FPR ${p.fpr}, TPR ${p.tpr}`; return t; })())),
  label(pad, size + 2 * pad - 6, "false positive rate"), label(4, pad - 8, "true positive rate"));
}

// Markdown shown safely: headings, list items and paragraphs as text nodes; nothing is parsed as HTML.
function markdown(text) {
  const out = el("div.kfp-markdown");
  let code = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) {
      if (code) { out.append(code); code = null; } else code = el("pre");
      continue;
    }
    if (code) { code.append(line + "\n"); continue; }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) out.append(el(`h${Math.min(6, h[1].length + 3)}`, h[2]));
    else if (/^\s*[-*]\s+/.test(line)) out.append(el("li", line.replace(/^\s*[-*]\s+/, "")));
    else if (line.trim()) out.append(el("p", line));
  }
  if (code) out.append(code);
  return out;
}

function textArtifact(m) {
  if (m.text === null || m.text === undefined) return el("p.dim", "Its content is not on this machine's disk.");
  const body = m.text_kind === "html"
    // sandbox with no allow-* token: no scripts, no forms, no same-origin access
    ? el("iframe.kfp-html", { sandbox: "", srcdoc: m.text, title: `HTML artifact ${m.name}`, referrerpolicy: "no-referrer" })
    : markdown(m.text);
  return el("div", body, m.truncated ? el("p.dim", "(cut: only the first 256 KiB are shown)") : null);
}

function metricsArtifact(m) {
  const body = m.text_kind ? textArtifact(m) : [scalars(m), confusion(m.confusion_matrix), roc(m.roc)];
  return el("section.kfp-metric", { "data-artifact": m.name }, el("h4", m.slice === null ? `${m.name} ` : `${m.name} [${m.slice}] `, el("span.dim", m.type)), body);
}

function fill(host, view) {
  host.replaceChildren(el("h3", "KFP task"), el("p", "Task ", el("strong.kfp-name", view.display_name)));
  const sections = [["Inputs", typed(view.inputs)], ["Outputs", typed(view.outputs)]];
  for (const [title, body] of sections) if (body) host.append(el("h3", title), body);
  if (view.metrics.length) host.append(el("h3", "Metrics"), ...view.metrics.map(metricsArtifact));
}

panelExtensions.push({
  matches: isKfp,
  render(wf, node) {
    const host = el("div.kfp-view", el("p.dim", "Loading the KFP view…"));
    const key = `${wf.metadata.namespace}/${wf.metadata.name}/${node.id}/${node.phase}`;
    const cached = views.get(key);
    if (cached) { fill(host, cached); return host; }
    get(`/api/v1/wfexec/workflows/${enc(wf.metadata.namespace)}/${enc(wf.metadata.name)}/kfp/${enc(node.id)}`)
      .then((view) => { views.set(key, view); fill(host, view); })
      .catch((err) => host.replaceChildren(el("p.dim", `KFP view: ${err.message}`)));
    return host;
  },
});
