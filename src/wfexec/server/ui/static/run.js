// The run page: the graph (live, folded, zoomable), the node panel, timeline, YAML, summary, actions.

import { del, enc, get, put, q, stream } from "./api.js";
import { navigate, setQuery } from "./app.js";
import { GraphView } from "./graph_view.js";
import "./kfp_panel.js"; // registers the KFP v2 section of the node panel
import { renderPanel } from "./node_panel.js";
import { renderSummary, renderTimeline, renderYaml } from "./run_tabs.js";
import { banner, confirmAction, duration, el, fmtTime, phaseBadge } from "./util.js";

const TABS = ["graph", "timeline", "yaml", "summary"];

export async function render(view, { namespace: ns, name }) {
  const qs = new URLSearchParams(location.search);
  const state = {
    tab: TABS.includes(qs.get("tab")) ? qs.get("tab") : "graph",
    node: qs.get("node") || "",
    unfold: new Set((qs.get("unfold") || "").split(",").filter(Boolean)),
    wf: null, wfStale: true, graph: null, closePanel: null, refreshing: null, again: false,
  };
  const apiBase = `/api/v1/workflows/${enc(ns)}/${enc(name)}`;
  const head = el("div.run-head");
  const actions = el("div.actions", { role: "toolbar", "aria-label": "Actions" });
  const tabBar = el("div.tabs", { role: "tablist" });
  const graphBox = el("div.graph-box");
  const panel = el("aside.panel", { "aria-label": "Node" });
  const tabBody = el("section.tab-body");
  const graphTools = el("div.graph-tools",
    el("button#fit", { type: "button", onclick: () => gv.fit() }, "Fit (0)"),
    el("button#zoom-in", { type: "button", onclick: () => gv.zoomAt(1.2, graphBox.clientWidth / 2, graphBox.clientHeight / 2) }, "Zoom in (+)"),
    el("button#zoom-out", { type: "button", onclick: () => gv.zoomAt(1 / 1.2, graphBox.clientWidth / 2, graphBox.clientHeight / 2) }, "Zoom out (−)"),
    el("button#centre-failed", { type: "button", onclick: () => { if (!gv.centreOnFailed()) banner("No failed node.", "info"); } }, "Centre on failed (f)"),
    el("button#fold-all", { type: "button", onclick: () => { state.unfold.clear(); state.focus = "fit"; syncUrl(); refresh(); } }, "Fold all"),
    el("span.graph-count"));
  view.append(el("div.run-top", head, actions), tabBar, el("div.run-main", tabBody, panel));
  view.classList.add("run-page");

  const gv = new GraphView(graphBox, {
    onSelect: (id) => selectNode(id),
    onUnfold: (id) => {
      const fold = state.graph && state.graph.nodes.find((n) => n.id === id);
      state.unfold.add(id);
      state.focus = fold && fold.fold ? fold.fold.parent : "";
      syncUrl();
      refresh();
    },
  });

  function syncUrl() {
    setQuery({ tab: state.tab === "graph" ? "" : state.tab, node: state.node, unfold: [...state.unfold].join(",") });
  }

  for (const t of TABS) {
    tabBar.append(el("button", { type: "button", role: "tab", id: `tab-${t}`, "data-tab": t,
      onclick: () => { state.tab = t; syncUrl(); drawTab(); } }, t === "yaml" ? "YAML" : t[0].toUpperCase() + t.slice(1)));
  }

  async function loadWorkflow() {
    state.wf = await get(apiBase);
    state.wfStale = false;
    return state.wf;
  }

  async function ensureWorkflow() {
    return state.wf && !state.wfStale ? state.wf : loadWorkflow();
  }

  function drawHead(g) {
    head.replaceChildren(el("h1", name), phaseBadge(g.phase, g.suspended),
      el("span.dim", g.started_at ? ` started ${fmtTime(g.started_at)} · ${duration(g.started_at, g.finished_at)} · ${g.progress}` : ""));
    view.dataset.phase = g.phase || "";
  }

  // One action at a time: the buttons are disabled while a request is in flight, so a double click
  // sends one request (a second retry of the same run is refused, and its error hid the first's "done").
  async function act(label, fn, confirmText) {
    if (confirmText && !(await confirmAction(confirmText))) return;
    const buttons = [...actions.querySelectorAll("button")];
    for (const b of buttons) b.disabled = true;
    try {
      banner(null);
      const res = await fn();
      banner(`${label}: done`, "info");
      return res;
    } catch (e) {
      banner(`${label}: ${e.message}`);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  const body = { name, namespace: ns };
  actions.append(
    el("button#act-retry", { type: "button", onclick: () => act("Retry", () => put(`${apiBase}/retry`, body)) }, "Retry"),
    el("button#act-resubmit", { type: "button", onclick: async () => {
      const wf = await act("Resubmit", () => put(`${apiBase}/resubmit`, { ...body, memoized: false }));
      if (wf && wf.metadata) navigate(`/workflows/${enc(wf.metadata.namespace)}/${enc(wf.metadata.name)}`);
    } }, "Resubmit"),
    el("button#act-suspend", { type: "button", onclick: () => act("Suspend", () => put(`${apiBase}/suspend`, body)) }, "Suspend"),
    el("button#act-resume", { type: "button", onclick: () => act("Resume", () => put(`${apiBase}/resume`, body)) }, "Resume"),
    el("button#act-stop.danger", { type: "button", onclick: () => act("Stop", () => put(`${apiBase}/stop`, body),
      `Stop ${name}? Running steps are stopped; exit handlers still run.`) }, "Stop"),
    el("button#act-terminate.danger", { type: "button", onclick: () => act("Terminate", () => put(`${apiBase}/terminate`, body),
      `Terminate ${name}? Everything stops at once, exit handlers too.`) }, "Terminate"),
    el("button#act-delete.danger", { type: "button", onclick: async () => {
      const ok = await act("Delete", () => del(apiBase), `Delete ${name} and its record?`);
      if (ok !== undefined) navigate(`/workflows/${enc(ns)}`);  // the run's namespace, not the default one
    } }, "Delete"),
  );

  let panelShownFor = "";  // the node and phase the panel was last drawn for
  async function drawPanel() {
    if (state.closePanel) { state.closePanel(); state.closePanel = null; }
    panel.hidden = !state.node;
    if (!state.node) return;
    const wf = await ensureWorkflow();
    const node = ((wf.status || {}).nodes || {})[state.node];
    panelShownFor = `${state.node}:${node && node.phase}`;  // a refresh that changes nothing of it keeps it
    state.closePanel = renderPanel(panel, wf, state.node, { onClose: () => selectNode("") });
  }

  function selectNode(id) {
    state.node = id;
    gv.select(id);
    syncUrl();
    drawPanel();
  }

  async function drawTab() {
    for (const b of tabBar.children) b.setAttribute("aria-selected", String(b.dataset.tab === state.tab));
    tabBody.replaceChildren();
    if (state.tab === "graph") {
      tabBody.append(graphTools, graphBox);
      return;
    }
    const wf = await ensureWorkflow();
    if (state.tab === "timeline") tabBody.append(renderTimeline(wf, (id) => selectNode(id)));
    if (state.tab === "yaml") tabBody.append(renderYaml(wf));
    if (state.tab === "summary") tabBody.append(renderSummary(wf));
  }

  async function refreshOnce() {
    const graph = await get(`/api/v1/wfexec/workflows/${enc(ns)}/${enc(name)}/graph` + q({ unfold: [...state.unfold].join(",") }));
    state.graph = graph;
    gv.update(graph);
    gv.select(state.node);
    if (state.focus === "fit") gv.fit(); else if (state.focus) gv.centreOn(state.focus);
    state.focus = "";
    graphTools.querySelector(".graph-count").textContent =
      `${graph.total_nodes.toLocaleString("en-US")} nodes, ${graph.nodes.length.toLocaleString("en-US")} drawn`;
    state.wfStale = true;
    drawHead(graph);
    if (state.wf || state.tab !== "graph" || state.node) {
      await loadWorkflow();
      if (state.tab !== "graph") drawTab();
      if (state.node) drawPanelQuiet();
    }
  }

  // A live update redraws the panel when its node's phase changed, and only then: a redraw restarts the
  // log stream, and a search being typed moves to the new panel.
  function drawPanelQuiet() {
    const node = ((state.wf.status || {}).nodes || {})[state.node];
    const key = `${state.node}:${node && node.phase}`;
    if (key === panelShownFor) return;
    panelShownFor = key;
    drawPanel();
  }

  // Refreshes never overlap; changes during one cause one more, at most every 250 ms.
  async function refresh() {
    if (state.refreshing) { state.again = true; return; }
    state.refreshing = (async () => {
      do {
        state.again = false;
        try { await refreshOnce(); } catch (e) { banner(`Loading ${name}: ${e.message}`); }
        if (state.again) await new Promise((r) => setTimeout(r, 250));
      } while (state.again);
    })();
    await state.refreshing;
    state.refreshing = null;
  }

  drawTab();
  await refresh();
  if (state.node) { gv.select(state.node); gv.centreOn(state.node); drawPanel(); }
  else panel.hidden = true;
  view.dataset.ready = "1";
  performance.mark("wfexec:interactive");

  // Live from here on: each change to the run redraws what changed (the first event is the run as it is).
  const events = stream(`/api/v1/workflow-events/${enc(ns)}` + q({
    "listOptions.fieldSelector": `metadata.name=${name}`,
    fields: "result.type,result.object.metadata.name,result.object.status.phase,result.object.status.progress",
  }), (res) => {
    if (!res.object || !res.object.metadata || res.object.metadata.name !== name) return;
    if (res.type === "DELETED") { banner(`${name} was deleted.`, "info"); return; }
    refresh();
  });

  const keys = (e) => {
    if (e.target.closest("input, textarea, select")) return;
    if (e.key === "f" && state.tab === "graph" && !e.target.closest("svg")) gv.centreOnFailed();
  };
  document.addEventListener("keydown", keys);
  return () => {
    events.abort();
    if (state.closePanel) state.closePanel();
    document.removeEventListener("keydown", keys);
    view.classList.remove("run-page");
  };
}
