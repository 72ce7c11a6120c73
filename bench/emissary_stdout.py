"""500 MB of stdout through the emissary, against `cat` into a file, in the same run.

A program writes 500 MB to its stdout, a pipe. The emissary splices it into ctr/main/stdout
(ctr/main/combined is a hard link to it while there is no stderr). Three cases:
- host: the emissary's own stdout goes nowhere, as on the host runtime (the fork server turns the
  passthrough off): what is kept is ctr/main/stdout;
- docker: the emissary also passes the stream on to its stdout, a file (a container runtime's log),
  by sendfile from ctr/main/stdout: the data is written twice;
- docker-pipe: as docker, but the emissary's stdout is a pipe read by `cat` into the log file,
  as Docker's shim reads a container's stdout FIFO: the same work as docker, in two processes.
The baseline is the same stream read by `cat` into a file (`cat FILE > FILE` alone would measure
the kernel's in-place copy, not a stream). Target: >= 0.8 of cat's speed.

Run: .venv/bin/python bench/emissary_stdout.py [--mb 500] [--rounds 3] [--dir /dev/shm]
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


def timed(cmd: list[str], out: Path | None, env: dict[str, str] | None = None) -> float:
    """Wall time of `cmd` with its stdout in `out` (None: /dev/null)."""
    # each run starts with no dirty pages: otherwise whichever runs while the kernel writes back
    # the previous run's gigabyte is throttled (rounds swung from 0.2 to 1.7 without this)
    if out is not None:
        out.unlink(missing_ok=True)
    os.sync()
    with open(out if out is not None else os.devnull, "wb") as fh:
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=fh, check=True, env=env)
        return time.perf_counter() - t0


def median_ratio(rows: list[tuple[float, float]]) -> float:
    ratios = sorted(base / ours for base, ours in rows)
    return ratios[len(ratios) // 2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", help="where the data, the outputs and the argo dir go (default: the temp dir); "
                                  "/dev/shm takes the disk's write-back and discards out of the comparison")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wfexec-bench-stdout-", dir=args.dir))
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
        kept = argo / "ctr" / "main"
        rows: dict[str, list[tuple[float, float]]] = {"host": [], "docker": [], "docker-pipe": []}
        piped = ["sh", "-c", 'exec "$@" | cat', "sh", *emissary]
        for _ in range(args.rounds):
            base = timed(["sh", "-c", f"cat '{src}' | cat"], work / "out-cat")
            line = f"cat {args.mb / base:6.0f} MB/s"
            for mode, out in (("host", None), ("docker", work / "out-emissary"),
                              ("docker-pipe", work / "out-emissary")):
                shutil.rmtree(argo / "ctr", ignore_errors=True)
                ours = timed(piped if mode == "docker-pipe" else emissary, out, env)
                assert (kept / "stdout").stat().st_size == src.stat().st_size
                assert (kept / "combined").stat().st_size == src.stat().st_size
                assert out is None or out.stat().st_size == src.stat().st_size
                rows[mode].append((base, ours))
                line += f"   {mode} {args.mb / ours:6.0f} MB/s ({base / ours:.2f})"
            print(line)
        print(f"median speed ratio to cat, {args.mb} MB of stdout (target >= 0.8): "
              f"host runtime (kept in ctr/main/stdout) {median_ratio(rows['host']):.2f}; "
              f"docker (kept, and passed on to a log file) {median_ratio(rows['docker']):.2f}; "
              f"docker-pipe (passed on through a pipe) {median_ratio(rows['docker-pipe']):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
