"""Many short lines through the emissary, against another source tree's emissary, interleaved in one run.

Short lines written one at a time are the emissary's most chunks per byte, so the worst case for what it
does per chunk (the time record beside combined, `combined.times`). Each round runs the same command under
this tree's emissary and under the baseline tree's (`--baseline-src`, e.g. `git archive main src | tar -x`),
one after the other, and reports wall time and CPU time (the emissary and its child, from
`getrusage(RUSAGE_CHILDREN)`); the medians of the ratios are the figure.

Run: .venv/bin/python bench/emissary_lines.py --baseline-src /tmp/main-src/src [--lines 20000] [--rounds 5]
     [--pace-ms 1.1]  (lines 1.1 ms apart: one chunk, one record each)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE_SRC = str(Path(__file__).resolve().parents[1] / "src")


def one(src: str, argo: Path, script: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one emissary run of `script` with wfexec from `src`."""
    shutil.rmtree(argo / "ctr", ignore_errors=True)
    env = dict(os.environ, ARGO_DIR=str(argo), ARGO_CONTAINER_NAME="main", PYTHONPATH=src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-m", "wfexec.emissary", "--", "sh", "-c", script], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline-src", required=True, help="the `src` directory of the tree to compare against")
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pace-ms", type=float, default=0.0,
                    help="a pause between lines (e.g. 1.1: each line its own chunk and its own time record)")
    args = ap.parse_args()
    script = f"i=0; while [ $i -lt {args.lines} ]; do echo line $i; i=$((i+1)); done"
    if args.pace_ms:
        script = (f"exec {sys.executable} -c 'import sys, time\nfor i in range({args.lines}):\n"
                  f"    sys.stdout.write(f\"line {{i}}\\n\"); sys.stdout.flush(); time.sleep({args.pace_ms / 1000})'")
    work = Path(tempfile.mkdtemp(prefix="wfexec-bench-lines-"))
    try:
        argo = work / "argo"
        argo.mkdir()
        (argo / "template").write_text(json.dumps({"name": "bench", "container": {}}))
        walls, cpus = [], []
        for r in range(args.rounds):
            base = one(args.baseline_src, argo, script)
            ours = one(HERE_SRC, argo, script)
            records = (argo / "ctr" / "main" / "combined.times")
            n = records.stat().st_size // 16 if records.exists() else 0
            walls.append(ours[0] / base[0])
            cpus.append(ours[1] / base[1])
            print(f"round {r}: baseline {base[0] * 1000:.0f} ms wall {base[1] * 1000:.0f} ms CPU; "
                  f"this tree {ours[0] * 1000:.0f} ms wall {ours[1] * 1000:.0f} ms CPU ({n} time records)")
        print(f"{args.lines} short lines, this tree / baseline: wall {median(walls):.3f}, CPU {median(cpus):.3f} "
              f"(medians of {args.rounds}; load {os.getloadavg()[0]:.1f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
