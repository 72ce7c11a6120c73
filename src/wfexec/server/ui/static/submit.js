// Submit: paste or upload a Workflow or a KFP v2 pipeline IR, or pick a stored WorkflowTemplate; a form for
// its parameters (enum → select, default, description), the entrypoint and labels; lint issues beside
// their line. A pipeline is compiled by the server (as `wfexec submit` does) into the Workflow created.

import { enc, get, post } from "./api.js";
import { navigate } from "./app.js";
import { banner, el, namespace, parseLabels } from "./util.js";

export async function render(view) {
  const ns = namespace();
  const qs = new URLSearchParams(location.search);
  const text = el("textarea#manifest", { spellcheck: "false", rows: 22, "aria-label": "Workflow YAML",
    placeholder: "Paste a Workflow, WorkflowTemplate, CronWorkflow or KFP v2 pipeline (YAML or JSON)" });
  const gutter = el("div.gutter", { "aria-hidden": "true" });
  const issuesBox = el("ul#lint-issues.issues", { "aria-live": "polite" });
  const upload = el("input#upload", { type: "file", accept: ".yaml,.yml,.json", "aria-label": "Upload a file" });
  const templatePick = el("select#template-pick", { "aria-label": "Stored WorkflowTemplate" },
    el("option", { value: "" }, "— paste or upload below —"));
  const form = el("div#param-form.param-form");
  const entry = el("select#entrypoint", { "aria-label": "Entrypoint" });
  const labels = el("input#labels", { placeholder: "key=value, key2=value2", size: 40, "aria-label": "Labels" });
  const submitBtn = el("button#submit-btn.primary", { type: "submit" }, "Submit");
  const state = { doc: null, pipeline: null, issues: [], template: null, formKey: "" };

  view.append(el("h1", `Submit a workflow to ${ns}`),
    el("form.submit", { onsubmit: (e) => { e.preventDefault(); submit(); } },
      el("div.row", el("label", "From a stored template ", templatePick), el("label", " or upload ", upload)),
      el("div.editor", gutter, text), issuesBox,
      el("h2", "Parameters"), form,
      el("div.row", el("label", "Entrypoint ", entry), el("label", " Labels ", labels)),
      el("div.row", submitBtn)));

  function drawGutter() {
    const n = text.value.split("\n").length;
    const byLine = new Map();
    for (const i of state.issues) if (i.line) byLine.set(i.line, (byLine.get(i.line) || []).concat(i.message));
    const rows = [];
    for (let k = 1; k <= n; k++) {
      const msgs = byLine.get(k);
      rows.push(el(msgs ? "div.bad" : "div", { title: msgs ? msgs.join("\n") : null, "data-line": k },
        msgs ? `✗ ${k}` : String(k)));
    }
    gutter.replaceChildren(...rows);
    gutter.scrollTop = text.scrollTop;
  }
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });

  function goToLine(line) {
    const lines = text.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
    text.focus();
    text.setSelectionRange(start, start + (lines[line - 1] || "").length);
  }

  function drawIssues() {
    issuesBox.replaceChildren(...state.issues.map((i) => el("li.issue",
      i.line ? el("button.linkish", { type: "button", onclick: () => goToLine(i.line) }, `line ${i.line}`) : "",
      i.line ? ": " : "", i.path ? el("code", i.path) : "", i.path ? ": " : "", i.message)));
    drawGutter();
  }

  // A pipeline's parameters in the form's terms: typed text (its type said beside it), booleans a choice.
  function pipelineSpec(pipeline) {
    return { arguments: { parameters: pipeline.parameters.map((p) => ({
      name: p.name, value: p.default, default: p.default,
      enum: p.type === "BOOLEAN" ? ["true", "false"] : undefined,
      description: [p.type + (p.optional ? ", optional" : ""), p.description].filter(Boolean).join(" — "),
    })) } };
  }

  function specOf(doc) {
    if (state.pipeline) return pipelineSpec(state.pipeline);
    if (!doc) return {};
    return doc.kind === "CronWorkflow" ? ((doc.spec || {}).workflowSpec || {}) : (doc.spec || {});
  }

  function drawForm(spec, typed = new Map()) {
    const params = (spec.arguments || {}).parameters || [];
    form.replaceChildren();
    if (!params.length) form.append(el("p.dim", "This workflow declares no parameters."));
    for (const p of params) {
      const id = `param-${p.name}`;
      const declared = p.value !== undefined ? String(p.value) : p.default !== undefined ? String(p.default) : "";
      const value = typed.has(p.name) ? typed.get(p.name) : declared;
      let input;
      if (Array.isArray(p.enum) && p.enum.length) {
        input = el("select", { id, name: p.name, "data-param": p.name }, p.enum.map((v) => el("option", { value: String(v) }, String(v))));
        input.value = p.enum.map(String).includes(value) ? value : String(p.enum[0]);
      } else {
        input = el("input", { id, name: p.name, "data-param": p.name, value, size: 40 });
      }
      form.append(el("div.field", el("label", { for: id }, p.name), input,
        p.description ? el("small.help", p.description) : null,
        p.default !== undefined ? el("small.dim", ` default: ${p.default}`) : null));
    }
    const names = (spec.templates || []).map((t) => t.name);
    entry.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (spec.entrypoint) entry.value = spec.entrypoint;
  }

  let timer = null;
  async function check() {
    if (!text.value.trim()) { state.doc = state.pipeline = null; state.issues = []; drawIssues(); return; }
    try {
      const res = await post("/api/v1/wfexec/manifests", { text: text.value });
      state.issues = res.issues || [];
      state.doc = (res.documents || [])[0] || null;
      state.pipeline = res.pipeline || null;
      drawIssues();
      if ((state.doc || state.pipeline) && !state.template) {
        // Redraw the form only when the declared parameters or templates changed; keep what was typed.
        const spec = specOf(state.doc);
        const key = JSON.stringify([(spec.arguments || {}).parameters, (spec.templates || []).map((t) => t.name), spec.entrypoint]);
        if (key !== state.formKey) { state.formKey = key; drawForm(spec, new Map(paramValues())); }
      }
    } catch (e) { banner(`Checking: ${e.message}`); }
  }
  text.addEventListener("input", () => {
    state.template = null; templatePick.value = "";
    drawGutter();
    clearTimeout(timer); timer = setTimeout(check, 300);
  });
  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    if (!file) return;
    text.value = await file.text();
    state.template = null; templatePick.value = "";
    check();
  });
  templatePick.addEventListener("change", () => pickTemplate(templatePick.value));

  async function pickTemplate(tname) {
    state.template = null;
    if (!tname) { state.formKey = ""; drawForm(specOf(state.doc)); return; }
    try {
      state.template = await get(`/api/v1/workflow-templates/${enc(ns)}/${enc(tname)}`);
      state.formKey = "";
      drawForm(state.template.spec || {});
      text.value = ""; state.issues = []; drawIssues();
    } catch (e) { banner(`Template ${tname}: ${e.message}`); }
  }

  function paramValues() {
    return [...form.querySelectorAll("[data-param]")].map((i) => [i.dataset.param, i.value]);
  }

  async function submit() {
    banner(null);
    let labelMap;
    try { labelMap = parseLabels(labels.value); } catch (e) { banner(e.message); labels.focus(); return; }
    try {
      let wf;
      if (state.template) {
        wf = await post(`/api/v1/workflows/${enc(ns)}/submit`, {
          namespace: ns, resourceKind: "WorkflowTemplate", resourceName: state.template.metadata.name,
          submitOptions: { parameters: paramValues().map(([k, v]) => `${k}=${v}`), entryPoint: entry.value || undefined,
            labels: Object.entries(labelMap).map(([k, v]) => `${k}=${v}`).join(",") || undefined },
        });
      } else {
        await check();
        if (state.issues.length) { banner(fixFirst(state.issues)); return; }  // a syntax error leaves no document
        if (state.pipeline) return await submitPipeline(labelMap);
        if (!state.doc) { banner("Nothing to submit: paste or upload a workflow, or pick a template."); return; }
        wf = await post(`/api/v1/workflows/${enc(ns)}`, { namespace: ns, workflow: asWorkflow(state.doc, paramValues(), entry.value, labelMap) });
      }
      navigate(`/workflows/${enc(wf.metadata.namespace || ns)}/${enc(wf.metadata.name)}`);
    } catch (e) { banner(`Submit: ${e.message}`); }
  }

  // The server compiles the pipeline with the typed values (a blank one without a default is left out:
  // optional, or named as missing in the answer); the Workflow goes through Argo's create as any other.
  async function submitPipeline(labelMap) {
    const defaults = new Set(state.pipeline.parameters.filter((p) => p.default !== undefined).map((p) => p.name));
    const parameters = Object.fromEntries(paramValues().filter(([k, v]) => v !== "" || defaults.has(k)));
    const compiled = await post("/api/v1/wfexec/pipelines/compile", { namespace: ns, text: text.value, parameters });
    const wf = await post(`/api/v1/workflows/${enc(ns)}`, { namespace: ns, workflow: asWorkflow(compiled.workflow, [], "", labelMap) });
    navigate(`/workflows/${enc(wf.metadata.namespace || ns)}/${enc(wf.metadata.name)}`);
    if ((compiled.warnings || []).length) banner(`Compiled with warnings: ${compiled.warnings.join("; ")}`, "info");
  }

  try {
    const list = await get(`/api/v1/workflow-templates/${enc(ns)}`);
    for (const t of list.items || []) templatePick.append(el("option", { value: t.metadata.name }, t.metadata.name));
  } catch (e) { /* templates are optional here */ }
  drawGutter();
  drawForm({});
  if (qs.get("template")) { templatePick.value = qs.get("template"); await pickTemplate(qs.get("template")); }
  view.dataset.ready = "1";
}

