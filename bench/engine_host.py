"""Engine overhead on the host runtime, against bare sandboxed spawns measured in the same run.

- chain: 200 sequential no-op steps vs 200 sequential `bwrap … true` spawns
- fan-out: 1,000 parallel no-op steps (steps/s)

Run: .venv/bin/python bench/engine_host.py [--chain N] [--fanout N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time


def chain_workflow(n: int) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "chain-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": f"s{i}", "template": "noop"}] for i in range(n)]},
                {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}]}}


def fanout_workflow(n: int) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "fanout-"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "steps": [[{"name": "s", "template": "noop",
                                              "withSequence": {"count": str(n)}}]]},
                {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}]}}


def bare_spawns(n: int) -> float:
    bwrap = shutil.which("bwrap")
    cmd = [bwrap, "--bind", "/", "/", "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc", "--die-with-parent",
           "true"] if bwrap else ["true"]
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def run_engine(wf: dict) -> tuple[float, str, int]:
    from wfexec.engine import api
    from wfexec.engine.store import Store

    store = Store()
    rec = api.create_run(store, wf, api.SubmitOptions())
    t0 = time.perf_counter()
    phase = api.run_foreground(store, rec.name)
    elapsed = time.perf_counter() - t0
    pods = sum(1 for n in store.get_nodes(rec.name).values() if n["type"] == "Pod")
    return elapsed, phase, pods


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chain", type=int, default=200)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    os.environ["WFEXEC_HOME"] = tempfile.mkdtemp(prefix="wfexec-bench-")
    rows = []
    for r in range(args.rounds):
        bare = bare_spawns(args.chain)
        chain, phase, pods = run_engine(chain_workflow(args.chain))
        assert phase == "Succeeded" and pods == args.chain, (phase, pods)
        rows.append((bare, chain))
        print(f"round {r}: bare {bare / args.chain * 1000:.2f} ms/spawn, engine {chain / args.chain * 1000:.2f} "
              f"ms/step, overhead {(chain - bare) / args.chain * 1000:.2f} ms/step, ratio {chain / bare:.2f}")
    rows.sort(key=lambda x: x[1] - x[0])
    bare, chain = rows[len(rows) // 2]
    print(f"chain of {args.chain}: median overhead {(chain - bare) / args.chain * 1000:.2f} ms/step "
          f"(target <= 10 ms); engine/bare ratio {chain / bare:.2f}")
    rates = []
    for _ in range(args.rounds):
        elapsed, phase, pods = run_engine(fanout_workflow(args.fanout))
        assert phase == "Succeeded" and pods == args.fanout, (phase, pods)
        rates.append(args.fanout / elapsed)
    rates.sort()
    print(f"fan-out of {args.fanout}: median {rates[len(rates) // 2]:.0f} steps/s on {os.cpu_count()} cores "
          f"(target >= 200); all: {', '.join(f'{r:.0f}' for r in rates)}")
    shutil.rmtree(os.environ["WFEXEC_HOME"], ignore_errors=True)


if __name__ == "__main__":
    main()
