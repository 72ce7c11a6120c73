"""The whole command, as a user runs it (process start to exit), against bare spawns in the same run.

Figures (each the median of --rounds interleaved runs; every baseline measured in the same round):
- `wfexec submit hello-world.yaml --wait` against `python3 -c pass` plus one bare `bwrap … true`,
  wall time and the CPU time of every process the command started (the detached engine, its fork
  server and pods included: this process is their subreaper), the latter steady on a busy machine;
- `wfexec --help`, `list` and `get @latest` (wall and CPU) against `python3 -c pass`;
- a chain of 200 steps through `submit --wait`: overhead per step over 200 sequential bare bwraps;
- a 1,000-wide fan-out through `submit --wait`: steps/s against bare bwraps run 2 at a time;
- `wfexec lint` of a 1,000-step workflow: the same file each round (its schema check remembered from
  the round before), and a new document each round (checked afresh);
- a 5,000-item withItems (parallelism 300) through `submit --wait`: ms/node over the same number of
  bare pods through the host backend, as many at a time as the engine runs (--items 0 skips it);
- `warm`: hello, `list` and `get @latest` again, with the home's warm engine running (`wfexec engine
  start`; a tree without one is left out). Every other figure runs with WFEXEC_WARM=off.
- `auto`: on a home beside each one, with no engine running, hello with WFEXEC_WARM=on (the first
  command, which starts the warm engine behind it, as one typed at a terminal does), how long after
  it the engine answers, and hello again (the second command); the engine is stopped each round.

Each command runs as the `wfexec` program pip writes does (a script that imports `wfexec.cli.entry`,
or `wfexec.cli.main` in a tree older than it).

Each runs on two homes: one made fresh, and one "aged": by default a home that has run 20,000
pods (fan-outs of --age-batch through `submit --wait` with the current tree, then copied for the
other tree, so both start from the same store, logs and disk), or with --aged-with dirs, a home
made after creating and deleting that many pod-like directories on its disk (faster; ext4 then
skips recently freed inodes, docs/scale.md), or with --aged-with runs, a home whose store holds that
many ended runs (each tree's stored through its own code, so each has its own schema). With --compare REF the tree at git REF runs too (its sources on PYTHONPATH), interleaved, so before and
after meet the same load. Homes live under --base (default /var/tmp: a disk, not a tmpfs).

--only picks figures (hello,cli,chain,fanout,lint,items,warm,auto), --homes the homes (fresh,aged).

Run: .venv/bin/python bench/whole_command.py [--rounds 3] [--compare 9fdba46] [--items 5000]
     .venv/bin/python bench/whole_command.py --only hello,cli --homes fresh --rounds 15 --compare main
"""

from __future__ import annotations

import argparse
import ctypes
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ADDRESSES: dict[Path, Any] = {}  # each tree's warm/address.py, loaded on its own
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


FIGURES = ("hello", "cli", "chain", "fanout", "lint", "items", "warm", "auto")
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Processes a command leaves behind (its detached engine) become this process's children when
    their parent exits, so their CPU time can be counted when they end."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


#: Warm engines (they outlive every command, and count their commands' CPU themselves).
WARM_PIDS: set[int] = set()


def children() -> set[int]:
    """This process's children, zombies included."""
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            found.update(int(p) for p in fh.read().split())
    return found


def reap_all(timeout: float = 30.0) -> None:
    """Wait for every process the last command left behind (engines end with their run)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = children() - WARM_PIDS
        if not left:
            return
        if not any(os.waitpid(pid, os.WNOHANG)[0] for pid in left):
            time.sleep(0.005)
    print("warning: processes left running; their CPU time is not counted", file=sys.stderr)


def cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed_cpu(cmd: list[str], env: dict[str, str] | None = None,
              settle: Callable[[], None] | None = None) -> tuple[float, float]:
    """(wall seconds of the command, CPU seconds of it and of every process it started); `settle`: what to
    wait for after the command before its processes are reaped."""
    before = cpu_children()
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    if settle is not None:
        settle()
    reap_all()
    return wall, cpu_children() - before


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    return timed_cpu(cmd, env)[0]


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


AGE_WITH_RUNS = """
import sys
from wfexec.engine import api
from wfexec.engine.store import Store
store = Store()
wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "earlier-"},
      "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox"}}]}}
for i in range(int(sys.argv[1])):
    name = api.create_run(store, wf, api.SubmitOptions(name=f"earlier-{i:06d}")).name
    at = f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
    store.update_run(name, phase="Succeeded", started_at=at, finished_at=at)
