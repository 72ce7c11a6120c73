"""500 MB of stdout through the emissary, against `cat` into a file, in the same run.

A program writes 500 MB to its stdout, a pipe. The emissary keeps it in ctr/main/stdout and
ctr/main/combined and passes it on to its own stdout (a file, as a container runtime's log would
be): it splices the pipe into ctr/main/stdout, combined is a hard link to that file (the program
writes no stderr, so the two never differ), and the pass-through is a sendfile from it. So 500 MB
are written to two files, as against one for the baseline: the same pipe read by `cat` into a file.
(`cat FILE > FILE` alone would measure the kernel's in-place copy, not a stream.) Target: >= 0.8
of cat's speed.

Run: .venv/bin/python bench/emissary_stdout.py [--mb 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], out: Path, env: dict[str, str] | None = None) -> float:
    with open(out, "wb") as fh:
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=fh, check=True, env=env)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wfexec-bench-stdout-"))
    try:
        src = work / "data"
        with open(src, "wb") as fh:  # compressible-ish text, written once
            line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 3 + b"\n"
            block = line * ((1 << 20) // len(line) + 1)
            for _ in range(args.mb):
                fh.write(block[: 1 << 20])
        argo = work / "argo"
        (argo).mkdir()
        (argo / "template").write_text(json.dumps({"name": "bench", "container": {}}))
        src_dir = str(Path(__file__).resolve().parents[1] / "src")
        env = dict(os.environ, ARGO_DIR=str(argo), ARGO_CONTAINER_NAME="main", PYTHONPATH=src_dir)
        emissary = [sys.executable, "-S", "-m", "wfexec.emissary", "--", "cat", str(src)]
        rows = []
        for _ in range(args.rounds):
            base = timed(["sh", "-c", f"cat '{src}' | cat"], work / "out-cat")
            shutil.rmtree(argo / "ctr", ignore_errors=True)
            ours = timed(emissary, work / "out-emissary", env)
            assert (work / "out-emissary").stat().st_size == src.stat().st_size
            assert (argo / "ctr" / "main" / "stdout").stat().st_size == src.stat().st_size
            assert (argo / "ctr" / "main" / "combined").stat().st_size == src.stat().st_size
            rows.append((base, ours))
            print(f"cat {args.mb / base:7.0f} MB/s   emissary {args.mb / ours:7.0f} MB/s   "
                  f"speed ratio {base / ours:.2f}")
        rows.sort(key=lambda r: r[0] / r[1])
        base, ours = rows[len(rows) // 2]
        print(f"median: emissary at {base / ours:.2f} of cat's speed for {args.mb} MB of stdout (target >= 0.8)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
