"""The contract between the engine and the runtimes: a planned pod, and what came of it.

The engine plans one pod per Pod node (main container, init containers, sidecars or a
containerSet, a shared argo directory, staged inputs); a Backend (a runtime paired with an
executor) runs it and reports a PodResult through a callback, from any thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

ARGO_DIR_IN_CONTAINER = "/var/run/argo"

Role = Literal["init", "main", "sidecar"]


@dataclass
class VolumeMount:
    name: str
    mount_path: str
    sub_path: str | None = None
    read_only: bool = False


@dataclass
class ContainerPlan:
    """One container. `command`/`args` have Kubernetes semantics: `command` replaces the
    image's ENTRYPOINT, `args` replaces its CMD, and None leaves the image's own."""

    name: str
    role: Role = "main"
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    security_context: dict[str, Any] = field(default_factory=dict)
    image_pull_policy: str | None = None
    volume_mounts: list[VolumeMount] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)  # containerSet ordering
    ports: list[int] = field(default_factory=list)


@dataclass
class OutputParameterPlan:
    name: str
    path: str  # path inside the container


@dataclass
class OutputArtifactPlan:
    name: str
    path: str  # path inside the container
    archive: dict[str, Any] | None = None  # Argo's `archive`: {tar: {compressionLevel}}, {none: {}}, {zip: {}}
    optional: bool = False


@dataclass
class InputFile:
    """A staged input artifact (already fetched and safely unpacked on the host)."""

    host_path: Path
    container_path: str
    mode: int | None = None


@dataclass
class PodPlan:
    run_id: str
    node_id: str
    pod_name: str
    argo_dir: Path  # per-pod host directory, mounted at /var/run/argo
    containers: list[ContainerPlan]  # init containers first, in order; then main(s); then sidecars
    template: dict[str, Any]  # the resolved template, written as JSON to argo_dir/template
    main_container: str = "main"
    output_parameters: list[OutputParameterPlan] = field(default_factory=list)
    output_artifacts: list[OutputArtifactPlan] = field(default_factory=list)
    input_files: list[InputFile] = field(default_factory=list)
    volumes: dict[str, Path] = field(default_factory=dict)  # volume name -> host directory
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    daemon: bool = False
    deadline_seconds: float | None = None  # activeDeadlineSeconds / timeout for this pod
    kill_grace_seconds: float = 10.0
    max_output_bytes: int | None = None  # cut stdout/combined beyond this, and say so

    @property
    def main(self) -> ContainerPlan:
        return next(c for c in self.containers if c.name == self.main_container)


PodPhase = Literal["Succeeded", "Failed", "Error"]


@dataclass
class PodResult:
    phase: PodPhase
    message: str = ""
    exit_code: int | None = None  # the main container's
    result: str | None = None  # main's stdout, as Argo's outputs.result (trailing newline trimmed)
    parameters: dict[str, str | None] = field(default_factory=dict)  # None: the file was missing
    artifacts: dict[str, Path | None] = field(default_factory=dict)  # host path of the packed output
    logs: dict[str, Path] = field(default_factory=dict)  # container -> combined log on the host
    container_exit_codes: dict[str, int | None] = field(default_factory=dict)
    ip: str | None = None


OnDone = Callable[[PodResult], None]


class PodHandle(Protocol):
    pod: PodPlan


class Backend(Protocol):
    """A runtime paired with an executor, as the engine sees it."""

    runtime: str  # "host" | "docker"
    executor: str  # "emissary" | "docker"

    def check(self) -> None:
        """Fail up front (ExecutorError / RuntimeUnavailable) if this pair cannot work here."""

    def start(self, pod: PodPlan, on_done: OnDone) -> PodHandle:
        """Start the pod; on_done is called exactly once, from any thread, when it has ended
        and its outputs have been collected (and its containers removed)."""

    def kill(self, handle: PodHandle, grace: float) -> None:
        """SIGTERM every container's process group, SIGKILL after `grace` seconds."""

    def ip(self, handle: PodHandle) -> str | None:
        """An address other steps can reach (daemon steps): 127.0.0.1 on the host runtime."""

    def reattach(self, pod: PodPlan, on_done: OnDone) -> PodHandle | None:
        """After an engine crash: follow a pod still running (or finished) from the last
        engine; None when it cannot be found, so the engine kills and retries it."""

    def close(self) -> None:
        """Release what the backend holds (warm processes, clients)."""
