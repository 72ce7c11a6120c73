"""Time to interactive of the web UI in Chromium: run pages of 500, 2,000 and 5,000 nodes, and the runs list
with 10,000 runs in the store.

Runs are seeded straight into a fresh run store (finished runs in Argo's node shape), then a real
`wfexec server` serves them to Debian's chromium driven by Playwright. Two shapes per size:
`items` (one withItems loop: it folds) and `dag` (a tree of distinct tasks, each with four
dependents: nothing to fold, every node laid out and drawn).

Time to interactive: navigation start to the page's `wfexec:interactive` mark (graph drawn or
list shown, handlers attached). "first" is the first load in a fresh browser context (the target is
judged on it); "warm" is the median of --repeat loads after it. Baseline, same run, same browser:
fetching and parsing what an Argo-style page must load first, the run's full Workflow object (for
the list: the unprojected first page of 50).

Two server modes, one after the other on the same store: `cold`, background layout off
(WFEXEC_UI_GRAPH_WARM=0): the first view lays the run out on demand; `served`, as `wfexec server`
runs by default: it lays big runs out in the background as their nodes are written and, at start,
the most recent ones; the first view comes once the server's CPU time has stopped growing (at most
--settle s after it started; the seeded runs stand for runs that had been running a while before
someone opened them).

Run: .venv/bin/python bench/ui_graph.py [--sizes 500,2000,5000] [--runs 10000] [--repeat 3]
       [--modes cold,served] [--settle 20]
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


def start_server(home: Path, warm: bool) -> tuple[subprocess.Popen[bytes], str]:
    import requests

    port = free_port()
    env = {**os.environ, "WFEXEC_HOME": str(home), "WFEXEC_UI_GRAPH_WARM": "1" if warm else "0"}
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


def load_ms(context: Any, url: str, baseline_path: str) -> tuple[float, float, int]:
    """One load in a new page: time to interactive, the baseline fetch, and the graph nodes drawn."""
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_function("performance.getEntriesByName('wfexec:interactive').length > 0", timeout=120_000)
    tti = page.evaluate("performance.getEntriesByName('wfexec:interactive')[0].startTime")
    drawn = int(page.evaluate("Number(document.querySelector('svg.graph')?.dataset.nodes || 0)"))
    base = page.evaluate("""async (p) => {
        const t = performance.now(); const r = await fetch(p); await r.json(); return performance.now() - t; }""",
                         baseline_path)
    page.close()
    return tti, base, drawn


def measure(browser: Any, url: str, repeat: int, baseline_path: str) -> tuple[float, float, float, int]:
    """First load (empty browser cache; the server has not laid this run out yet), median of the
    `repeat` loads after it (assets cached), median baseline, nodes drawn."""
    context = browser.new_context()
    try:
        first, base0, drawn = load_ms(context, url, baseline_path)
        warm = [load_ms(context, url, baseline_path) for _ in range(repeat)]
    finally:
        context.close()
    return first, statistics.median(w[0] for w in warm), statistics.median([base0, *(w[1] for w in warm)]), drawn


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500,2000,5000")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="cold,served")
    ap.add_argument("--settle", type=float, default=60.0)
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
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for mode in modes:
                proc, url = start_server(home, warm=mode == "served")
                try:
                    if mode == "served":
                        print(f"served: the server went idle {wait_idle(proc.pid, args.settle):.0f} s after start")
                    for shape, size, name in cases:
                        first, warm, base, drawn = measure(browser, f"{url}/workflows/default/{name}", args.repeat,
                                                           f"/api/v1/workflows/default/{name}")
                        rows.append((mode, f"run page, {shape}", f"{size:,}", str(drawn), first, warm, base,
                                     TARGETS.get(size)))
                    first, warm, base, _ = measure(browser, f"{url}/workflows/default", args.repeat,
                                                   "/api/v1/workflows/default?listOptions.limit=50")
                    rows.append((mode, "runs list (page of 50)", f"{args.runs + len(cases):,} runs", "", first, warm,
                                 base, None))
                finally:
                    proc.terminate()
                    proc.wait(10)
            browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{'mode':<7} {'case':<24} {'nodes':>12} {'drawn':>6} {'first':>9} {'warm':>9} {'baseline':>9} "
          f"{'ratio':>6}  target")
    for mode, case, nodes, drawn, first, warm, base, target in rows:
        verdict = "" if target is None else (f"≤ {target:.0f} s: " + ("ok" if first <= target * 1000 else "MISSED"))
        print(f"{mode:<7} {case:<24} {nodes:>12} {drawn:>6} {first:>6.0f} ms {warm:>6.0f} ms {base:>6.0f} ms "
              f"{first / max(base, 1):>5.1f}x  {verdict}")
    print("first: navigation start to the graph drawn (list shown), empty browser cache; cold: the server lays the "
          "run out on this load; served: background layout on, the first load once the server went idle; "
          f"warm: median of {args.repeat} loads after it; baseline: fetch + parse of the run's full Workflow "
          "object (list: the unprojected first page) in the same page; ratio: first / baseline; "
          f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    keys = ("mode", "case", "nodes", "drawn", "first_ms", "warm_ms", "baseline_ms", "target_s")
    print(json.dumps({"rows": [dict(zip(keys, r, strict=True)) for r in rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
