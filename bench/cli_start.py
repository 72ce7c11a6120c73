"""How fast `wfexec --help`, `list` and `get` answer: the whole command, as a user runs it.

Baseline, in the same run: the bare interpreter (`python -c pass`, what no Python CLI can beat).
With `--compare REF`, the same commands from the tree at git REF too (its sources on PYTHONPATH),
so before and after are measured side by side under the same load.

Byte code is cached (PYTHONPYCACHEPREFIX under the temp dir), as for an installed package, even
where $PYTHONDONTWRITEBYTECODE is set. Each figure is the median of `--runs` runs, interleaved so that load on the machine hits all alike;
wall time and the child's CPU time (user + system) are both shown, the latter steadier on a busy machine.

Run: .venv/bin/python bench/cli_start.py [--runs 15] [--compare REF]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELLO = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hello]}
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time barely moves with the machine's load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def export_tree(ref: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--compare", metavar="REF", help="also time the commands of this git ref (e.g. a commit before)")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="wfexec-bench-cli-") as tmp:
        home = Path(tmp) / "home"
        # Byte code as an installed package has it (pip compiles it): kept under the temp dir, not the tree.
        env = dict(os.environ, WFEXEC_HOME=str(home), PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        wf = Path(tmp) / "hello.yaml"
        wf.write_text(HELLO)
        for _ in range(3):  # a store with a few runs, as `list` and `get` meet it
            subprocess.run([py, "-m", "wfexec.cli.main", "submit", str(wf), "--wait"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        trees = {"now": env}
        if args.compare:
            src = export_tree(args.compare, Path(tmp))
            trees[args.compare] = dict(env, PYTHONPATH=str(src))
        # `python -m wfexec.cli.main`, not the console script: the script names this tree's entry point,
        # which a --compare tree may not have.
        script = [py, "-m", "wfexec.cli.main"]
        commands = {"--help": ["--help"], "list": ["list"], "get": ["get", "@latest"]}
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        base: list[tuple[float, float]] = []
        for _ in range(args.runs):
            base.append(timed([py, "-c", "pass"], env))
            for tree, tenv in trees.items():
                for label, argv in commands.items():
                    samples.setdefault((tree, label), []).append(timed(script + argv, tenv))
    bw, bc = (statistics.median(x[i] for x in base) for i in (0, 1))
    print(f"baseline `python -c pass`: wall {bw * 1000:.0f} ms, CPU {bc * 1000:.0f} ms (medians of {args.runs}); "
          f"load average {os.getloadavg()[0]:.1f}")
    for (tree, label), values in samples.items():
        w, c = (statistics.median(x[i] for x in values) for i in (0, 1))
        print(f"{tree:>10}  wfexec {label:<7} wall {w * 1000:5.0f} ms ({w / bw:4.1f}x)   CPU {c * 1000:4.0f} ms "
              f"({c / bc:4.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
