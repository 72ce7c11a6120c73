"""Docker runtime fixtures: a daemon, the test images, and a way to run one PodPlan to its end."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.docker_daemon import containers_labelled, ensure_dockerd
from tests.support.images import busybox_image, scratch_hello_image, server_image
from wfexec.pod import ContainerPlan, OutputArtifactPlan, OutputParameterPlan, PodPlan, PodResult
from wfexec.runtimes.docker.backend import DockerBackend

EXECUTORS = ["emissary", "docker"]


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    ensure_dockerd()
    return {"busybox": busybox_image(), "hello": scratch_hello_image(), "server": server_image()}


@pytest.fixture(scope="session")
def image_config(images: dict[str, str]) -> dict[str, Any]:
    """Executor config as a plain dict: `busybox` and `alpine:*` map to the local busybox."""
    return {"image_map": {"busybox": images["busybox"], "busybox:*": images["busybox"],
                          "alpine:*": images["busybox"], "nginx": images["server"]}}


@pytest.fixture(scope="session")
def backends(image_config: dict[str, Any]) -> Iterator[dict[str, DockerBackend]]:
    made = {name: DockerBackend(image_config, executor=name) for name in EXECUTORS}
    for b in made.values():
        b.check()
    yield made
    for b in made.values():
        b.close()


_RUNS: list[str] = []  # run ids of the pods this test made (tests may run in parallel workers)


@pytest.fixture(autouse=True)
def no_containers_left() -> Iterator[None]:
    """Every test must leave no container of its pods behind."""
    _RUNS.clear()
    yield
    left = [cid for run in _RUNS for cid in containers_labelled(f"wfexec.run={run}")]
    assert not left, f"containers left behind: {left}"


def make_pod(tmp_path: Path, containers: list[ContainerPlan], *, params: list[OutputParameterPlan] = (),
             artifacts: list[OutputArtifactPlan] = (), **kw: Any) -> PodPlan:
    """A PodPlan with its template (the emissary reads outputs from it), as the planner makes."""
    argo_dir = tmp_path / f"argo-{uuid.uuid4().hex[:6]}"
    template = {"name": "tmpl", "outputs": {
        "parameters": [{"name": p.name, "valueFrom": {"path": p.path}} for p in params],
        "artifacts": [{"name": a.name, "path": a.path, **({"archive": a.archive} if a.archive else {})}
                      for a in artifacts],
    }}
    argo_dir.mkdir(parents=True)
    (argo_dir / "template").write_text(json.dumps(template))
    run_id = kw.pop("run_id", f"run-{uuid.uuid4().hex[:8]}")
    _RUNS.append(run_id)
    return PodPlan(run_id=run_id, node_id=kw.pop("node_id", "node-1"),
                   pod_name=kw.pop("pod_name", "pod-1"), argo_dir=argo_dir, containers=containers,
                   template=template, output_parameters=list(params), output_artifacts=list(artifacts), **kw)


class Waiter:
    """Collects on_done calls; asserts there is exactly one."""

    def __init__(self) -> None:
        self.results: list[PodResult] = []
        self.done = threading.Event()

    def __call__(self, result: PodResult) -> None:
        self.results.append(result)
        self.done.set()

    def result(self, timeout: float = 60) -> PodResult:
        assert self.done.wait(timeout), "the pod did not finish in time"
        assert len(self.results) == 1
        return self.results[0]


def run_pod(backend: DockerBackend, pod: PodPlan, timeout: float = 60) -> PodResult:
    waiter = Waiter()
    backend.start(pod, waiter)
    return waiter.result(timeout)


def wait_for_output(pod: PodPlan, text: str, timeout: float = 30) -> None:
    """Block until a container of `pod` has printed `text` (read from Docker's own log, which
    both executors feed: the emissary passes its child's output through)."""
    import time

    import docker

    client = docker.from_env()
    try:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for c in client.api.containers(all=True, filters={"label": f"wfexec.run={pod.run_id}"}):
                try:
                    if text.encode() in client.api.logs(c["Id"], stdout=True, stderr=True):
                        return
                except docker.errors.APIError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"pod {pod.pod_name} did not print {text!r} within {timeout}s")
    finally:
        client.close()
