// The runs list: live, filtered (phase, label, name, time range), paged with `fields=` projection.

import { enc, get, q, stream } from "./api.js";
import { setQuery } from "./app.js";
import { banner, duration, el, fmtTime, labelsText, namespace, phaseBadge, PHASES } from "./util.js";

const PAGE = 50;
const FIELDS = ["metadata.continue", "metadata.resourceVersion", "items.metadata.name", "items.metadata.namespace",
  "items.metadata.uid", "items.metadata.creationTimestamp", "items.metadata.labels", "items.status.phase", "items.status.message",
  "items.status.startedAt", "items.status.finishedAt", "items.status.progress", "items.spec.suspend"].join(",");
const EVENT_FIELDS = ["result.type", "result.object.metadata.name", "result.object.metadata.namespace",
  "result.object.metadata.creationTimestamp", "result.object.metadata.labels", "result.object.status.phase",
  "result.object.status.startedAt", "result.object.status.finishedAt", "result.object.status.progress",
  "result.object.spec.suspend"].join(",");

export async function render(view, params) {
  const ns = params.namespace || namespace();
  const qs = new URLSearchParams(location.search);
  const state = { pages: [""], page: 0, rows: new Map(), newest: "", watch: null };
  const f = {
    phase: el("select#f-phase", { "aria-label": "Phase" }, el("option", { value: "" }, "any phase"),
      Object.keys(PHASES).map((p) => el("option", { value: p }, p))),
    label: el("input#f-label", { placeholder: "key=value", "aria-label": "Label", size: 16 }),
    name: el("input#f-name", { placeholder: "name contains", "aria-label": "Name", size: 16 }),
    from: el("input#f-from", { type: "datetime-local", "aria-label": "Started after" }),
    to: el("input#f-to", { type: "datetime-local", "aria-label": "Started before" }),
  };
  f.phase.value = qs.get("phase") || "";
  f.label.value = qs.get("label") || "";
  f.name.value = qs.get("name") || "";
  f.from.value = qs.get("from") || "";
  f.to.value = qs.get("to") || "";
  const tbody = el("tbody");
  const count = el("span.count", { "aria-live": "polite" });
  const prev = el("button#prev-page", { type: "button", onclick: () => go(state.page - 1) }, "← Newer");
  const next = el("button#next-page", { type: "button", onclick: () => go(state.page + 1) }, "Older →");
  const form = el("form.filters", { role: "search", onsubmit: (e) => { e.preventDefault(); apply(); } },
    f.phase, f.label, f.name, el("label", "from ", f.from), el("label", "to ", f.to),
    el("button", { type: "submit" }, "Filter"));
  view.append(el("h1", `Workflows in ${ns}`), form,
    el("table.runs", el("thead", el("tr", ["Name", "Phase", "Started", "Duration", "Progress", "Labels"]
      .map((h) => el("th", { scope: "col" }, h)))), tbody),
    el("div.pager", prev, " ", next, " ", count));

  // Labels and phase (Argo's phase label) go to the server as one label selector, kubectl's grammar, for
  // the list and for the watch alike: the page never re-checks them.
  function selector() {
    const parts = [];
    if (f.label.value.trim()) parts.push(f.label.value.trim());
    if (f.phase.value) parts.push(`workflows.argoproj.io/phase=${f.phase.value}`);
    return parts.join(",");
  }

  // The time range goes to the server as Argo's `spec.startedAt>`/`<` terms (bounds included; a run not
  // yet started is outside any range), so pages are cut from the runs in range.
  const utc = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z");
  function timeSelector() {
    const parts = [];
    if (f.from.value) parts.push(`spec.startedAt>${utc(f.from.value)}`);
    if (f.to.value) parts.push(`spec.startedAt<${utc(f.to.value)}`);
    return parts.join(",");
  }

  // The name is searched by the server too (Argo's `nameFilter=Contains` with a `metadata.name=` term), so
  // a run on any page is found and pages are cut from the runs that match.
  const nameText = () => f.name.value.trim();
  function fieldSelector() {
    return [nameText() && `metadata.name=${nameText()}`, timeSelector()].filter(Boolean).join(",");
  }

  // What the watch does not select itself, for runs that arrive on it: its `metadata.name` term is exact,
  // and it has no time terms. (A run that stops matching the label selector comes as DELETED.)
  function visible(wf) {
    const started = (wf.status || {}).startedAt;
    if (nameText() && !wf.metadata.name.includes(nameText())) return false;
    if ((f.from.value || f.to.value) && !started) return false;
    if (f.from.value && new Date(started) < new Date(utc(f.from.value))) return false;
    if (f.to.value && new Date(started) > new Date(utc(f.to.value))) return false;
    return true;
  }

  function row(wf) {
    const st = wf.status || {};
    const name = wf.metadata.name;
    const href = `/workflows/${enc(wf.metadata.namespace || ns)}/${enc(name)}`;
    return el("tr", { "data-name": name },
      el("td", el("a", { href, "data-link": true }, name)),
      el("td", phaseBadge(st.phase, (wf.spec || {}).suspend === true)),
      el("td", fmtTime(st.startedAt || wf.metadata.creationTimestamp)),
      el("td", duration(st.startedAt, st.finishedAt)),
      el("td", st.progress || ""),
      el("td.labels", labelsText(wf.metadata.labels).map((l) => el("span.label", l))));
  }

  function draw(items) {
    state.rows = new Map();
    state.newest = items.length ? items[0].metadata.creationTimestamp || "" : "";
    tbody.replaceChildren();
    for (const wf of items) {
      if (!visible(wf)) continue;
      const tr = row(wf);
      state.rows.set(wf.metadata.name, tr);
      tbody.append(tr);
    }
    counted();
  }

  // "N shown" counts the rows the table holds, as live events add and remove them.
  function counted() {
    if (!state.rows.size && !tbody.querySelector("td[colspan]")) {
      tbody.replaceChildren(el("tr", el("td", { colspan: 6 }, "No workflows.")));
    }
    count.textContent = `page ${state.page + 1}, ${state.rows.size} shown`;
  }

  // A list that failed (a bad label selector) leaves no rows: they answered other filters.
  function failed(message) {
    banner(`Listing workflows: ${message}`);
    state.rows = new Map();
    tbody.replaceChildren(el("tr", el("td", { colspan: 6 }, "Not listed: see the message above.")));
    count.textContent = "";
    prev.disabled = next.disabled = true;
    state.failed = true;
    view.dataset.ready = "1";
  }

  // True when listed.
  async function load() {
    const path = `/api/v1/workflows/${enc(ns)}` + q({
      "listOptions.limit": PAGE, "listOptions.continue": state.pages[state.page],
      "listOptions.labelSelector": selector(), "listOptions.fieldSelector": fieldSelector(),
      nameFilter: nameText() ? "Contains" : "", fields: FIELDS,
    });
    try {
      const t0 = performance.now();
      const data = await get(path);
      const items = data.items || [];
      const cont = (data.metadata || {}).continue || "";
      state.version = (data.metadata || {}).resourceVersion || "";
      state.pages[state.page + 1] = cont;
      prev.disabled = state.page === 0;
      next.disabled = !cont;
      draw(items);
      if (state.failed) banner(null);  // the error it showed is mended
      state.failed = false;
      view.dataset.loadedMs = String(Math.round(performance.now() - t0));
      view.dataset.ready = "1";
      if (!performance.getEntriesByName("wfexec:interactive").length) performance.mark("wfexec:interactive");
      return true;
    } catch (e) {
      failed(e.message);
      return false;
    }
  }

  function go(page) {
    if (page < 0 || (page > state.page && !state.pages[page])) return;
    state.page = page;
    load();
  }

  async function apply() {
    setQuery({ phase: f.phase.value, label: f.label.value, name: f.name.value, from: f.from.value, to: f.to.value });
    state.pages = [""];
    state.page = 0;
    if (await load()) watch();
    else if (state.watch) state.watch.abort();  // its selector is not the one asked for now
  }

  // The list is newest first: a run it does not hold goes on top of the first page only when it is as new
  // as the page's newest (started elsewhere since); an older one that changes belongs to the page the list
  // puts it on, not on top of this one.
  function onTop(wf) {
    return state.page === 0 && (wf.metadata.creationTimestamp || "") >= state.newest;
  }

  // A change: a known row is redrawn (its real phase), or leaves when the run no longer matches the
  // filters (deleted, or changed so that it is outside them: a Running filter and a run that failed).
  function onEvent(res) {
    const wf = res.object;
    if (!wf || !wf.metadata) return;
    const name = wf.metadata.name;
    const old = state.rows.get(name);
    if (res.type === "DELETED" || !visible(wf)) {
      if (!old) return;
      old.remove();
      state.rows.delete(name);
      counted();
      return;
    }
    const tr = row(wf);
    if (old) old.replaceWith(tr);
    else if (onTop(wf)) {
      const empty = tbody.querySelector("td[colspan]");
      if (empty) empty.parentElement.remove();
      tbody.prepend(tr);
    } else return;
    state.rows.set(name, tr);
    counted();
  }

  // Live: runs started elsewhere (CLI, API) appear on the first page; known rows update in place. The
  // watch starts from the list's version: without it, the server first sends every run there is as
  // ADDED, and the first page would take in all of them, paging and filters aside. It carries the list's
  // label selector, so it is opened again when the filters change.
  function watch() {
    if (state.watch) state.watch.abort();
    state.watch = stream(`/api/v1/workflow-events/${enc(ns)}` + q({ fields: EVENT_FIELDS,
      "listOptions.labelSelector": selector(), "listOptions.resourceVersion": state.version || "0" }), onEvent);
  }

  if (await load()) watch();
  return () => { if (state.watch) state.watch.abort(); };
}
