"""The whole command, as a user runs it (process start to exit), against bare spawns in the same run.

Figures (each the median of --rounds interleaved runs; every baseline measured in the same round):
- `wfexec submit hello-world.yaml --wait` against `python3 -c pass` plus one bare `bwrap … true`;
- a chain of 200 steps through `submit --wait`: overhead per step over 200 sequential bare bwraps;
- a 1,000-wide fan-out through `submit --wait`: steps/s against bare bwraps run 2 at a time;
- `wfexec lint` of a 1,000-step workflow;
- a 5,000-item withItems (parallelism 300) through `submit --wait`: ms/node over the same number of
  bare pods through the host backend, as many at a time as the engine runs (--items 0 skips it).

Each runs on two homes: one made fresh, and one "aged": by default a home that has run 20,000
pods (fan-outs of --age-batch through `submit --wait` with the current tree, then copied for the
other tree, so both start from the same store, logs and disk), or with --aged-with dirs, a home
made after creating and deleting that many pod-like directories on its disk (faster; ext4 then
skips recently freed inodes, docs/scale.md). With
--compare REF the tree at git REF runs too (its sources on PYTHONPATH), interleaved, so before and
after meet the same load. Homes live under --base (default /var/tmp: a disk, not a tmpfs).

Run: .venv/bin/python bench/whole_command.py [--rounds 3] [--compare 9fdba46] [--items 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NOOP = {"name": "noop", "container": {"image": "busybox", "command": ["true"]}}
BWRAP = [shutil.which("bwrap") or "bwrap", "--bind", "/", "/", "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc",
         "--die-with-parent", "true"]


def workflow(steps: Any, name: str, parallelism: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": "main", "templates": [{"name": "main", "steps": steps}, NOOP]}
    if parallelism:
        spec["parallelism"] = parallelism
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": f"{name}-"},
            "spec": spec}


def chain(n: int) -> dict[str, Any]:
    return workflow([[{"name": f"s{i}", "template": "noop"}] for i in range(n)], "chain")


def fanout(n: int) -> dict[str, Any]:
    return workflow([[{"name": "s", "template": "noop", "withSequence": {"count": str(n)}}]], "fanout")


def items(n: int) -> dict[str, Any]:
    return workflow([[{"name": "each", "template": "noop", "withItems": [f"item-{i}" for i in range(n)]}]],
                    "items", parallelism=300)


def _perf_works() -> bool:
    perf = shutil.which("perf")
    return bool(perf) and subprocess.run([perf, "stat", "-x,", "-e", "task-clock", "-o", os.devnull, "true"],
                                         capture_output=True).returncode == 0


PERF = _perf_works()
CPU: dict[tuple[str, ...], list[float]] = {}  # CPU seconds of every process a command started (perf)


def timed(cmd: list[str], env: dict[str, str] | None = None, cpu_key: tuple[str, ...] | None = None) -> float:
    """Wall seconds; with `cpu_key` and perf, also the CPU of the command and all it started, the
    detached engine, fork server, emissaries and sandboxes included (the load moves it far less)."""
    out = None
    if cpu_key is not None and PERF:
        fd, out = tempfile.mkstemp(prefix="perf-stat-")
        os.close(fd)
        cmd = ["perf", "stat", "-x,", "-e", "task-clock", "-o", out, "--", *cmd]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    if out is not None:
        text = Path(out).read_text()
        os.unlink(out)
        msec = next((float(line.split(",")[0]) for line in text.splitlines() if "task-clock" in line), None)
        if msec is not None and cpu_key is not None:
            CPU.setdefault(cpu_key, []).append(msec / 1000)
    return wall


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def bare_bwraps(n: int, at_once: int) -> float:
    """N bare `bwrap … true`, `at_once` at a time: the sandbox's own floor."""
    t0 = time.perf_counter()
    running: list[subprocess.Popen[bytes]] = []
    for _ in range(n):
        if len(running) >= at_once:
            running.pop(0).wait()
        running.append(subprocess.Popen(BWRAP))
    for p in running:
        p.wait()
    return time.perf_counter() - t0