"""


def age_with_runs(tree: Tree, home: Path, count: int) -> None:
    """Store `count` ended runs in `home` through `tree`'s own code (its store's schema and indexes)."""
    subprocess.run([sys.executable, "-c", AGE_WITH_RUNS, str(count)], env=tree.env(home), check=True)


class Tree:
    """One source tree of wfexec: how to run its CLI, with a home."""

    def __init__(self, label: str, src: Path | None, pycache: Path) -> None:
        self.label, self.src, self.pycache = label, src, pycache

    @property
    def has_warm(self) -> bool:
        return ((self.src or REPO / "src") / "wfexec" / "cli" / "entry.py").is_file()

    def env(self, home: Path, warm: bool = False) -> dict[str, str]:
        env = dict(os.environ, WFEXEC_HOME=str(home), PYTHONPYCACHEPREFIX=str(self.pycache / self.label))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte code cached, as an installed package has it
        if not warm:
            env["WFEXEC_WARM"] = "off"
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        return env

    def wfexec(self, home: Path, *args: str) -> float:
        return self.wfexec_cpu(home, *args)[0]

    @property
    def has_auto(self) -> bool:
        """Whether a command of this tree starts a warm engine behind it."""
        client = (self.src or REPO / "src") / "wfexec" / "warm" / "client.py"
        return client.is_file() and "def start_behind" in client.read_text()

    def auto_round(self, home: Path, hello: Path) -> tuple[float, float, float]:
        """(the first command, which starts the engine behind it; from its end until the engine answers;
        the second command, served by that engine). The engine is stopped and reaped after."""
        env = dict(self.env(home, warm=True), WFEXEC_WARM="on")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(self.program), "submit", str(hello), "--wait"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        first = time.perf_counter() - t0
        while self.ask(home, "status") is None:
            if time.perf_counter() - t0 > 60:
                raise SystemExit(f"no warm engine answered for {home} a minute after its first command")
            time.sleep(0.002)
        answered = time.perf_counter() - t0 - first
        self.warm_cpu(home)  # its pid, left out of reap_all
        reap_all()
        second = self.wfexec_cpu(home, "submit", str(hello), "--wait", warm=True)[0]
        answer = self.ask(home, "stop") or ""
        pid = int(answer.split()[1])
        os.waitpid(pid, 0)  # a child of this subreaper since its first command ended
        WARM_PIDS.discard(pid)
        return first, answered, second

    def ask(self, home: Path, kind: str) -> str | None:
        """A management request (`status`, `stop`) to this tree's warm engine, at the name this tree's
        code gives it (trees have named it differently), in the framing every tree speaks."""
        import importlib.util
        import socket

        path = (self.src or REPO / "src") / "wfexec" / "warm" / "address.py"
        address = ADDRESSES.get(path)
        if address is None:
            spec = importlib.util.spec_from_file_location(f"address_{self.label}", path)
            assert spec is not None and spec.loader is not None
            address = ADDRESSES[path] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(address)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(address.socket_name(os.path.realpath(home)))
                sock.sendall(address.frame([kind.encode()]))
                line = sock.makefile("rb").readline()
            except OSError:
                return None
        return line.decode(errors="replace").strip() or None

    @property
    def program(self) -> Path:
        """What pip writes as the `wfexec` program of this tree (python -m would add runpy's imports)."""
        path = self.pycache / f"wfexec-{self.label}"
        if not path.exists():
            module = "wfexec.cli.entry" if self.has_warm else "wfexec.cli.main"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"import sys\nfrom {module} import entry\nif __name__ == '__main__':\n    sys.exit(entry())\n")
        return path

    def wfexec_cpu(self, home: Path, *args: str, warm: bool = False) -> tuple[float, float]:
        before = self.warm_cpu(home) if warm else 0.0
        # The caller exits once told the status, which may be before the warm engine has reaped the command,
        # and the command's run engine is its child until then: both are counted once it has.
        wall, cpu = timed_cpu([sys.executable, str(self.program), *args], self.env(home, warm),
                              settle=(lambda: self.settled(home)) if warm else None)
        # the command ran in a fork of the warm engine, not in a child of this process: its CPU (and the
        # engine's own) is what the engine counts
        return wall, cpu + (self.warm_cpu(home) - before if warm else 0.0)

    def settled(self, home: Path) -> None:
        """Until this tree's warm engine runs no command (it has reaped the last one)."""
        end = time.monotonic() + 10
        while " running=0 " not in f"{self.ask(home, 'status')} " and time.monotonic() < end:
            time.sleep(0.001)

    def warm_cpu(self, home: Path) -> float:
        answer = self.ask(home, "status")
        if answer is None:  # its sources changed (it then stops), or it died: what follows would run cold
            raise SystemExit(f"the warm engine of {home} stopped during the bench (was a source file changed?)")
        fields = dict(part.split("=", 1) for part in answer.split()[1:] if "=" in part)
        WARM_PIDS.add(int(fields.get("pid", 0)))
        return float(fields.get("cpu", 0)) + float(fields.get("commands_cpu", 0))

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
    ap.add_argument("--only", default=",".join(FIGURES), help=f"figures to measure, of {','.join(FIGURES)}")
    ap.add_argument("--homes", default="fresh,aged", help="homes to measure on: fresh, aged or both")
    ap.add_argument("--chain", type=int, default=200)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--lint-steps", type=int, default=1000)
    ap.add_argument("--items", type=int, default=5000, help="withItems size (0: skip)")
    ap.add_argument("--aged", type=int, default=20000, help="pods run on the aged home (or directories: --aged-with)")
    ap.add_argument("--aged-with", choices=("pods", "dirs", "runs"), default="pods",
                    help="age the home by running pods (as a user would), by making and deleting directories, "
                         "or by storing that many ended runs (each tree through its own code)")
    ap.add_argument("--age-batch", type=int, default=2000, help="the size of each aging fan-out")
    ap.add_argument("--base", default="/var/tmp", help="where the homes are made (a disk)")
    args = ap.parse_args()
    only = [f for f in args.only.split(",") if f]
    kinds = [k for k in args.homes.split(",") if k]
    if set(only) - set(FIGURES) or not only or set(kinds) - {"fresh", "aged"} or not kinds:
        ap.error(f"--only takes some of {','.join(FIGURES)}; --homes some of fresh,aged")
    if "items" in only and not args.items:
        only.remove("items")
    reaping = become_subreaper()
    tmp = Path(tempfile.mkdtemp(prefix="wfexec-bench-whole-", dir=args.base))
    try:
        trees = [Tree(args.now, export_tree(args.now, tmp / "now"), tmp / "pycache") if args.now
                 else Tree("now", None, tmp / "pycache")]
        if args.compare:
            trees.append(Tree(args.compare, export_tree(args.compare, tmp / "tree"), tmp / "pycache"))
        files = {}
        for label, wf in (("chain", chain(args.chain)), ("fanout", fanout(args.fanout)),
                          ("lint", chain(args.lint_steps)), ("items", items(args.items) if args.items else None)):
            if wf is not None and label in only:
                files[label] = tmp / f"{label}.json"
                files[label].write_text(json.dumps(wf))
        files["hello"] = REPO / "examples" / "hello-world.yaml"
        homes = {}
        for tree in trees:
            homes[("fresh", tree.label)] = tmp / f"home-fresh-{tree.label}"
            homes[("fresh", tree.label)].mkdir()
        if "aged" in kinds and args.aged_with == "dirs":
            t0 = time.perf_counter()
            age(tmp / "aging", args.aged)  # the inode allocator is the file system's: one churn ages every home after it
            for tree in trees:
                homes[("aged", tree.label)] = tmp / "aging" / f"home-aged-{tree.label}"
                homes[("aged", tree.label)].mkdir(parents=True)
            print(f"aged homes: {args.aged} pod-like directories made and deleted before they were made "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        elif "aged" in kinds and args.aged_with == "runs":
            t0 = time.perf_counter()
            for tree in trees:
                homes[("aged", tree.label)] = tmp / f"home-aged-{tree.label}"
                age_with_runs(tree, homes[("aged", tree.label)], args.aged)
            print(f"aged homes: {args.aged} ended runs stored in each ({time.perf_counter() - t0:.0f} s)", flush=True)
        elif "aged" in kinds:
            t0 = time.perf_counter()
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
        for tree in trees:  # warm: byte code written, first-run costs paid; `get @latest` has a run to show
            for kind in kinds:
                tree.wfexec(homes[(kind, tree.label)], "submit", str(files["hello"]), "--wait")
        warm_trees = [t for t in trees if t.has_warm] if "warm" in only else []
        for tree in warm_trees:
            for kind in kinds:
                subprocess.run([sys.executable, "-m", "wfexec.cli.entry", "engine", "start", "--idle", "1h"],
                               env=tree.env(homes[(kind, tree.label)]), stdout=subprocess.DEVNULL, check=True)
                tree.warm_cpu(homes[(kind, tree.label)])  # its pid, left out of reap_all
        s: dict[tuple[str, ...], list[float]] = {}

        def add(key: tuple[str, ...], value: float) -> None:
            s.setdefault(key, []).append(value)

        def add_pair(key: tuple[str, ...], pair: tuple[float, float]) -> None:
            add((*key, "wall"), pair[0])
            add((*key, "cpu"), pair[1])

        cli = {"--help": ["--help"], "list": ["list"], "get": ["get", "@latest"]}
        for r in range(args.rounds):
            add_pair(("python",), timed_cpu([sys.executable, "-c", "pass"]))
            add_pair(("bwrap",), timed_cpu(BWRAP))
            if "chain" in only:
                c0 = cpu_children()
                add(("bare-chain",), bare_bwraps(args.chain, 1))
                add(("bare-chain", "cpu"), cpu_children() - c0)
            if "fanout" in only:
                c0 = cpu_children()
                add(("bare-fanout",), bare_bwraps(args.fanout, 2))
                add(("bare-fanout", "cpu"), cpu_children() - c0)
            for kind in kinds:
                for tree in trees:
                    home = homes[(kind, tree.label)]
                    if "hello" in only:
                        add_pair((kind, tree.label, "hello"),
                                 tree.wfexec_cpu(home, "submit", str(files["hello"]), "--wait"))
                    if "cli" in only:
                        for label, argv in cli.items():
                            add_pair((kind, tree.label, label), tree.wfexec_cpu(home, *argv))
                    if tree in warm_trees:
                        add_pair((kind, tree.label, "warm-hello"),
                                 tree.wfexec_cpu(home, "submit", str(files["hello"]), "--wait", warm=True))
                        for label in ("list", "get"):
                            add_pair((kind, tree.label, f"warm-{label}"), tree.wfexec_cpu(home, *cli[label], warm=True))
                    if "auto" in only and tree.has_auto:
                        auto_home = home.parent / f"{home.name}-auto"
                        auto_home.mkdir(exist_ok=True)
                        for label, value in zip(("first", "answered", "second"),
                                                tree.auto_round(auto_home, files["hello"]), strict=True):
                            add((kind, tree.label, f"auto-{label}"), value)
                    for w in ("chain", "fanout"):
                        if w in only:
                            wall, cpu = tree.wfexec_cpu(home, "submit", str(files[w]), "--wait")
                            add((kind, tree.label, w), wall)
                            add((kind, tree.label, w, "cpu"), cpu)
                    if "lint" in only:
                        add((kind, tree.label, "lint"), tree.wfexec(home, "lint", str(files["lint"])))
                        new = tmp / f"lint-new-{r}-{kind}-{tree.label}.json"  # another name: a document never seen
                        new.write_text(files["lint"].read_text().replace('"chain-"', f'"chain-{r}-{kind}-"'))
                        add((kind, tree.label, "lint-new"), tree.wfexec(home, "lint", str(new)))
            print(f"round {r} done; load average {os.getloadavg()[0]:.1f}", flush=True)
        if "items" in only:
            for kind in kinds:
                for tree in trees:
                    home = homes[(kind, tree.label)]
                    add((kind, tree.label, "items"), tree.wfexec(home, "submit", str(files["items"]), "--wait"))
                    add((kind, tree.label, "bare-items"),
                        tree.bare_pods(home, args.items, 16, pod_dir_place(tree, home)))
        for tree in warm_trees:
            for kind in kinds:
                subprocess.run([sys.executable, "-m", "wfexec.cli.entry", "engine", "stop"],
                               env=tree.env(homes[(kind, tree.label)]), stdout=subprocess.DEVNULL, check=True)
        report(s, args, only, kinds, trees, reaping)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(s: dict[tuple[str, ...], list[float]], args: argparse.Namespace, only: list[str], kinds: list[str],
           trees: list[Tree], reaping: bool) -> None:
    py, bw = med(s[("python", "wall")]), med(s[("bwrap", "wall")])
    py_cpu, bw_cpu = med(s[("python", "cpu")]), med(s[("bwrap", "cpu")])
    floor, floor_cpu = py + bw, py_cpu + bw_cpu
    line = (f"\nbaselines (medians of {args.rounds}): python -c pass {py * 1000:.0f} ms (CPU {py_cpu * 1000:.0f}), "
            f"bwrap … true {bw * 1000:.1f} ms (CPU {bw_cpu * 1000:.1f})")
    if "chain" in only:
        bare_chain = med(s[("bare-chain",)])
        line += f"; {args.chain} bwraps one at a time {bare_chain / args.chain * 1000:.2f} ms each"
    if "fanout" in only:
        bare_rate = args.fanout / med(s[("bare-fanout",)])
        line += f"; {args.fanout} bwraps 2 at a time {bare_rate:.0f}/s"
    print(f"{line}; load average {os.getloadavg()[0]:.1f}")
    if not reaping:
        print("(not a subreaper here: CPU figures count the command alone, not the engine it left running)")
    for kind in kinds:
        for tree in trees:
            parts = []
            if "hello" in only:
                w, c = med(s[(kind, tree.label, "hello", "wall")]), med(s[(kind, tree.label, "hello", "cpu")])
                parts.append(f"hello --wait {w * 1000:.0f} ms ({w / floor:.1f}x python+bwrap; target <= 300 ms, <= 3x)"
                             f", CPU of all its processes {c * 1000:.0f} ms ({c / floor_cpu:.1f}x)")
            if (kind, tree.label, "warm-hello", "wall") in s:
                w, c = med(s[(kind, tree.label, "warm-hello", "wall")]), med(s[(kind, tree.label, "warm-hello", "cpu")])
                parts.append(f"warm engine: hello --wait {w * 1000:.0f} ms ({w / floor:.1f}x python+bwrap; target "
                             f"<= 3x), CPU of all its processes {c * 1000:.0f} ms ({c / floor_cpu:.1f}x)")
                for label in ("list", "get"):
                    w, c = med(s[(kind, tree.label, f"warm-{label}", "wall")]), med(s[(kind, tree.label, f"warm-{label}", "cpu")])
                    parts.append(f"warm engine: {label} {w * 1000:.0f} ms ({w / py:.1f}x python), CPU {c * 1000:.0f} ms")
            if (kind, tree.label, "auto-first") in s:
                first, second = med(s[(kind, tree.label, "auto-first")]), med(s[(kind, tree.label, "auto-second")])
                parts.append(f"started behind the first command: hello --wait {first * 1000:.0f} ms "
                             f"({first / floor:.1f}x python+bwrap), the engine answering "
                             f"{med(s[(kind, tree.label, 'auto-answered')]) * 1000:.0f} ms after it, "
                             f"then hello --wait {second * 1000:.0f} ms ({second / floor:.1f}x; target <= 3x)")
            if "cli" in only:
                for label in ("--help", "list", "get"):
                    w, c = med(s[(kind, tree.label, label, "wall")]), med(s[(kind, tree.label, label, "cpu")])
                    parts.append(f"{label} {w * 1000:.0f} ms ({w / py:.1f}x python; target <= 150), "
                                 f"CPU {c * 1000:.0f} ms ({c / py_cpu:.1f}x)")
            if "chain" in only:
                ch = med(s[(kind, tree.label, "chain")])
                cc, bc = med(s[(kind, tree.label, "chain", "cpu")]), med(s[("bare-chain", "cpu")])
                parts.append(f"chain {args.chain}: {ch:.2f} s, {(ch - bare_chain) / args.chain * 1000:.2f} ms/step "
                             f"over bare (target <= 5); CPU of all processes {cc / args.chain * 1000:.2f} ms/step "
                             f"against {bc / args.chain * 1000:.2f} of a bare bwrap ({cc / bc:.2f}x)")
            if "fanout" in only:
                fan = med(s[(kind, tree.label, "fanout")])
                cf, bf = med(s[(kind, tree.label, "fanout", "cpu")]), med(s[("bare-fanout", "cpu")])
                parts.append(f"fan-out {args.fanout}: {args.fanout / fan:.0f} steps/s, "
                             f"{args.fanout / fan / bare_rate:.2f}x bare (targets >= 250, >= 0.7x); CPU of all "
                             f"processes {cf / args.fanout * 1000:.2f} ms/step against {bf / args.fanout * 1000:.2f} "
                             f"({cf / bf:.2f}x)")
            if "lint" in only:
                lint = med(s[(kind, tree.label, "lint")])
                fresh_doc = med(s[(kind, tree.label, "lint-new")])
                parts.append(f"lint {args.lint_steps} steps {lint * 1000:.0f} ms, a new document "
                             f"{fresh_doc * 1000:.0f} ms (target <= 200)")
            if "items" in only:
                it, bare_it = med(s[(kind, tree.label, "items")]), med(s[(kind, tree.label, "bare-items")])
                parts.append(f"withItems {args.items}, parallelism 300: {it:.1f} s against {bare_it:.1f} s of bare "
                             f"pods: {(it - bare_it) / args.items * 1000:.2f} ms/node (target <= 1 on tmpfs, <= 2 aged)")
            print(f"[{kind} home, {tree.label}]\n    " + "\n    ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
