// Workflow templates: the list, one template (its parameters and YAML), submit from it, delete it.

import { del, enc, get } from "./api.js";
import { navigate } from "./app.js";
import { banner, confirmAction, el, fmtTime, labelsText, namespace } from "./util.js";
import { toYaml } from "./yaml.js";

export async function render(view, params) {
  return params.name ? renderOne(view, params.namespace, params.name) : renderList(view);
}

async function renderList(view) {
  const ns = namespace();
  const tbody = el("tbody");
  view.append(el("h1", `Workflow templates in ${ns}`),
    el("table.runs", el("thead", el("tr", ["Name", "Created", "Entrypoint", "Labels", ""].map((h) => el("th", { scope: "col" }, h)))), tbody));
  try {
    const list = await get(`/api/v1/workflow-templates/${enc(ns)}`);
    for (const t of list.items || []) {
      const name = t.metadata.name;
      tbody.append(el("tr", { "data-name": name },
        el("td", el("a", { href: `/workflow-templates/${enc(ns)}/${enc(name)}`, "data-link": true }, name)),
        el("td", fmtTime(t.metadata.creationTimestamp)), el("td", (t.spec || {}).entrypoint || ""),
        el("td.labels", labelsText(t.metadata.labels).map((l) => el("span.label", l))),
        el("td", el("a.button", { href: `/submit?template=${enc(name)}`, "data-link": true }, "Submit"))));
    }
    if (!tbody.children.length) tbody.append(el("tr", el("td", { colspan: 5 }, "No workflow templates.")));
  } catch (e) { banner(`Listing templates: ${e.message}`); }
  view.dataset.ready = "1";
}

async function renderOne(view, ns, name) {
  const base = `/api/v1/workflow-templates/${enc(ns)}/${enc(name)}`;
  try {
    const t = await get(base);
    const params = ((t.spec || {}).arguments || {}).parameters || [];
    view.append(el("h1", `Workflow template ${name}`),
      el("div.actions", el("a.button.primary#tmpl-submit", { href: `/submit?template=${enc(name)}`, "data-link": true }, "Submit…"), " ",
        el("button#tmpl-delete.danger", { type: "button", onclick: async () => {
          if (!(await confirmAction(`Delete workflow template ${name}?`))) return;
          try { await del(base); navigate("/workflow-templates"); } catch (e) { banner(`Delete: ${e.message}`); }
        } }, "Delete")),
      el("h2", "Parameters"),
      params.length ? el("table.params", el("tbody", params.map((p) => el("tr", el("th", { scope: "row" }, p.name),
        el("td", el("code", p.value ?? p.default ?? "")), el("td", p.enum ? `one of ${p.enum.join(", ")}` : ""),
        el("td", p.description || ""))))) : el("p.dim", "No parameters."),
      el("h2", "YAML"), el("pre.yaml", { tabindex: "0" }, toYaml(t)));
  } catch (e) { banner(`Template ${name}: ${e.message}`); }
  view.dataset.ready = "1";
}
