"""`logs -f` under the docker executor shows lines while the step runs: Docker's log is streamed into the pod's
combined log and its times as they come, and the end adds only what was not yet there (no line lost or doubled)."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import requests

from tests.cli.helpers import WFEXEC, env_for, wfexec
from tests.runtime_docker.test_engine_on_docker import config_file  # noqa: F401 - a fixture
from tests.server.conftest import make_server
from wfexec.emissary.layout import TIMES_SUFFIX
from wfexec.engine.log_lines import LogCursor, parse_rfc3339
from wfexec.engine.pod_dirs import scratch_root
from wfexec.executors.docker_logs import complete_log, record

WF = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: live-}\nspec:\n"
      "  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: busybox\n"
      "      command: [sh, -c, 'echo one; sleep 0.3; echo two >&2; sleep 8; printf three']\n")


def _phase(name: str, home: Path) -> str:
    return json.loads(wfexec("get", name, "-o", "json", home=home, check=True).stdout)["status"]["phase"]


def test_follow_shows_lines_while_the_step_runs(tmp_path: Path, config_file: str) -> None:  # noqa: F811
    home = tmp_path / "home"
    path = tmp_path / "live.yaml"
    path.write_text(WF)
    name = wfexec("submit", str(path), "--runtime", "docker", "--executor", "docker", "--config", config_file,
                  "-o", "name", home=home, check=True).stdout.strip()
    srv = make_server(home).start()  # the server's follow, over the same home
    served: list[tuple[str, str]] = []  # (line, the run's phase when it came)

    def server_follow() -> None:
        with requests.get(f"{srv.url}/api/v1/workflows/default/{name}/log", params={"logOptions.follow": "true"},
                          stream=True, timeout=60) as resp:
            for line in resp.iter_lines():
                if line:
                    phase = requests.get(f"{srv.url}/api/v1/workflows/default/{name}", timeout=30).json()
                    served.append((json.loads(line)["result"]["content"], phase["status"]["phase"]))

    reader = threading.Thread(target=server_follow, daemon=True)
    reader.start()
    follow = subprocess.Popen([*WFEXEC, "logs", "-f", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env_for(home))
    try:
        assert follow.stdout is not None
        first = [follow.stdout.readline(), follow.stdout.readline()]
        first = [line.split(": ", 1)[1].rstrip("\n") for line in first]
        assert sorted(first) == ["one", "two"]  # stdout and stderr: Docker keeps their order only roughly
        assert _phase(name, home) == "Running"  # shown before the step ended, not from the log kept at its end
        live = [f for root in (home, scratch_root(home)) if root for f in root.rglob("ctr/main/combined")]
        assert len(live) == 1 and b"three" not in live[0].read_bytes()  # written as it came, not all at the end
        rest, errors = follow.communicate(timeout=120)
    finally:
        follow.kill()
        reader.join(60)
        srv.stop()
    assert follow.returncode == 0, errors
    assert sorted(served[:2]) == [("one", "Running"), ("two", "Running")]  # the server's follow is live too
    assert [line for line, _ in served[2:]] == ["three"]
    assert [line.split(": ", 1)[1] for line in rest.splitlines()] == ["three"]  # each line once
    assert _phase(name, home) == "Succeeded"
    shown = wfexec("logs", name, "--timestamps", home=home, check=True).stdout.splitlines()
    parts = [line.split(": ", 1)[1].split(" ", 1) for line in shown]  # "<pod>: <time> <text>"
    assert [text for _, text in parts] == [*first, "three"]  # in the order -f showed them
    stamps = [parse_rfc3339(stamp) for stamp, _ in parts]
    assert stamps[2] > max(stamps[:2])  # three came seconds later; each line its own time


def test_the_end_adds_only_what_the_stream_had_not_written(tmp_path: Path) -> None:
    log = tmp_path / "combined"
    log.write_bytes(b"one\ntw")  # a follower stopped in the middle of a line
    (tmp_path / f"combined{TIMES_SUFFIX}").write_bytes(record(0, 10) + record(4, 20))
    complete_log(str(log), b"one\ntwo\nthree\n", record(0, 10) + record(4, 20) + record(8, 30))
    lines, _ = LogCursor().read(log, flush=True)
    assert [(line.text, line.time_ns) for line in lines] == [("one", 10), ("two", 20), ("three", 30)]
    complete_log(str(log), b"one\ntwo\nthree\n", b"")  # nothing new: nothing added
    assert log.read_bytes() == b"one\ntwo\nthree\n"
    complete_log(str(log), b"other\n", record(0, 5))  # not its start: written anew with its own times
    lines, _ = LogCursor().read(log, flush=True)
    assert [(line.text, line.time_ns) for line in lines] == [("other", 5)]
    complete_log(str(tmp_path / "new"), b"a\n", b"")
    assert (tmp_path / "new").read_bytes() == b"a\n" and not (tmp_path / f"new{TIMES_SUFFIX}").exists()


def test_a_follower_is_cut_at_the_limit_as_the_kept_log(tmp_path: Path, config_file: str) -> None:  # noqa: F811
    """A log past its limit: the live writer stops where the kept one does, with the same notice, once."""
    from tests.support.runs import run_workflow
    from wfexec.engine import api

    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "cut-"},
          "spec": {"entrypoint": "c", "templates": [{"name": "c", "container": {
              "image": "busybox", "command": ["sh", "-c", "for i in 1 2 3 4 5 6; do echo line-$i; done"]}}]}}
    run = run_workflow(wf, runtime="docker", executor="docker", config=config_file, max_output_bytes=20)
    assert run.phase == "Succeeded", run.message
    kept = api.run_dir(run.name) / "logs" / run.pods()[0]["id"] / "main.log"
    assert kept.read_bytes() == b"line-1\nline-2\nline-3\n[output cut: more than 20 bytes; the rest was not kept]\n"


_ENGINE_DIES_AFTER_FIRST_LINE = r"""
import json, os, sys, time
from pathlib import Path
from wfexec.pod import ContainerPlan, PodPlan
from wfexec.runtimes.docker.backend import DockerBackend
spec = json.loads(sys.argv[1])
pod = PodPlan(run_id=spec["run_id"], node_id="node-1", pod_name="pod-1", argo_dir=Path(spec["argo_dir"]),
              containers=[ContainerPlan("main", image=spec["image"], command=["sh", "-c"], args=[spec["script"]])],
              template=spec["template"])
