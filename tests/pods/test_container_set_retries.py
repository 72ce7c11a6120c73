"""containerSet `retryStrategy`: a failing container runs again inside the same pod.

Argo implements this in the emissary, so it applies wherever the emissary runs: the host runtime
and the docker runtime under the emissary executor.
"""

from __future__ import annotations

import pytest

from tests.support.docker_config import docker_image_config
from tests.support.runs import run_workflow


def _wf(retries: int) -> dict:
    # `flaky` fails on its first try and succeeds on its second; the count lives in the pod's
    # shared emptyDir, so a retry in the same pod sees it.
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "cs-retry-"},
        "spec": {"entrypoint": "main", "templates": [{
            "name": "main",
            "volumes": [{"name": "work", "emptyDir": {}}],
            "containerSet": {
                "retryStrategy": {"retries": str(retries), "duration": "100ms"},
                "volumeMounts": [{"name": "work", "mountPath": "/work"}],
                "containers": [
                    {"name": "flaky", "image": "busybox", "command": ["sh", "-c",
                     "echo try >> /work/tries; [ $(wc -l < /work/tries) -ge 2 ]"]},
                    {"name": "main", "image": "busybox", "dependencies": ["flaky"],
                     "command": ["sh", "-c", "wc -l < /work/tries"]},
                ]}}]}}


@pytest.mark.parametrize(("runtime", "executor"), [("host", "emissary"), ("docker", "emissary")])
def test_a_failing_container_is_retried_in_the_pod(runtime: str, executor: str) -> None:
    config = docker_image_config() if runtime == "docker" else None
    run = run_workflow(_wf(retries=2), runtime=runtime, executor=executor, config=config)
    assert run.phase == "Succeeded", run.message
    (pod,) = run.pods()
    assert pod["outputs"]["result"].strip() == "2"  # one failed try, one that succeeded
    assert "retrying" in run.log(pod, "flaky")


@pytest.mark.parametrize(("runtime", "executor"), [("host", "emissary"), ("docker", "emissary")])
def test_without_retries_the_pod_fails(runtime: str, executor: str) -> None:
    config = docker_image_config() if runtime == "docker" else None
    run = run_workflow(_wf(retries=0), runtime=runtime, executor=executor, config=config)
    assert run.phase == "Failed"
