"""`wfexec server` against the CLI and against itself, each baseline measured in the same run.

- hello-world, create → Succeeded: a client POSTs the workflow and reads the watch stream until the run
  Succeeded (client already running) vs `wfexec submit --wait` of the same file (the whole command);
  target: API ≤ 1.2× CLI.
- list of 10,000 stored runs (3 nodes each), with the Argo UI's `fields=` projection vs without;
  target: projected ≤ 200 ms.
- a node change (written to the store as the engine's journal writes it) → the change on a watcher's
  HTTP stream; target: ≤ 50 ms median. Baseline: the same change seen by a client polling GET every 1 s.
- 100 concurrent creates: all accepted, and all Succeeded, vs 100 `wfexec submit` (no --wait) commands,
  10 at a time.

Run: .venv/bin/python bench/server_api.py [--hello 5] [--runs 10000] [--changes 40] [--creates 100]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

HELLO = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "hello-"},
         "spec": {"entrypoint": "main", "templates": [
             {"name": "main", "container": {"image": "busybox", "command": ["echo", "hello world"]}}]}}
UI_FIELDS = ("metadata,items.metadata.uid,items.metadata.name,items.metadata.namespace,"
             "items.metadata.creationTimestamp,items.metadata.labels,items.metadata.annotations,items.status.phase,"
             "items.status.message,items.status.finishedAt,items.status.startedAt,items.status.estimatedDuration,"
             "items.spec.suspend")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cpu_ms = (0.0, 0.0)
        self.env = {**os.environ, "WFEXEC_HOME": str(home)}
        self.proc = subprocess.Popen([sys.executable, "-m", "wfexec.cli.main", "server", "--port", str(self.port)],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                requests.get(self.url + "/api/v1/version", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def median_ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


# -- 1. hello-world ---------------------------------------------------------------------------------
def api_hello(srv: Server) -> float:
    t0 = time.perf_counter()
    r = requests.post(f"{srv.url}/api/v1/workflows/default", json={"workflow": HELLO}, timeout=30)
    name = r.json()["metadata"]["name"]
    with requests.get(f"{srv.url}/api/v1/workflow-events/default", stream=True, timeout=60,
                      params={"listOptions.fieldSelector": f"metadata.name={name}",
                              "fields": "result.type,result.object.status.phase"}) as stream:
        for line in stream.iter_lines():
            if line and json.loads(line)["result"]["object"].get("status", {}).get("phase") == "Succeeded":
                return time.perf_counter() - t0
    raise SystemExit(f"{name} did not succeed")


def cli_hello(env: dict[str, str], file: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wfexec.cli.main", "submit", str(file), "--wait", "-o", "name"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


# -- 2. list of 10,000 ------------------------------------------------------------------------------
def fill_store(home: Path, n: int) -> None:
    os.environ["WFEXEC_HOME"] = str(home)
    from wfexec.engine import api
    from wfexec.engine.store import Store

    store = Store()
    for i in range(n):
        rec = api.create_run(store, HELLO, api.SubmitOptions(name=f"listed-{i:05d}",
                                                               labels={"bench": "list", "i": str(i % 7)}))
        nodes = [{"id": rec.name, "name": rec.name, "displayName": rec.name, "type": "Steps", "phase": "Succeeded",
                  "children": [f"{rec.name}-1", f"{rec.name}-2"]}]
        nodes += [{"id": f"{rec.name}-{k}", "name": f"{rec.name}[0].s{k}", "displayName": f"s{k}", "type": "Pod",
                   "phase": "Succeeded", "outputs": {"result": "hello world", "exitCode": "0"},
                   "templateName": "main", "startedAt": rec.created_at, "finishedAt": rec.created_at}
                  for k in (1, 2)]
        store.put_nodes(rec.name, nodes)
        store.update_run(rec.name, phase="Succeeded", started_at=rec.created_at, finished_at=rec.created_at)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (the server's work, whatever the machine's load)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_list(srv: Server, fields: str | None, repeat: int) -> tuple[float, float, int, int]:
    """(first request, median of the rest) in ms, body size, item count; also the server's CPU per request."""
    times, size, count = [], 0, 0
    cpu0 = cpu_seconds(srv.proc.pid)
    for i in range(repeat + 1):
        if i == 1:
            cpu1 = cpu_seconds(srv.proc.pid)
        t0 = time.perf_counter()
        r = requests.get(f"{srv.url}/api/v1/workflows/default", params={"fields": fields} if fields else {},
                         timeout=120)
        times.append(time.perf_counter() - t0)
        size, count = len(r.content), len(r.json()["items"])
    cpu2 = cpu_seconds(srv.proc.pid)
    if not repeat:
        cpu1 = cpu2
    srv.cpu_ms = ((cpu1 - cpu0) * 1000, (cpu2 - cpu1) * 1000 / repeat if repeat else 0.0)
    return times[0] * 1000, median_ms(times[1:]) if repeat else 0.0, size, count


