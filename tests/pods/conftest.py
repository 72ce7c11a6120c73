"""Fixtures for pods with more than one container, on every runtime × executor pair.

- `rt`: (runtime, executor) — host/emissary, docker/emissary, docker/docker.
- `configs`: executor config files. Docker: an `imageMap` to the stand-in images
  (tests/pods/images.py). Host: an `images:` index giving the command of images used without
  one (argosay, influxdb), since the host runtime ignores images and runs host programs.
- `standins`: puts tests/pods/standins/bin first on PATH (the host runtime's steps find the
  stand-in `influxd`, `nginx`, `apk`, `argosay` there), and holds a lock while the test runs:
  host-runtime servers listen on the host's ports (8086, 80), so two such tests must not overlap,
  even in parallel workers.
- `leaks`: nothing a run started may outlive it — host processes and docker containers.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pods.images import STANDINS, image_map
from tests.support.docker_daemon import containers_labelled, ensure_dockerd
from wfexec.runtimes.host import shims as host_shims

RUNTIMES = [("host", "emissary"), ("docker", "emissary"), ("docker", "docker")]
IDS = ["host", "docker-emissary", "docker-docker"]
HOST_IMAGES = {"argoproj/argosay:v2": {"entrypoint": ["argosay"]}, "influxdb:1.2": {"cmd": ["influxd"]}}
_PORT_LOCK = Path(tempfile.gettempdir()) / "wfexec-test-host-ports.lock"


@pytest.fixture(params=RUNTIMES, ids=IDS)
def rt(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param


def _configmap(data: dict[str, object]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "workflow-controller-configmap"},
            "data": data}


@pytest.fixture(scope="session")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    ensure_dockerd()
    base = tmp_path_factory.mktemp("pods-config")
    docker_cfg, host_cfg = base / "docker.json", base / "host.json"
    docker_cfg.write_text(json.dumps(_configmap({"imageMap": image_map()})))
    host_cfg.write_text(json.dumps(_configmap({"images": HOST_IMAGES})))
    return {"docker": str(docker_cfg), "host": str(host_cfg)}


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PATH", f"{STANDINS}:{os.environ.get('PATH', '')}")
    host_shims.host_path.cache_clear()
    with open(_PORT_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield STANDINS
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            host_shims.host_path.cache_clear()


def descendants(pid: int) -> set[int]:
    """Every live process under `pid` (zombies left out)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def processes_of_run(run: str) -> list[int]:
    """Live processes whose environment names a pod of `run` (ARGO_POD_NAME=<run>…): every step
    process gets it, so a step's process that escaped its parent (reparented) is found too."""
    needle = f"ARGO_POD_NAME={run}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read()
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
        if state != b"Z" and any(item.startswith(needle) for item in env.split(b"\0")):
            found.append(int(entry))
    return found


class Leaks:
    """Counts what runs leave behind: host processes under this test process or carrying a
    run's pod names, and docker containers labelled with a run's name."""

    def __init__(self) -> None:
        self.before = descendants(os.getpid())

    def assert_none(self, run: str, settle: float = 5.0) -> None:
        end = time.monotonic() + settle
        while True:
            extra = sorted(descendants(os.getpid()) - self.before)
            tagged = processes_of_run(run)
            containers = containers_labelled(f"wfexec.run={run}")
            if not (extra or tagged or containers) or time.monotonic() > end:
                break
            time.sleep(0.1)
        assert not extra, f"processes left under the test process: {_describe(extra)}"
        assert not tagged, f"processes of run {run} still alive: {_describe(tagged)}"
        assert not containers, f"containers of run {run} left behind: {containers}"


def _describe(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")[:120]
            out.append(f"{pid}: {cmdline}")
        except OSError:
            out.append(f"{pid}: (gone)")
    return out


@pytest.fixture
def leaks() -> Leaks:
    return Leaks()
