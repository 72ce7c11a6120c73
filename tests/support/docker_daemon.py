"""Make sure a Docker daemon answers before docker tests run (CI starts none for us)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-dockerd.sh"

_ready = False


def ensure_dockerd() -> None:
    """Run scripts/ensure-dockerd.sh once per process; raise with its output if it fails."""
    global _ready
    if _ready:
        return
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"could not start the Docker daemon: {proc.stderr.strip() or proc.stdout.strip()}")
    _ready = True


def docker_client() -> docker.DockerClient:
    """A client for the daemon, started if needed."""
    ensure_dockerd()
    return docker.from_env()


def containers_labelled(label: str) -> list[str]:
    """Ids of all containers (running or not) carrying `label` (`key` or `key=value`)."""
    client = docker_client()
    try:
        return [c["Id"] for c in client.api.containers(all=True, filters={"label": label})]
    finally:
        client.close()
