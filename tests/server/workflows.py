"""Small Workflow bodies and HTTP helpers shared by the server tests."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.server.swagger import check_response
from wfexec.cli import remote


def container_wf(script: str, *, name: str = "t-", labels: dict[str, str] | None = None,
                 extra_spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": name, "labels": labels or {}},
        "spec": {"entrypoint": "main", **(extra_spec or {}),
                 "templates": [{"name": "main", "container": {"image": "busybox", "command": ["sh", "-c", script]}}]},
    }


def steps_wf(steps: list[tuple[str, str]], *, name: str = "s-", extra_templates: list[dict[str, Any]] | None = None,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A steps workflow: one sequential step per (step name, shell script)."""
    templates = [{"name": "main", "steps": [[{"name": s, "template": s}] for s, _ in steps]}]
    templates += [{"name": s, "container": {"image": "busybox", "command": ["sh", "-c", script]}}
                  for s, script in steps]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"generateName": name, "labels": labels or {}},
            "spec": {"entrypoint": "main", "templates": templates + (extra_templates or [])}}


def create(url: str, wf: dict[str, Any], ns: str = "default", headers: dict[str, str] | None = None) -> str:
    r = check_response(requests.post(f"{url}/api/v1/workflows/{ns}", json={"workflow": wf}, timeout=30,
                                     headers=headers))
    assert r.status_code == 200, r.text
    return r.json()["metadata"]["name"]


def get(url: str, name: str, ns: str = "default") -> dict[str, Any]:
    r = check_response(requests.get(f"{url}/api/v1/workflows/{ns}/{name}", timeout=30))
    assert r.status_code == 200, r.text
    return r.json()


def wait_phase(url: str, name: str, phases: tuple[str, ...] = ("Succeeded", "Failed", "Error"),
               timeout: float = 60, ns: str = "default") -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        wf = get(url, name, ns)
        if wf.get("status", {}).get("phase") in phases:
            return wf
        assert time.monotonic() < deadline, f"{name} stayed {wf.get('status', {}).get('phase')}"
        time.sleep(0.05)


def wait_node(url: str, name: str, display: str, phase: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        nodes = get(url, name).get("status", {}).get("nodes") or {}
        hit = next((n for n in nodes.values() if n.get("displayName") == display and n.get("phase") == phase), None)
        if hit:
            return hit
        assert time.monotonic() < deadline, f"{name}: node {display} never {phase}: {nodes}"
        time.sleep(0.05)


def record_client_params(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The query parameters of each request the CLI's server client sends from now on (the requests still go)."""
    sent: list[dict[str, Any]] = []
    real_json = remote.Client.json

    def recorded(self: remote.Client, method: str, path: str, body: Any = None,
                 params: dict[str, Any] | None = None) -> Any:
        sent.append(dict(params or {}))
        return real_json(self, method, path, body, params)

    monkeypatch.setattr(remote.Client, "json", recorded)
    return sent
