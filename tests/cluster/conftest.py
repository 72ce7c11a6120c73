"""Fake clusters for `submit|list|get|logs --kube`: tests/support/kube_fake.py stands in for a
Kubernetes API server with Argo installed (none can run here); the official client talks to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.kube_fake import FakeCluster, start_clusters


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], tuple[FakeCluster, Path]]]:
    """kube("gke-autopilot") -> (cluster, kubeconfig); status is polled every 10 ms."""
    monkeypatch.setenv("WFEXEC_KUBE_POLL_SECONDS", "0.01")
    start, stop = start_clusters(tmp_path)
    yield start
    stop()
