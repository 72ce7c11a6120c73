// The executor page: runtime and executor in force and where that came from, what `wfexec doctor`
// finds, and a change with the same checks (and confirmation) as `wfexec executor set`.

import { get, put } from "./api.js";
import { banner, confirmAction, el } from "./util.js";

export async function render(view) {
  async function load() {
    view.replaceChildren(el("h1", "Executor"));
    let s;
    try { s = await get("/api/v1/wfexec/executor"); } catch (e) { banner(`Executor: ${e.message}`); return; }
    const d = s.doctor || {};
    const pick = el("select#executor-pick", { "aria-label": "Executor" }, s.choices.map((c) => el("option", { value: c }, c)));
    pick.value = s.executor;
    view.append(
      el("table.kv", el("tbody",
        el("tr", el("th", { scope: "row" }, "Executor"), el("td", el("strong#executor-current", s.executor), el("span.dim", ` from ${s.executor_source}`))),
        el("tr", el("th", { scope: "row" }, "Runtime"), el("td", el("strong", s.runtime), el("span.dim", ` from ${s.runtime_source}`))),
        el("tr", el("th", { scope: "row" }, "Config file"), el("td", el("code", s.config_file))))),
      el("h2", "What the doctor finds"),
      el("ul.facts", (d.facts || []).map((f) => el("li", f))),
      el("p", "Recommended here: ", el("strong#executor-recommended", d.recommended || "?")),
      el("ul", (d.reasons || []).map((r) => el("li", r))),
      (d.problems || []).length ? el("div.problems", el("h3", "✗ Problems"), el("ul", d.problems.map((p) => el("li", p))),
        (d.fixes || []).length ? el("p", "Fix: ", d.fixes.map((f) => el("code", f, " "))) : null)
        : el("p.ok", `✓ the configured executor (${s.executor}) can work here`),
      el("h2", "Change it"),
      el("form.row", { onsubmit: async (e) => {
        e.preventDefault();
        if (pick.value === s.executor) { banner(`The executor is already ${s.executor}.`, "info"); return; }
        if (!(await confirmAction(`Set containerRuntimeExecutor to ${pick.value} in ${s.config_file}? New runs use it; running ones keep theirs.`))) return;
        try {
          await put("/api/v1/wfexec/executor", { executor: pick.value });
        } catch (err) {
          if (err.status !== 400 || !(await confirmAction(`${err.message}\n\nSet it anyway?`))) { banner(`Change: ${err.message}`); return; }
          try { await put("/api/v1/wfexec/executor", { executor: pick.value, confirm: true }); } catch (e2) { banner(`Change: ${e2.message}`); return; }
        }
        await load();
        banner(`Executor set to ${pick.value} (written and read back).`, "info");
      } }, el("label", "Executor ", pick), " ", el("button#executor-set.primary", { type: "submit" }, "Set")));
    view.dataset.ready = "1";
  }
  await load();
}
