"""Time to interactive of the web UI in Chromium: run pages of 500, 2,000 and 5,000 nodes, and the runs list
with 10,000 runs in the store.

Runs are seeded straight into a fresh run store (finished runs in Argo's node shape), then a real
`wfexec server` serves them to Debian's chromium driven by Playwright. Two shapes per size:
`items` (one withItems loop: it folds) and `dag` (a tree of distinct tasks, each with four
dependents: nothing to fold, every node laid out and drawn).

Time to interactive: navigation start to the first frame painted after the page's
`wfexec:interactive` mark (graph drawn or list shown, handlers attached): the mark is set when the
script is done, before the browser styles, lays out and paints what it drew; the bench waits for
the task after the next frame. "first" is the first load in a fresh browser context (the target is
judged on it); "warm" is the median of --repeat loads after it. Baseline, same run, same browser:
fetching and parsing what an Argo-style page must load first, the run's full Workflow object (for
the list: the unprojected first page of 50).

Two server modes, one after the other on the same store: `cold`, background layout off
(WFEXEC_UI_GRAPH_WARM=0): the first view lays the run out on demand; `served`, as `wfexec server`
runs by default: it lays big runs out in the background as their nodes are written and, at start,
the most recent ones; the first view comes once the server's CPU time has stopped growing (at most
--settle s after it started; the seeded runs stand for runs that had been running a while before
someone opened them).

`--before DIR` also runs the same cases, interleaved, against another tree's `src/` (e.g.
`git archive <commit> src | tar -x -C DIR`), for a before/after in one run.

Run: .venv/bin/python bench/ui_graph.py [--sizes 500,2000,5000] [--runs 10000] [--repeat 3]
       [--modes cold,served] [--settle 20] [--rounds 1] [--before DIR]
Targets: run page ≤ 1 s at 2,000 nodes and ≤ 2 s at 5,000.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"
TARGETS = {2000: 1.0, 5000: 2.0}


def node(run: str, nid: str, display: str, kind: str, *, children: list[str] | None = None,
         boundary: str | None = None, name: str | None = None) -> dict[str, Any]:
    n: dict[str, Any] = {"id": nid, "name": name or f"{run}.{display}", "displayName": display, "type": kind,
                         "phase": "Succeeded", "startedAt": T0, "finishedAt": T1, "templateName": "noop"}
    if children:
        n["children"] = children
    if boundary:
        n["boundaryID"] = boundary
    if kind == "Pod":
        n["outputs"] = {"exitCode": "0"}
    return n


def items_nodes(run: str, total: int) -> list[dict[str, Any]]:
    """A Steps run with one withItems loop: total = items + the run + its step group."""
    items = [f"{run}-i{i}" for i in range(total - 2)]
    out = [node(run, run, run, "Steps", children=[f"{run}-g0"], name=run),
           node(run, f"{run}-g0", "[0]", "StepGroup", children=items, boundary=run)]
    out += [node(run, nid, f"each({i}:item-{i})", "Pod", boundary=run) for i, nid in enumerate(items)]
    return out


def dag_nodes(run: str, total: int) -> list[dict[str, Any]]:
    """A DAG run of distinct tasks: task i depends on task (i-1)//4; total = tasks + the run."""
    tasks = total - 1
    out = [node(run, run, run, "DAG", children=[f"{run}-t0"], name=run)]
    for i in range(tasks):
        kids = [f"{run}-t{j}" for j in range(4 * i + 1, min(4 * i + 5, tasks))]
        out.append(node(run, f"{run}-t{i}", f"t{i}", "Pod", children=kids, boundary=run))
    return out


