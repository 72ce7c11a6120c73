"""Benchmark the host backend against bare sandboxed spawns, measured in the same run.

    .venv/bin/python bench/host_backend.py [--chain 200] [--parallel 1000]

1. a chain of N sequential no-op pods (`command: [true]`) through HostBackend, against N bare
   `bwrap --ro-bind / / --tmpfs /tmp --dev /dev --proc /proc true` spawns via subprocess:
   median per-step time of each, the overhead the backend adds, and the ratio;
2. M no-op pods started at once: steps per second from the first start to the last on_done,
   beside M bare spawns (32 in flight) as the machine's ceiling at that moment.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wfexec.pod import ContainerPlan, PodPlan, PodResult  # noqa: E402
from wfexec.runtimes.host.backend import HostBackend  # noqa: E402

BARE = ["--ro-bind", "/", "/", "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc", "true"]


def noop_pod(root: Path, i: int) -> PodPlan:
    name = f"pod-{i}"
    return PodPlan(run_id="bench", node_id=name, pod_name=name, argo_dir=root / name,
                   containers=[ContainerPlan(name="main", command=["true"])], template={"name": "noop"})


def run_one(backend: HostBackend, pod: PodPlan) -> PodResult:
    done = threading.Event()
    box: list[PodResult] = []

    def on_done(r: PodResult) -> None:
        box.append(r)
        done.set()

    backend.start(pod, on_done)
    if not done.wait(30):
        raise SystemExit(f"{pod.pod_name} did not finish in 30 s")
    return box[0]


def chain(backend: HostBackend, root: Path, n: int) -> list[float]:
    times = []
    for i in range(n):
        t = time.perf_counter()
        r = run_one(backend, noop_pod(root, i))
        times.append(time.perf_counter() - t)
        if r.phase != "Succeeded":
            raise SystemExit(f"pod {i}: {r.phase} {r.message}")
    return times


def bare(bwrap: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([bwrap, *BARE], check=True)
        times.append(time.perf_counter() - t)
    return times


def bare_parallel(bwrap: str, m: int, window: int = 32) -> float:
    """The same number of bare spawns, `window` in flight: what the machine allows right now."""
    t = time.perf_counter()
    running: list[subprocess.Popen[bytes]] = []
    for _ in range(m):
        running.append(subprocess.Popen([bwrap, *BARE]))
        if len(running) >= window:
            running.pop(0).wait()
    for p in running:
        p.wait()
    return time.perf_counter() - t


def parallel(backend: HostBackend, root: Path, m: int) -> tuple[float, int]:
    pods = [noop_pod(root, 100_000 + i) for i in range(m)]
    lock = threading.Lock()
    left = [m]
    failed = [0]
    all_done = threading.Event()

    def on_done(r: PodResult) -> None:
        with lock:
            left[0] -= 1
            if r.phase != "Succeeded":
                failed[0] += 1
                print(f"failed: {r.message} {r.logs.get('main') and r.logs['main'].read_text()[-300:]!r}")
            if left[0] == 0:
                all_done.set()

    t = time.perf_counter()
    for pod in pods:
        backend.start(pod, on_done)
    if not all_done.wait(300):
        raise SystemExit(f"{left[0]} of {m} parallel pods did not finish in 300 s")
    return time.perf_counter() - t, failed[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chain", type=int, default=200)
    ap.add_argument("--parallel", type=int, default=1000)
    args = ap.parse_args()
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SystemExit("bench: bwrap is not installed (apt-get install bubblewrap)")
    backend = HostBackend(None)
    backend.check()
    with tempfile.TemporaryDirectory(prefix="wfexec-bench-") as tmp:
        root = Path(tmp)
        chain(backend, root / "warm", 10)  # warm the fork server and the page cache
        bare(bwrap, 10)
        pods = chain(backend, root / "chain", args.chain)
        spawns = bare(bwrap, args.chain)
        elapsed, failed = parallel(backend, root / "par", args.parallel)
        bare_elapsed = bare_parallel(bwrap, args.parallel)
    backend.close()
    mp, mb = statistics.median(pods) * 1000, statistics.median(spawns) * 1000
    rows = [
        ("sequential no-op pods (median)", f"{mp:.2f} ms", f"n={args.chain}"),
        ("bare `bwrap … true` (median)", f"{mb:.2f} ms", f"n={args.chain}"),
        ("overhead per step (median difference)", f"{mp - mb:.2f} ms", "target <= 10 ms"),
        ("ratio pod / bare spawn", f"{mp / mb:.2f}x", ""),
        ("sequential pods p90", f"{sorted(pods)[int(0.9 * len(pods))] * 1000:.2f} ms", ""),
        (f"{args.parallel} parallel no-op pods", f"{args.parallel / elapsed:.0f} steps/s",
         f"{elapsed:.2f} s, {failed} failed; target >= 200 steps/s"),
        (f"{args.parallel} bare spawns, 32 in flight", f"{args.parallel / bare_elapsed:.0f} spawns/s",
         f"{bare_elapsed:.2f} s: the machine's ceiling in this run"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>14}  notes")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>14}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
