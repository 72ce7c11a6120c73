"""Argo's own multi-container examples, through the real engine, on host and docker (both executors).

Images that cannot be pulled here are replaced by stand-ins with the same behaviour on the same
ports (tests/pods/images.py, tests/pods/standins/bin): influxdb:1.2 by a small InfluxDB 1.x HTTP
server, nginx by a web server on port 80, curlimages/curl and alpine by busybox plus the host's
curl (and an `apk` that finds curl present), argosay:v2 by a shell script. On the host runtime
the same programs are on PATH, and the config's `images:` index gives the commands of images
used without one (influxdb, argosay), as it does for Argo's emissary.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.pods.conftest import Leaks
from tests.support.runs import Finished, run_file
from wfexec.engine import api
from wfexec.runtimes.host import shims as host_shims

EX = CORPUS / "argo-examples"


def run(name: str, rt: tuple[str, str], configs: dict[str, str], leaks: Leaks, **kw: object) -> Finished:
    runtime, executor = rt
    done = run_file(EX / f"{name}.yaml", runtime=runtime, executor=executor, config=configs[runtime], **kw)
    leaks.assert_none(done.name)
    failed = [(n["displayName"], n.get("message")) for n in done.nodes.values() if n["phase"] != "Succeeded"]
    assert done.phase == "Succeeded", (done.message, failed)
    return done


def _points(text: str) -> list[list[object]]:
    series = json.loads(text)["results"][0]["series"]
    return [v for s in series for v in s["values"]]


@pytest.mark.parametrize("name", ["daemon-step", "dag-daemon-task"])
@pytest.mark.timeout(180)
def test_daemon_examples(name: str, rt: tuple[str, str], configs: dict[str, str], leaks: Leaks,
                         standins: Path) -> None:
    done = run(name, rt, configs, leaks, grace=3)
    influx = done.by_display("influx")
    assert influx["phase"] == "Succeeded" and not influx.get("daemoned")
    ip = influx["podIP"]
    if rt[0] == "host":
        assert ip == "127.0.0.1"
    else:  # the daemon container's own address on the bridge, which other containers reach
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip) and not ip.startswith("127.")
    consumer = done.by_display("consumer")
    assert consumer["startedAt"] <= influx["finishedAt"], "the daemon must run while later steps run"
    points = _points(done.log(consumer))
    per_host = {}
    for row in points:
        host = next(v for v in row if isinstance(v, str) and v.startswith("server0"))
        per_host[host] = per_host.get(host, 0) + 1
    loops = 10 if name == "daemon-step" else 20
    assert per_host == {"server01": loops, "server02": loops, "server03": 1}
    assert "influxd stand-in listening on :8086" in done.log(influx)  # the daemon's log is kept too


def test_sidecar_influxdb(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks, standins: Path) -> None:
    """Main reaches its sidecar on 127.0.0.1:8086 (on docker through the pod's shared network)."""
    done = run("sidecar", rt, configs, leaks)
    pod = done.pods()[0]
    assert "apk stand-in" in done.log(pod)
    side = done.log(pod, "influxdb")
    assert side.count("POST /write?db=mydb") == 20 and "POST /query" in side
    assert pod["outputs"]["exitCode"] == "0"


def test_sidecar_nginx(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks, standins: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`>& file` is busybox ash (the curl image's shell); on the host runtime, whose /bin/sh is
    dash, standins/ash/sh (running the host's busybox sh) goes first on PATH for the step."""
    if rt[0] == "host":
        assert shutil.which("busybox"), "busybox is needed as the stand-in for the curl image's shell"
        monkeypatch.setenv("PATH", f"{standins.parent / 'ash'}:{os.environ['PATH']}")
        host_shims.host_path.cache_clear()
    done = run("sidecar-nginx", rt, configs, leaks)
    pod = done.pods()[0]
    assert "<html" in done.log(pod).lower()


@pytest.mark.parametrize("name", ["sequence", "parallel", "graph"])
def test_container_sets(name: str, rt: tuple[str, str], configs: dict[str, str], leaks: Leaks,
                        standins: Path) -> None:
    done = run(f"container-set-template/{name}-workflow", rt, configs, leaks)
    pod = done.pods()[0]
    names = {"sequence": "abc", "parallel": "ab", "graph": "abcd"}[name]
    for c in names:
        assert done.log(pod, c).strip() == "hello argo", (c, done.log(pod, c))


def test_container_set_workspace(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks,
                                 standins: Path) -> None:
    """Container `a` writes into the shared emptyDir; `main`'s outputs read it."""
    done = run("container-set-template/workspace-workflow", rt, configs, leaks)
    pod = done.pods()[0]
    outputs = pod["outputs"]
    assert [p["value"] for p in outputs["parameters"]] == ["hi"]
    assert [a["name"] for a in outputs["artifacts"]] == ["out"]
    assert done.log(pod, "main").strip() == "hello argo"


def test_volumes_emptydir(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    done = run("volumes-emptydir", rt, configs, leaks)
    assert "Volume mounted and found" in done.log(done.pods()[0])
    assert not (api.run_dir(done.name) / "volumes").exists(), "emptyDir volumes go when the run ends"


def test_init_container(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    done = run("init-container", rt, configs, leaks)
    pod = done.pods()[0]
    assert done.log(pod, "hello").strip() == "hello"
    assert done.log(pod, "main").strip() == "bye"


def test_volumes_pvc(rt: tuple[str, str], configs: dict[str, str], leaks: Leaks) -> None:
    """volumeClaimTemplates backed by a run directory: one step writes, the next reads; the
    claim goes when the run succeeds (Argo's default volumeClaimGC, OnWorkflowSuccess)."""
    done = run("volumes-pvc", rt, configs, leaks)
    assert "hello world" in done.log(done.by_display("generate"))
    printed = done.log(done.by_display("print"))
    assert "/mnt/vol/hello_world.txt" in printed and "hello world" in printed
    assert not (api.run_dir(done.name) / "volumes" / "workdir").exists()