DockerBackend(None, executor="docker").start(pod, lambda r: None)
log, end = Path(spec["argo_dir"]) / "ctr" / "main" / "combined", time.monotonic() + 30
while not (log.exists() and log.read_bytes() == b"before\n") and time.monotonic() < end:
    time.sleep(0.02)
print(log.read_bytes().decode(), end="", flush=True)
os._exit(0)  # the engine dies with its follower: the container runs on
"""


def test_a_reattached_engine_goes_on_from_where_the_log_ends(backends, images, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.runtime_docker.conftest import Waiter, make_pod
    from tests.support.waiting import wait_for
    from wfexec.pod import ContainerPlan

    script = "echo before; sleep 1; echo middle; sleep 4; echo after"
    pod = make_pod(tmp_path, [ContainerPlan("main", image="busybox", command=["sh", "-c"], args=[script])])
    spec = {"run_id": pod.run_id, "argo_dir": str(pod.argo_dir), "image": images["busybox"], "script": script,
            "template": pod.template}
    proc = subprocess.run([sys.executable, "-c", _ENGINE_DIES_AFTER_FIRST_LINE, json.dumps(spec)],
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout == "before\n", proc.stderr
    waiter = Waiter()
    assert backends["docker"].reattach(pod, waiter) is not None
    log = pod.argo_dir / "ctr" / "main" / "combined"
    wait_for(lambda: log.read_bytes() == b"before\nmiddle\n", 20, "middle, live after the reattach")
    assert not waiter.done.is_set()
    assert waiter.result(30).phase == "Succeeded"
    assert log.read_bytes() == b"before\nmiddle\nafter\n"  # the dead engine's line is not written again
    lines, _ = LogCursor().read(log, flush=True)
    assert [line.text for line in lines] == ["before", "middle", "after"]
    assert (log.parent / f"combined{TIMES_SUFFIX}").stat().st_size == 3 * 16  # one time per line
