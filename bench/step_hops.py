"""Where a chain step's wall time goes between one step's command exiting and the next one's exec.

Runs `wfexec submit --wait` of an N-step chain of `true` under `strace -f -tt` (only execve,
exit_group, read and write, to keep strace's own cost low) in a fresh $WFEXEC_HOME, and prints the
median time of each hop over the steps. strace slows every traced syscall, so the absolute figures
are high; compare hops with each other and runs of two trees in the same session, never with the
untraced bench figures.

    .venv/bin/python bench/step_hops.py --steps 20
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole_command  # noqa: E402

LINE = re.compile(r"^(\d+) +(\d\d):(\d\d):(\d\d\.\d+) (.*)$")
# (hop name, pattern of the syscall that ends the hop), in the order they happen on a step's path
HOPS = [
    ("command exit", re.compile(r'^exit_group\(')),  # of the `true` exec'd last
    ("emissary notifies", re.compile(r'^write\(\d+, "\d+:main\\n"')),
    ("engine reads notice", re.compile(r'read resumed>"\d+:main\\n"|^read\(\d+, "\d+:main\\n"')),
    ("engine asks fork server", re.compile(r'^write\(\d+, "[^"]*\{\\"id\\": \d+, \\"spec')),
    ("emissary forked (+N)", re.compile(r'^write\(1, "\+\d+\\n"')),
    ("sandbox unblocked", re.compile(r'^write\(\d+, "\\0", 1\)')),
    ("bwrap exec", re.compile(r'^execve\("[^"]*bwrap"')),
    ("command exec", re.compile(r'^execve\("/usr/bin/true".* = 0')),
]


def seconds(h: str, m: str, s: str) -> float:
    return int(h) * 3600 + int(m) * 60 + float(s)


def timeline(trace: Path) -> dict[str, list[float]]:
    """Per hop, the time it took on each step (from the previous hop's event)."""
    true_pids: set[str] = set()
    events: list[tuple[float, int]] = []
    for raw in trace.read_text(errors="replace").splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        pid, t, call = m.group(1), seconds(*m.group(2, 3, 4)), m.group(5)
        if HOPS[-1][1].search(call):
            true_pids.add(pid)
        for i, (_name, pat) in enumerate(HOPS):
            if pat.search(call) and (i != 0 or pid in true_pids):
                events.append((t, i))
                break
    out: dict[str, list[float]] = {name: [] for name, _ in HOPS[1:]}
    out["total"] = []
    start = prev = None
    expect = 0
    for t, i in events:  # walk the chain: exit, then each hop once, in order
        if i == 0:
            start, prev, expect = t, t, 1
        elif start is not None and i == expect:
            out[HOPS[i][0]].append((t - prev) * 1000)
            prev, expect = t, expect + 1
            if i == len(HOPS) - 1:
                out["total"].append((t - start) * 1000)
                start = None
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--src", default=None, help="a tree's src/ to run (default: this checkout's)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wfexec-hops-") as tmp:
        doc = Path(tmp) / "chain.json"
        doc.write_text(json.dumps(whole_command.chain(args.steps)))
        env = dict(os.environ, WFEXEC_HOME=str(Path(tmp) / "home"))
        if args.src:
            env["PYTHONPATH"] = args.src
        trace = Path(tmp) / "strace.txt"
        subprocess.run(["strace", "-f", "-tt", "-s", "48", "-o", str(trace), "-e", "trace=execve,exit_group,read,write",
                        sys.executable, "-m", "wfexec.cli.main", "submit", str(doc), "--wait"],
                       env=env, stdout=subprocess.DEVNULL, check=True)
        hops = timeline(trace)
    print(f"load {os.getloadavg()[0]:.1f}; medians over {len(hops['total'])} step hand-overs (ms, under strace)")
    for name, values in hops.items():
        if values:
            print(f"  {name:26s} {statistics.median(values):7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