function fixFirst(issues) {
  const i = issues[0];
  const where = i.line ? `line ${i.line}: ` : i.path ? `${i.path}: ` : "";
  return `Fix the ${issues.length} issue(s) marked in the text first (${where}${i.message}).`;
}

function asWorkflow(doc, params, entrypoint, labels) {
  let wf = JSON.parse(JSON.stringify(doc));
  if (doc.kind === "WorkflowTemplate" || doc.kind === "ClusterWorkflowTemplate") {
    wf = { apiVersion: doc.apiVersion, kind: "Workflow",
      metadata: { generateName: `${(doc.metadata || {}).name || "wf"}-` }, spec: JSON.parse(JSON.stringify(doc.spec || {})) };
  } else if (doc.kind === "CronWorkflow") {
    wf = { apiVersion: doc.apiVersion, kind: "Workflow",
      metadata: { generateName: `${(doc.metadata || {}).name || "cron"}-` }, spec: (doc.spec || {}).workflowSpec || {} };
  }
  wf.metadata = wf.metadata || {};
  wf.spec = wf.spec || {};
  const declared = ((wf.spec.arguments || {}).parameters || []);
  for (const [k, v] of params) {
    const p = declared.find((x) => x.name === k);
    if (p) p.value = v;
  }
  if (entrypoint) wf.spec.entrypoint = entrypoint;
  if (Object.keys(labels).length) wf.metadata.labels = { ...(wf.metadata.labels || {}), ...labels };
  return wf;
}
