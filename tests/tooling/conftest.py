"""Fixtures for the operator tools: images built here, loopback registries, fake clusters."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.docker_daemon import ensure_dockerd
from tests.support.images import HELLO_ALIAS, scratch_hello_image
from tests.support.kube_fake import FakeCluster, start_clusters

LABEL = "wfexec.test-image=tooling"


def import_image(tag: str, *changes: str, marker: str = "") -> str:
    """`docker import` a one-file root filesystem with the given Dockerfile changes; returns the image id.

    `marker` goes into the file, so two builds with different markers have different digests.
    """
    ensure_dockerd()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = f"built by wfexec tests for {tag} {marker}\n".encode()
        info = tarfile.TarInfo("etc/wfexec-test-image")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    cmd = ["docker", "import", "-c", f"LABEL {LABEL}"]
    for change in changes:
        cmd += ["-c", change]
    proc = subprocess.run([*cmd, "-", tag], input=buf.getvalue(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"docker import {tag}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode().strip()


def entrypoint(*argv: str) -> str:
    return "ENTRYPOINT " + json.dumps(list(argv))


def cmd(*argv: str) -> str:
    return "CMD " + json.dumps(list(argv))


@pytest.fixture(scope="session")
def hello_world_image() -> str:
    """hello-world:latest: a scratch image with a static /hello (gcc -static), CMD ["/hello"]."""
    scratch_hello_image()
    return HELLO_ALIAS


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[Callable[[str], tuple[FakeCluster, Path]]]:
    """Start a fake cluster (it stands in for a Kubernetes API server): kube("containerd-nodes") -> (cluster, kubeconfig)."""
    start, stop = start_clusters(tmp_path)
    yield start
    stop()
