"""The engine's own cost per node, with pods that cost nothing: a no-op in-memory backend that ends
each pod at once. Compares this tree's engine with another source tree (a baseline) in the same run,
each size in a fresh process, alternating, and prints the engine process's CPU time per node (its
threads included; steadier than wall time on a busy machine) and the wall time.

Run: .venv/bin/python bench/engine_overhead.py --baseline DIR [--sizes 500,2000] [--rounds 3]
(DIR: a source tree of wfexec, e.g. `git archive <commit> | tar -x -C DIR`; its src/ is imported.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def dag_workflow(n: int) -> dict[str, Any]:
    tasks = [{"name": "t0", "template": "noop"}]
    tasks += [{"name": f"t{i}", "template": "noop", "depends": f"t{(i - 1) // 4}"} for i in range(1, n)]
    noop = {"name": "noop", "container": {"image": "none", "command": ["true"]}}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "dag-"},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": tasks}}, noop]}}


class NoopBackend:
    """Every pod succeeds at once (from another thread, as real backends report)."""

    runtime = "noop"
    executor = "noop"

    def check(self) -> None:
        pass

    def start(self, pod: Any, on_done: Any) -> Any:
        from wfexec.pod import PodResult

        class Handle:
            def __init__(self) -> None:
                self.pod = pod

        threading.Thread(target=on_done, args=(PodResult(phase="Succeeded", exit_code=0, result=""),)).start()
        return Handle()

    def kill(self, handle: Any, grace: float) -> None:
        pass

    def ip(self, handle: Any) -> str | None:
        return None

    def reattach(self, pod: Any, on_done: Any) -> Any:
        return None

    def close(self) -> None:
        pass


def one(n: int) -> dict[str, Any]:
    from wfexec.engine import api
    from wfexec.engine.store import Store

    try:
        from wfexec.engine.workflow import WorkflowRun as Engine
    except ImportError:  # a tree from before the engine's split
        from wfexec.engine.controller import Controller as Engine  # type: ignore[no-redef]

    store = Store()
    rec = api.create_run(store, dag_workflow(n), api.SubmitOptions())
    cpu0, t0 = time.process_time(), time.perf_counter()
    phase = Engine(store, rec.name, backend=NoopBackend()).run()
    return {"phase": phase, "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - t0}


def measure(src: Path, n: int) -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="wfexec-overhead-")
    try:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True,
                             env=dict(os.environ, WFEXEC_HOME=home, PYTHONPATH=str(src)))
    finally:
        subprocess.run(["rm", "-rf", home], check=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    assert row["phase"] == "Succeeded", row
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, help="a wfexec source tree to compare with")
    ap.add_argument("--sizes", default="500,2000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    trees = {"this tree": HERE / "src"}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve() / "src"
    for n in (int(s) for s in args.sizes.split(",") if s):
        rows: dict[str, list[dict[str, Any]]] = {k: [] for k in trees}
        for _ in range(args.rounds):
            for label, src in trees.items():  # alternating, so both see the same load
                rows[label].append(measure(src, n))
        cpu = {k: statistics.median(r["cpu_s"] for r in v) / n * 1000 for k, v in rows.items()}
        wall = {k: statistics.median(r["wall_s"] for r in v) for k, v in rows.items()}
        line = "  ".join(f"{k}: CPU {cpu[k]:.2f} ms/node, wall {wall[k]:.2f} s" for k in trees)
        ratio = f"  (this/baseline CPU x{cpu['this tree'] / cpu['baseline']:.2f})" if "baseline" in cpu else ""
        print(f"dag {n:6}: {line}{ratio}", flush=True)


if __name__ == "__main__":
    main()
