// The page shell's router: each stable URL maps to a page module; links navigate without reloading.

import { banner, namespace } from "./util.js";

const ROUTES = [
  [/^\/(?:workflows\/?)?$/, "runs.js", () => ({})],
  [/^\/workflows\/([^/]+)\/?$/, "runs.js", (m) => ({ namespace: m[1] })],
  [/^\/workflows\/([^/]+)\/([^/]+)\/?$/, "run.js", (m) => ({ namespace: m[1], name: m[2] })],
  [/^\/submit\/?$/, "submit.js", () => ({})],
  [/^\/workflow-templates\/?$/, "templates.js", () => ({})],
  [/^\/workflow-templates\/([^/]+)\/([^/]+)\/?$/, "templates.js", (m) => ({ namespace: m[1], name: m[2] })],
  [/^\/cron-workflows\/?$/, "cron.js", () => ({})],
  [/^\/cron-workflows\/([^/]+)\/([^/]+)\/?$/, "cron.js", (m) => ({ namespace: m[1], name: m[2] })],
  [/^\/executor\/?$/, "executor.js", () => ({})],
];

let cleanup = null;
let current = "";

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
  route();
}

// Change the query string (tab, node, filters) without re-rendering the page.
export function setQuery(params) {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") u.searchParams.delete(k); else u.searchParams.set(k, v);
  }
  history.replaceState(null, "", u.pathname + u.search);
}

async function route() {
  const path = location.pathname;
  if (path === current && cleanup && cleanup.sameRoute) return;
  for (const [re, mod, params] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    if (cleanup) { cleanup(); cleanup = null; }
    current = path;
    banner(null);
    const section = path.split("/")[1] || "workflows";
    for (const a of document.querySelectorAll("nav a")) {
      if (a.dataset.nav === section) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    const view = document.getElementById("view");
    view.replaceChildren();
    const page = await import(`./${mod}`);
    const p = params(m);
    for (const k of Object.keys(p)) p[k] = decodeURIComponent(p[k]);
    cleanup = (await page.render(view, p)) || null;
    return;
  }
  document.getElementById("view").textContent = `No page at ${path}.`;
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-link]");
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", () => { current = ""; route(); });

const nsInput = document.getElementById("namespace");
nsInput.value = namespace();
nsInput.addEventListener("change", () => {
  localStorage.setItem("wfexec.namespace", nsInput.value.trim() || "default");
  current = "";
  route();
});

route();