def bare_pods(n: int, at_once: int, where: Path) -> float:
    """N no-op pods straight through the host backend (pod dirs under `where`): the pods' own cost."""
    from wfexec.pod import ContainerPlan, PodPlan
    try:
        from wfexec.runtimes.host.backend import HostBackend
    except ImportError:  # a tree from before the runtimes moved into packages
        from wfexec.runtimes.host import HostBackend  # type: ignore[attr-defined,no-redef]

    backend = HostBackend(None)
    backend.check()
    slots, done = threading.Semaphore(at_once), threading.Semaphore(0)

    def finished(_result: object) -> None:
        slots.release()
        done.release()

    t0 = time.perf_counter()
    for i in range(n):
        slots.acquire()
        backend.start(PodPlan(run_id="bare", node_id=f"p{i}", pod_name=f"p{i}", argo_dir=where / f"p{i}",
                              containers=[ContainerPlan(name="main", command=["true"])], template=NOOP), finished)
    for _ in range(n):
        done.acquire()
    elapsed = time.perf_counter() - t0
    backend.close()
    shutil.rmtree(where, ignore_errors=True)
    return elapsed


def age(home: Path, count: int) -> None:
    """Create and delete `count` pod-like directories (a template, a log, an exit code) on the home's disk."""
    scratch = home / "aging"
    for start in range(0, count, 1000):
        for i in range(start, min(count, start + 1000)):
            d = scratch / f"p{i}" / "ctr" / "main"
            d.mkdir(parents=True)
            (scratch / f"p{i}" / "template").write_text("{}")
            (d / "combined").write_text("x\n")
            (d / "exitcode").write_text("0")
        shutil.rmtree(scratch)


def age_with_pods(tree: Tree, home: Path, count: int, batch: int, scratch: Path) -> None:
    """Run `count` no-op pods in `home`, in fan-outs of `batch`: its store, logs and disk as after real use."""
    doc = scratch / "age-fanout.json"
    done = 0
    while done < count:
        n = min(batch, count - done)
        doc.write_text(json.dumps(fanout(n)))
        tree.wfexec(home, "submit", str(doc), "--wait")
        done += n


class Tree:
    """One source tree of wfexec: how to run its CLI, with a home."""

    def __init__(self, label: str, src: Path | None, pycache: Path) -> None:
        self.label, self.src, self.pycache = label, src, pycache

    def env(self, home: Path) -> dict[str, str]:
        env = dict(os.environ, WFEXEC_HOME=str(home), PYTHONPYCACHEPREFIX=str(self.pycache / self.label))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte code cached, as an installed package has it
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        return env

    def wfexec(self, home: Path, *args: str, cpu_key: tuple[str, ...] | None = None) -> float:
        return timed([sys.executable, "-m", "wfexec.cli.main", *args], self.env(home), cpu_key)

    def bare_pods(self, home: Path, n: int, at_once: int, where: Path) -> float:
        code = (f"import sys; sys.path.insert(0, {str(REPO / 'bench')!r}); from whole_command import bare_pods; "
                f"from pathlib import Path; print(bare_pods({n}, {at_once}, Path({str(where)!r})))")
        out = subprocess.run([sys.executable, "-c", code], env=self.env(home), capture_output=True, text=True,
                             check=True).stdout
        return float(out.split()[-1])