# -- 3. node change → watcher -----------------------------------------------------------------------
def watch_latency(srv: Server, changes: int) -> tuple[list[float], list[float]]:
    os.environ["WFEXEC_HOME"] = str(srv.home)
    from wfexec.engine import api
    from wfexec.engine.store import Store

    store = Store()
    rec = api.create_run(store, HELLO, api.SubmitOptions(name="watch-bench"))
    store.update_run(rec.name, phase="Running", started_at=rec.created_at)
    seen: dict[int, float] = {}
    ready = threading.Event()

    def watcher() -> None:
        with requests.get(f"{srv.url}/api/v1/workflow-events/default", stream=True, timeout=120,
                          params={"listOptions.fieldSelector": "metadata.name=watch-bench"}) as stream:
            ready.set()
            for line in stream.iter_lines():
                if not line:
                    continue
                nodes = json.loads(line)["result"]["object"].get("status", {}).get("nodes") or {}
                for n in nodes.values():
                    k = int(n["displayName"][1:])
                    if k not in seen:
                        seen[k] = time.perf_counter()
                if len(seen) >= changes:
                    return

    t = threading.Thread(target=watcher, daemon=True)
    t.start()
    ready.wait(10)
    time.sleep(0.5)
    written: dict[int, float] = {}
    for k in range(changes):
        written[k] = time.perf_counter()
        store.put_nodes(rec.name, [{"id": f"watch-bench-{k}", "name": f"watch-bench.n{k}", "displayName": f"n{k}",
                                    "type": "Pod", "phase": "Running"}])
        time.sleep(0.1)
    t.join(10)
    lat = [seen[k] - written[k] for k in written if k in seen]
    # baseline: a client polling GET once a second sees a change on average half a second late
    polled = []
    for k in range(5):
        nid = f"watch-bench-p{k}"
        time.sleep(0.37 * k % 1)
        t0 = time.perf_counter()
        store.put_nodes(rec.name, [{"id": nid, "name": nid, "displayName": f"p{k}", "type": "Pod", "phase": "Running"}])
        next_poll = (int(time.perf_counter()) + 1)
        while True:
            time.sleep(max(0.0, next_poll - time.perf_counter()))
            wf = requests.get(f"{srv.url}/api/v1/workflows/default/watch-bench", timeout=10).json()
            if nid in wf["status"]["nodes"]:
                polled.append(time.perf_counter() - t0)
                break
            next_poll += 1
    store.update_run(rec.name, phase="Succeeded", finished_at=rec.created_at)
    return lat, polled