def seed(store: Any, name: str, nodes: list[dict[str, Any]], labels: dict[str, str] | None = None) -> None:
    from wfexec.engine.store import RunRecord

    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": name, "namespace": "default", "uid": str(uuid.uuid4()),
                             "creationTimestamp": T0, "labels": labels or {}},
                "spec": {"entrypoint": "main", "templates": [
                    {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}]}}
    store.create_run(RunRecord(name=name, uid=manifest["metadata"]["uid"], namespace="default", phase="Succeeded",
                               message=None, created_at=T0, started_at=T0, finished_at=T1, manifest=manifest,
                               options={}, status={}, engine_pid=None, control=None))
    if nodes:
        store.put_nodes(name, nodes)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, warm: bool, src: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    import requests

    port = free_port()
    env = {**os.environ, "WFEXEC_HOME": str(home), "WFEXEC_UI_GRAPH_WARM": "1" if warm else "0"}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen([sys.executable, "-m", "wfexec.cli.main", "server", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(home / "server.log", "wb"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/api/v1/version", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {(home / 'server.log').read_text()}")


def wait_idle(pid: int, limit: float) -> float:
    """Seconds until the server's CPU time stops growing (under 20 ms in a second), at most `limit`:
    its background layouts are done."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    t0, last = time.monotonic(), cpu()
    while time.monotonic() - t0 < limit:
        time.sleep(1.0)
        now = cpu()
        if now - last < 0.02:
            break
        last = now
    return time.monotonic() - t0


# Marks `painted` in the task after the frame that follows the page's own `wfexec:interactive` mark.
PAINTED = """{
  const mark = performance.mark.bind(performance);
  performance.mark = (name, options) => {
    const entry = mark(name, options);
    if (name === "wfexec:interactive") requestAnimationFrame(() => setTimeout(() => mark("painted"), 0));
    return entry;
  };
}"""


def load_ms(context: Any, url: str, baseline_path: str) -> tuple[float, float, int, int]:
    """One load in a new page: time to interactive, the baseline fetch, and the graph nodes in the run."""
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_function("performance.getEntriesByName('painted').length > 0", timeout=120_000)
    tti = page.evaluate("performance.getEntriesByName('painted')[0].startTime")
    drawn = int(page.evaluate("Number(document.querySelector('svg.graph')?.dataset.nodes || 0)"))
    dom = int(page.evaluate("document.querySelectorAll('svg.graph .node').length"))
    base = page.evaluate("""async (p) => {
        const t = performance.now(); const r = await fetch(p); await r.json(); return performance.now() - t; }""",
                         baseline_path)
    page.close()
    return tti, base, drawn, dom


def measure(browser: Any, url: str, repeat: int, baseline_path: str) -> tuple[float, float, float, int, int]:
    """First load (empty browser cache; the server has not laid this run out yet), median of the
    `repeat` loads after it (assets cached), median baseline, graph nodes, node elements in the page."""
    context = browser.new_context()
    context.add_init_script(PAINTED)
    try:
        first, base0, drawn, dom = load_ms(context, url, baseline_path)
        warm = [load_ms(context, url, baseline_path) for _ in range(repeat)]
    finally:
        context.close()
    return (first, statistics.median(w[0] for w in warm), statistics.median([base0, *(w[1] for w in warm)]), drawn,
            dom)


def median_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One row per (code, mode, case, size), in first-seen order: the median of its times over the rounds."""
    groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for r in rows:
        groups.setdefault(r[:4], []).append(r)
    return [(*g[0][:6], *(statistics.median(r[i] for r in g) for i in (6, 7, 8)), g[0][9]) for g in groups.values()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,2000,5000")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="cold,served")
    ap.add_argument("--settle", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=1, help="fresh servers per mode; figures are medians over them")
    ap.add_argument("--before", metavar="DIR", help="also measure this checkout's src/ (e.g. a worktree of main)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"cold", "served"}:
        raise SystemExit("--modes: expected cold and/or served")
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("Debian's chromium is needed (make test installs it)")
    home = Path(tempfile.mkdtemp(prefix="wfexec-bench-ui-"))
    os.environ["WFEXEC_HOME"] = str(home)
    from playwright.sync_api import sync_playwright

    from wfexec.engine.store import Store

    store = Store(home / "runs.db")
    t = time.perf_counter()
    cases = []
    for size in sizes:
        for shape, make in (("items", items_nodes), ("dag", dag_nodes)):
            name = f"bench-{shape}-{size}"
            seed(store, name, make(name, size))
            cases.append((shape, size, name))
    for i in range(args.runs):
        seed(store, f"list-{i:05d}", [], {"bench": "list", "batch": str(i % 10)})
    print(f"seeded {len(cases)} graph runs and {args.runs:,} list runs in {time.perf_counter() - t:.1f} s")
    versions: list[tuple[str, Path | None]] = [("after", None)]
    if args.before:
        src = Path(args.before) / "src"
        if not (src / "wfexec").is_dir():
            raise SystemExit(f"--before {args.before}: expected a checkout with src/wfexec")
        versions.insert(0, ("before", src))
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for rnd, mode in enumerate(m for _ in range(args.rounds) for m in modes):
                servers = [(label, *start_server(home, warm=mode == "served", src=src)) for label, src in versions]
                try:
                    if mode == "served":
                        for label, proc, _ in servers:
                            print(f"served ({label}): the server went idle {wait_idle(proc.pid, args.settle):.0f} s "
                                  "after start")
                    for i, (shape, size, name) in enumerate(cases):
                        # Interleaved, the order flipped from case to case: load drifts hit both alike.
                        for label, _, url in servers[:: 1 if i % 2 == 0 else -1]:
                            first, warm, base, drawn, dom = measure(browser, f"{url}/workflows/default/{name}",
                                                                    args.repeat, f"/api/v1/workflows/default/{name}")
                            rows.append((label, mode, f"run page, {shape}", f"{size:,}", str(drawn), str(dom), first,
                                         warm, base, TARGETS.get(size)))
                    for label, _, url in servers[:: 1 if rnd % 2 == 0 else -1]:
                        first, warm, base, _, _ = measure(browser, f"{url}/workflows/default", args.repeat,
                                                          "/api/v1/workflows/default?listOptions.limit=50")
                        rows.append((label, mode, "runs list (page of 50)", f"{args.runs + len(cases):,} runs", "", "",
                                     first, warm, base, None))
                finally:
                    for _, proc, _ in servers:
                        proc.terminate()
                        proc.wait(10)
            browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    rows = median_rows(rows)
    print(f"{'code':<6} {'mode':<7} {'case':<24} {'nodes':>12} {'drawn':>6} {'in DOM':>6} {'first':>9} {'warm':>9} "
          f"{'baseline':>9} {'ratio':>6}  target")
    for label, mode, case, nodes, drawn, dom, first, warm, base, target in rows:
        verdict = "" if target is None else (f"≤ {target:.0f} s: " + ("ok" if first <= target * 1000 else "MISSED"))
        print(f"{label:<6} {mode:<7} {case:<24} {nodes:>12} {drawn:>6} {dom:>6} {first:>6.0f} ms {warm:>6.0f} ms "
              f"{base:>6.0f} ms {first / max(base, 1):>5.1f}x  {verdict}")
    print("first: navigation start to the first frame painted with the graph drawn (list shown), empty browser "
          "cache; cold: the server lays the run out on this load; served: background layout on, the first load once "
          f"the server went idle; warm: median of {args.repeat} loads after it; with --rounds N, each figure is "
          f"the median over N fresh servers ({args.rounds} here); drawn: graph nodes after folding; "
          "in DOM: node elements in the page at first view; baseline: fetch + parse of the run's full Workflow "
          "object (list: the unprojected first page) in the same page; ratio: first / baseline; "
          f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    keys = ("code", "mode", "case", "nodes", "drawn", "in_dom", "first_ms", "warm_ms", "baseline_ms", "target_s")
    print(json.dumps({"rows": [dict(zip(keys, r, strict=True)) for r in rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
