// Cron workflows: schedule, next time, last run, active runs; suspend, resume, submit now, delete.

import { del, enc, get, post, put, q } from "./api.js";
import { navigate } from "./app.js";
import { banner, confirmAction, el, fmtTime, namespace, phaseBadge } from "./util.js";
import { toYaml } from "./yaml.js";

export async function render(view, params) {
  return params.name ? renderOne(view, params.namespace, params.name) : renderList(view);
}

async function nextTime(ns, name) {
  try {
    const s = await get(`/api/v1/wfexec/cron-workflows/${enc(ns)}/${enc(name)}/schedule`);
    return s.suspended ? "— (suspended)" : fmtTime(s.next[0]);
  } catch (e) { return `? (${e.message})`; }
}

function schedules(c) {
  const spec = c.spec || {};
  return [...(spec.schedules || []), ...(spec.schedule ? [spec.schedule] : [])].join(", ");
}

const leave = (url) => ({ leave: url });

function actionsFor(c, after) {
  const ns = c.metadata.namespace, name = c.metadata.name;
  const base = `/api/v1/cron-workflows/${enc(ns)}/${enc(name)}`;
  const suspended = Boolean((c.spec || {}).suspend);
  // An action that leaves the page (submit now, delete) returns `leave(url)`: `after` (the page's reload)
  // must not run then, as it would draw this page over the next one, or fetch what was deleted. The
  // "done" banner goes up after the move, which clears the banner.
  const run = async (label, fn, confirmText) => {
    if (confirmText && !(await confirmAction(confirmText))) return;
    try {
      banner(null);
      const r = await fn();
      if (r && r.leave) navigate(r.leave); else await after();
      banner(`${label} ${name}: done`, "info");
    } catch (e) { banner(`${label} ${name}: ${e.message}`); }
  };
  return el("span.actions",
    suspended
      ? el("button.cron-resume", { type: "button", "data-name": name, onclick: () => run("Resume", () => put(`${base}/resume`, { namespace: ns, name })) }, "Resume")
      : el("button.cron-suspend", { type: "button", "data-name": name, onclick: () => run("Suspend", () => put(`${base}/suspend`, { namespace: ns, name })) }, "Suspend"),
    " ",
    el("button.cron-submit", { type: "button", onclick: () => run("Submit", async () => {
      const wf = await post(`/api/v1/workflows/${enc(ns)}/submit`, { namespace: ns, resourceKind: "CronWorkflow", resourceName: name });
      return leave(`/workflows/${enc(wf.metadata.namespace || ns)}/${enc(wf.metadata.name)}`);
    }) }, "Submit now"),
    " ",
    el("button.cron-delete.danger", { type: "button", onclick: () => run("Delete", async () => {
      await del(base);
      return leave("/cron-workflows");
    }, `Delete cron workflow ${name}? Runs it started are kept.`) }, "Delete"));
}

async function renderList(view) {
  const ns = namespace();
  const tbody = el("tbody");
  view.append(el("h1", `Cron workflows in ${ns}`),
    el("table.runs", el("thead", el("tr", ["Name", "Schedule", "Next", "Last run", "Active", "State", ""].map((h) => el("th", { scope: "col" }, h)))), tbody));
  async function load() {
    try {
      const list = await get(`/api/v1/cron-workflows/${enc(ns)}`);
      tbody.replaceChildren();
      for (const c of list.items || []) {
        const name = c.metadata.name, st = c.status || {};
        const next = el("td.next", "…");
        tbody.append(el("tr", { "data-name": name },
          el("td", el("a", { href: `/cron-workflows/${enc(ns)}/${enc(name)}`, "data-link": true }, name)),
          el("td", el("code", schedules(c)), (c.spec || {}).timezone ? ` (${c.spec.timezone})` : ""),
          next, el("td", fmtTime(st.lastScheduledTime)), el("td", String((st.active || []).length)),
          el("td.state", (c.spec || {}).suspend ? "‖ suspended" : "▶ active"),
          el("td", actionsFor(c, load))));
        nextTime(ns, name).then((t) => { next.textContent = t; });
      }
      if (!tbody.children.length) tbody.append(el("tr", el("td", { colspan: 7 }, "No cron workflows.")));
    } catch (e) { banner(`Listing cron workflows: ${e.message}`); }
    view.dataset.ready = "1";
  }
  await load();
}

async function renderOne(view, ns, name) {
  async function load() {
    view.replaceChildren();
    try {
      const c = await get(`/api/v1/cron-workflows/${enc(ns)}/${enc(name)}`);
      const st = c.status || {};
      const runs = el("tbody");
      view.append(el("h1", `Cron workflow ${name}`), actionsFor(c, load),
        el("table.kv", el("tbody",
          el("tr", el("th", { scope: "row" }, "Schedule"), el("td", el("code", schedules(c)))),
          el("tr", el("th", { scope: "row" }, "State"), el("td.state", (c.spec || {}).suspend ? "‖ suspended" : "▶ active")),
          el("tr", el("th", { scope: "row" }, "Next"), el("td", await nextTime(ns, name))),
          el("tr", el("th", { scope: "row" }, "Last run"), el("td", fmtTime(st.lastScheduledTime))),
          el("tr", el("th", { scope: "row" }, "Concurrency"), el("td", (c.spec || {}).concurrencyPolicy || "Allow")),
          el("tr", el("th", { scope: "row" }, "Active runs"), el("td", (st.active || []).map((r) =>
            el("a", { href: `/workflows/${enc(r.namespace || ns)}/${enc(r.name)}`, "data-link": true }, r.name, " ")))))),
        el("h2", "Runs"), el("table.runs", runs), el("h2", "YAML"), el("pre.yaml", { tabindex: "0" }, toYaml(c)));
      const list = await get(`/api/v1/workflows/${enc(ns)}` + q({
        "listOptions.labelSelector": `workflows.argoproj.io/cron-workflow=${name}`, "listOptions.limit": 20,
        fields: "items.metadata.name,items.metadata.namespace,items.status.phase,items.status.startedAt" }));
      for (const wf of list.items || []) {
        runs.append(el("tr", el("td", el("a", { href: `/workflows/${enc(ns)}/${enc(wf.metadata.name)}`, "data-link": true }, wf.metadata.name)),
          el("td", phaseBadge((wf.status || {}).phase)), el("td", fmtTime((wf.status || {}).startedAt))));
      }
    } catch (e) { banner(`Cron workflow ${name}: ${e.message}`); }
    view.dataset.ready = "1";
  }
  await load();
}