# -- 4. concurrent creates --------------------------------------------------------------------------
def wait_all(srv: Server, names: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        items = requests.get(f"{srv.url}/api/v1/workflows/default",
                             params={"fields": "items.metadata.name,items.status.phase"}, timeout=60).json()["items"]
        done = {i["metadata"]["name"] for i in items if i["status"]["phase"] not in ("Pending", "Running")}
        pending -= done
        time.sleep(0.2)
    if pending:
        raise SystemExit(f"{len(pending)} runs did not finish")


def api_creates(srv: Server, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()

    def one(_: int) -> str:
        r = requests.post(f"{srv.url}/api/v1/workflows/default", json={"workflow": HELLO}, timeout=120)
        r.raise_for_status()
        return r.json()["metadata"]["name"]

    with ThreadPoolExecutor(n) as pool:
        names = list(pool.map(one, range(n)))
    accepted = time.perf_counter() - t0
    wait_all(srv, names)
    return accepted, time.perf_counter() - t0


def cli_creates(srv: Server, file: Path, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()

    def one(_: int) -> str:
        out = subprocess.run([sys.executable, "-m", "wfexec.cli.main", "submit", str(file), "-o", "name"],
                             env=srv.env, check=True, capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    with ThreadPoolExecutor(10) as pool:
        names = list(pool.map(one, range(n)))
    accepted = time.perf_counter() - t0
    wait_all(srv, names)
    return accepted, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hello", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=40)
    ap.add_argument("--creates", type=int, default=100)
    ap.add_argument("--parts", default="hello,watch,list,creates", help="which parts to run")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    print(f"(load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    root = Path(tempfile.mkdtemp(prefix="wfexec-bench-server-"))
    file = root / "hello.json"
    file.write_text(json.dumps(HELLO))

    srv = Server(root / "hello")
    if "hello" in parts:
        hello_part(srv, file, args.hello)
    if "watch" in parts:
        lat, polled = watch_latency(srv, args.changes)
        print(f"node change → watcher: median {median_ms(lat):.1f} ms,"
              f" p90 {sorted(lat)[int(len(lat) * .9)] * 1000:.1f} ms over {len(lat)} changes (target ≤ 50 ms);"
              f" baseline 1 s polling: median {median_ms(polled):.0f} ms")
    srv.stop()
    if "list" in parts:
        list_part(root / "list", args.runs)
    if "creates" in parts:
        creates_part(root / "creates", file, args.creates)


def hello_part(srv: Server, file: Path, n: int) -> None:
    api_hello(srv)  # warm: the first run pays for the runtime check
    subprocess.run([sys.executable, "-m", "wfexec.cli.main", "submit", str(file), "--wait", "-o", "name"],
                   env=srv.env, check=True, stdout=subprocess.DEVNULL)
    api_t, cli_t = [], []
    for _ in range(n):
        api_t.append(api_hello(srv))
        cli_t.append(cli_hello(srv.env, file))
    a, c = median_ms(api_t), median_ms(cli_t)
    print(f"hello-world create→Succeeded: API {a:.0f} ms, CLI submit --wait {c:.0f} ms,"
          f" ratio {a / c:.2f} (target ≤ 1.2)")


def list_part(home: Path, runs: int) -> None:
    t0 = time.perf_counter()
    fill_store(home, runs)
    print(f"(stored {runs} runs in {time.perf_counter() - t0:.1f} s)")
    srv = Server(home)
    slim_first, slim_ms, slim_size, count = time_list(srv, UI_FIELDS, 5)
    slim_cpu = srv.cpu_ms
    full_first, full_ms, full_size, _ = time_list(srv, None, 2)
    print(f"list of {count} runs: with the UI's fields= {slim_ms:.0f} ms median, {slim_first:.0f} ms the first time"
          f" ({slim_size / 1e6:.1f} MB); without {full_ms:.0f} ms ({full_first:.0f} first; {full_size / 1e6:.1f} MB);"
          f" ratio {full_ms / slim_ms:.1f}x (target ≤ 200 ms); server CPU per projected list:"
          f" {slim_cpu[0]:.0f} ms the first time, {slim_cpu[1]:.0f} ms after")
    from wfexec.engine.store import Store

    Store(home / "runs.db").update_run("listed-00001", message="touched")  # one run changes
    changed_first, _, _, _ = time_list(srv, UI_FIELDS, 0)
    print(f"  after one run changed (whole-body cache void, the other items kept): {changed_first:.0f} ms,"
          f" server CPU {srv.cpu_ms[0]:.0f} ms")
    srv.stop()


def creates_part(home: Path, file: Path, n: int) -> None:
    srv = Server(home)
    api_creates(srv, 2)
    acc, fin = api_creates(srv, n)
    cacc, cfin = cli_creates(srv, file, n)
    print(f"{n} concurrent creates: API all accepted {acc:.1f} s, all Succeeded {fin:.1f} s;"
          f" CLI `submit` x{n} (10 at a time) all returned {cacc:.1f} s, all Succeeded {cfin:.1f} s;"
          f" ratio {fin / cfin:.2f}")
    srv.stop()


if __name__ == "__main__":
    main()
