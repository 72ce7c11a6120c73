"""Fake clusters for `submit|list|get|logs --kube`: tests/support/kube_fake.py stands in for a
Kubernetes API server with Argo installed (none can run here); the official client talks to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.kube_fake import FakeCluster, serve


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], tuple[FakeCluster, Path]]]:
    """kube("gke-autopilot") -> (cluster, kubeconfig); status is polled every 10 ms."""
    monkeypatch.setenv("WFEXEC_KUBE_POLL_SECONDS", "0.01")
    stack: list = []

    def start(name: str) -> tuple[FakeCluster, Path]:
        ctx = serve(name)
        cluster = ctx.__enter__()
        stack.append(ctx)
        return cluster, cluster.write_kubeconfig(tmp_path / f"kubeconfig-{name}")

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)