def export_tree(ref: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], capture_output=True, check=True).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def pod_dir_place(tree: Tree, home: Path) -> Path:
    """Where this tree puts a run's pods on this home (the tmpfs, or the disk): the bare pods go there too."""
    code = ("from wfexec.home import wfexec_home\ntry:\n from wfexec.engine.pod_dirs import scratch_root\n"
            " r = scratch_root()\nexcept ImportError:\n r = None\nprint(r or wfexec_home())")
    out = subprocess.run([sys.executable, "-c", code], env=tree.env(home), capture_output=True, text=True,
                         check=True).stdout
    return Path(out.strip()) / "bare-pods"


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--now", metavar="REF", help="run the tree at this git ref as the current one (default: the work tree)")
    ap.add_argument("--compare", metavar="REF", help="also run the tree at this git ref (e.g. the commit before)")
    ap.add_argument("--chain", type=int, default=200)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--lint-steps", type=int, default=1000)
    ap.add_argument("--items", type=int, default=5000, help="withItems size (0: skip)")
    ap.add_argument("--aged", type=int, default=20000, help="pods run on the aged home (or directories: --aged-with)")
    ap.add_argument("--aged-with", choices=("pods", "dirs"), default="pods",
                    help="age the home by running pods (default) or by making and deleting pod-like directories")
    ap.add_argument("--age-batch", type=int, default=2000, help="the size of each aging fan-out")
    ap.add_argument("--base", default="/var/tmp", help="where the homes are made (a disk)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wfexec-bench-whole-", dir=args.base))
    try:
        trees = [Tree(args.now, export_tree(args.now, tmp / "now"), tmp / "pycache") if args.now
                 else Tree("now", None, tmp / "pycache")]
        if args.compare:
            trees.append(Tree(args.compare, export_tree(args.compare, tmp / "tree"), tmp / "pycache"))
        files = {}
        for label, wf in (("hello", None), ("chain", chain(args.chain)), ("fanout", fanout(args.fanout)),
                          ("lint", chain(args.lint_steps)), ("items", items(args.items) if args.items else None)):
            if wf is not None:
                files[label] = tmp / f"{label}.json"
                files[label].write_text(json.dumps(wf))
        files["hello"] = REPO / "examples" / "hello-world.yaml"
        homes = {}
        for tree in trees:
            homes[("fresh", tree.label)] = tmp / f"home-fresh-{tree.label}"
            homes[("fresh", tree.label)].mkdir()
        t0 = time.perf_counter()
        if args.aged_with == "dirs":
            age(tmp / "aging", args.aged)  # the inode allocator is the file system's: one churn ages every home after it
            for tree in trees:
                homes[("aged", tree.label)] = tmp / "aging" / f"home-aged-{tree.label}"
                homes[("aged", tree.label)].mkdir(parents=True)
            print(f"aged homes: {args.aged} pod-like directories made and deleted before they were made "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        else:
            first = homes[("aged", trees[0].label)] = tmp / f"home-aged-{trees[0].label}"
            first.mkdir()
            age_with_pods(trees[0], first, args.aged, args.age_batch, tmp)
            aged_for = time.perf_counter() - t0
            for tree in trees[1:]:
                homes[("aged", tree.label)] = tmp / f"home-aged-{tree.label}"
                shutil.copytree(first, homes[("aged", tree.label)], symlinks=True)
            print(f"aged home: {args.aged} pods run in fan-outs of {args.age_batch} in {aged_for:.0f} s "
                  f"({args.aged / aged_for:.0f} pods/s, load average {os.getloadavg()[0]:.1f})"
                  + (f", then copied for the other tree ({time.perf_counter() - t0 - aged_for:.0f} s)"
                     if len(trees) > 1 else ""), flush=True)
        for tree in trees:  # warm: byte code written, first-run costs paid
            for kind in ("fresh", "aged"):
                tree.wfexec(homes[(kind, tree.label)], "submit", str(files["hello"]), "--wait")
        s: dict[tuple[str, ...], list[float]] = {}

        def add(key: tuple[str, ...], value: float) -> None:
            s.setdefault(key, []).append(value)

        for r in range(args.rounds):
            add(("python",), timed([sys.executable, "-c", "pass"]))
            add(("bwrap",), timed(BWRAP))
            c0 = children_cpu()
            add(("bare-chain",), bare_bwraps(args.chain, 1))
            c1 = children_cpu()
            add(("bare-fanout",), bare_bwraps(args.fanout, 2))
            CPU.setdefault(("bare-chain",), []).append(c1 - c0)
            CPU.setdefault(("bare-fanout",), []).append(children_cpu() - c1)
            for kind in ("fresh", "aged"):
                for tree in trees:
                    home = homes[(kind, tree.label)]
                    add((kind, tree.label, "hello"), tree.wfexec(home, "submit", str(files["hello"]), "--wait"))
                    add((kind, tree.label, "chain"), tree.wfexec(home, "submit", str(files["chain"]), "--wait",
                                                                  cpu_key=(kind, tree.label, "chain")))
                    add((kind, tree.label, "fanout"), tree.wfexec(home, "submit", str(files["fanout"]), "--wait",
                                                                   cpu_key=(kind, tree.label, "fanout")))
                    add((kind, tree.label, "lint"), tree.wfexec(home, "lint", str(files["lint"])))
            print(f"round {r} done; load average {os.getloadavg()[0]:.1f}", flush=True)
        if args.items:
            for kind in ("fresh", "aged"):
                for tree in trees:
                    home = homes[(kind, tree.label)]
                    add((kind, tree.label, "items"), tree.wfexec(home, "submit", str(files["items"]), "--wait"))
                    add((kind, tree.label, "bare-items"),
                        tree.bare_pods(home, args.items, 16, pod_dir_place(tree, home)))
        py, bw = med(s[("python",)]), med(s[("bwrap",)])
        floor = py + bw
        bare_chain, bare_fan = med(s[("bare-chain",)]), med(s[("bare-fanout",)])
        bare_rate = args.fanout / bare_fan
        print(f"\nbaselines (medians of {args.rounds}): python -c pass {py * 1000:.0f} ms, bwrap … true "
              f"{bw * 1000:.1f} ms; {args.chain} bwraps one at a time {bare_chain / args.chain * 1000:.2f} ms each; "
              f"{args.fanout} bwraps 2 at a time {bare_rate:.0f}/s; load average {os.getloadavg()[0]:.1f}")
        for kind in ("fresh", "aged"):
            for tree in trees:
                hello, ch, fan, lint = (med(s[(kind, tree.label, w)]) for w in ("hello", "chain", "fanout", "lint"))
                print(f"[{kind} home, {tree.label}] hello --wait {hello * 1000:.0f} ms ({hello / floor:.1f}x python+bwrap;"
                      f" target <= 300 ms, <= 3x) | chain {args.chain}: {ch:.2f} s, "
                      f"{(ch - bare_chain) / args.chain * 1000:.2f} ms/step over bare (target <= 5) | "
                      f"fan-out {args.fanout}: {args.fanout / fan:.0f} steps/s, {args.fanout / fan / bare_rate:.2f}x bare "
                      f"(targets >= 250, >= 0.7x) | lint {args.lint_steps} steps {lint * 1000:.0f} ms (target <= 200)")
                if PERF:
                    cc, cf = med(CPU[(kind, tree.label, "chain")]), med(CPU[(kind, tree.label, "fanout")])
                    bc, bf = med(CPU[("bare-chain",)]), med(CPU[("bare-fanout",)])
                    print(f"    CPU, all processes: chain {cc / args.chain * 1000:.2f} ms/step against "
                          f"{bc / args.chain * 1000:.2f} of a bare bwrap ({cc / bc:.2f}x) | fan-out "
                          f"{cf / args.fanout * 1000:.2f} ms/step against {bf / args.fanout * 1000:.2f} ({cf / bf:.2f}x)")
                if args.items:
                    it, bare_it = med(s[(kind, tree.label, "items")]), med(s[(kind, tree.label, "bare-items")])
                    print(f"    withItems {args.items}, parallelism 300: {it:.1f} s against {bare_it:.1f} s of bare pods:"
                          f" {(it - bare_it) / args.items * 1000:.2f} ms/node (target <= 1 on tmpfs, <= 2 aged)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
