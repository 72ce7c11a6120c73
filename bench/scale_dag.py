"""Controller overhead at scale on the host runtime: a DAG of N no-op tasks, and a withItems fan-out.

For each size the engine runs in a fresh process (so peak RSS is that run's), and in the same
process a bare-spawn baseline runs the same number of no-op pods straight through the host
backend, as many at once as the engine allows. Controller overhead = engine wall time minus the
baseline's, per node; also shown: the engine process's own CPU time per node (steadier than a
difference of two wall times on a busy machine; the pods' processes are not in it).

Run: .venv/bin/python bench/scale_dag.py [--sizes 1000,5000,10000] [--items 5000] [--profile N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}
FANOUT = 4  # task i depends on task (i-1)//FANOUT: a wide tree, every task but the root has a parent


def dag_workflow(n: int) -> dict[str, Any]:
    tasks = [{"name": "t0", "template": "noop"}]
    tasks += [{"name": f"t{i}", "template": "noop", "depends": f"t{(i - 1) // FANOUT}"} for i in range(1, n)]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dag-"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": tasks}}, NOOP]}}


def items_workflow(n: int) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "items-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": "each", "template": "noop",
                                             "withItems": [f"item-{i}" for i in range(n)]}]]}, NOOP]}}


def bare_pods(n: int, parallelism: int) -> float:
    """N no-op pods straight through the host backend, `parallelism` at a time: the pods' own cost."""
    from wfexec.pod import ContainerPlan, PodPlan
    from wfexec.runtimes.host.backend import HostBackend

    backend = HostBackend(None)
    backend.check()
    base = Path(os.environ["WFEXEC_HOME"]) / "bare"
    slots = threading.Semaphore(parallelism)
    done = threading.Semaphore(0)

    def finished(_result: object) -> None:
        slots.release()
        done.release()

    t0 = time.perf_counter()
    for i in range(n):
        slots.acquire()
        argo = base / f"p{i}"
        backend.start(PodPlan(run_id="bare", node_id=f"p{i}", pod_name=f"p{i}", argo_dir=argo,
                              containers=[ContainerPlan(name="main", command=["true"])], template=NOOP), finished)
    for _ in range(n):
        done.acquire()
    elapsed = time.perf_counter() - t0
    backend.close()
    return elapsed


def one(kind: str, n: int, profile: str | None) -> dict[str, Any]:
    from wfexec.engine import api
    from wfexec.engine.pods import default_parallelism
    from wfexec.engine.store import Store

    store = Store()
    wf = dag_workflow(n) if kind == "dag" else items_workflow(n)
    rec = api.create_run(store, wf, api.SubmitOptions())
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if profile:
        import cProfile

        cProfile.runctx("phase = api.run_foreground(store, rec.name)", globals(), ns := {"api": api, "store": store,
                                                                                        "rec": rec}, profile)
        phase = ns["phase"]
    else:
        phase = api.run_foreground(store, rec.name)
    engine = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)  # the engine process alone
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pods = sum(1 for node in store.get_nodes(rec.name).values() if node["type"] == "Pod" and
               node["phase"] == "Succeeded")
    bare = bare_pods(n, default_parallelism())
    return {"kind": kind, "n": n, "phase": phase, "pods": pods, "engine_s": engine, "bare_s": bare,
            "overhead_ms_per_node": (engine - bare) / n * 1000, "cpu_ms_per_node": cpu / n * 1000,
            "peak_rss_mib": rss}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--one", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--profile", metavar="FILE", help="cProfile the engine (with --one) into FILE")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.profile)))
        return
    jobs = [("dag", int(s)) for s in args.sizes.split(",") if s] + ([("items", args.items)] if args.items else [])
    rows = []
    for kind, n in jobs:
        home = tempfile.mkdtemp(prefix="wfexec-scale-")
        out = subprocess.run([sys.executable, __file__, "--one", kind, str(n)], capture_output=True, text=True,
                             env=dict(os.environ, WFEXEC_HOME=home), check=True)
        subprocess.run(["rm", "-rf", home], check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        assert row["phase"] == "Succeeded" and row["pods"] == n, row
        rows.append(row)
        print(f"{kind:5} {n:6}: engine {row['engine_s']:7.1f} s, bare pods {row['bare_s']:7.1f} s, "
              f"controller overhead {row['overhead_ms_per_node']:.2f} ms/node (engine CPU "
              f"{row['cpu_ms_per_node']:.2f} ms/node), peak RSS {row['peak_rss_mib']:.0f} MiB",
              flush=True)
    dags = [r for r in rows if r["kind"] == "dag"]
    if len(dags) > 1:
        first, last = dags[0], dags[-1]
        print(f"growth {first['n']} -> {last['n']}: overhead/node x{last['overhead_ms_per_node'] / max(first['overhead_ms_per_node'], 1e-9):.2f}"
              " (1.0 = linear total time); target <= 2 ms/node at the largest size")


if __name__ == "__main__":
    main()
