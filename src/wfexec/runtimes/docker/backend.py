"""The docker runtime: each container of a pod is a Docker container, as kubelet would run it.

A pod's containers share one network namespace (sidecars first, the first one owning it; the
rest join with `network_mode=container:<id>`), mount the pod's argo dir at /var/run/argo, and
carry `wfexec.*` labels so a restarted engine can find them again. Init containers run one
after another before the rest. One thread per pod waits, collects the outputs through the
chosen executor, removes the containers, then calls `on_done` once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from wfexec.errors import WfexecError
from wfexec.executors.base import Executor
from wfexec.executors.docker import DockerExecutor
from wfexec.executors.emissary import EmissaryExecutor
from wfexec.executors.result import PodEnd, read_pod_result
from wfexec.pod import OnDone, PodHandle, PodPlan, PodResult
from wfexec.runtimes.docker.bundle import EmissaryBundle, prepare_emissary_bundle
from wfexec.runtimes.docker.pod import (
    L_CONTAINER,
    L_EXECUTOR,
    L_NODE,
    L_POD,
    L_ROLE,
    L_RUN,
    ContainerRequest,
    build_requests,
    create,
    docker_name,
    prepare_argo_dir,
)
from wfexec.runtimes.docker.support import connect, ensure_pause_image

log = logging.getLogger(__name__)


@dataclass
class DockerPodHandle:
    pod: PodPlan
    containers: DockerExecutor  # the pod's Docker containers (name -> id), under either executor
    executor: Executor  # the chosen executor: `containers` itself, or the emissary over them
    roles: dict[str, str] = field(default_factory=dict)  # container name -> init/main/sidecar
    started: threading.Event = field(default_factory=threading.Event)
    stop_requested: bool = False
    address: str | None = None
    infra: str | None = None  # the pause container holding the network of a multi-container pod
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class DockerBackend:
    """Backend for PodPlans on a local Docker Engine, under the emissary or the docker executor."""

    runtime = "docker"

    def __init__(self, config: Any = None, executor: str = "emissary") -> None:
        if executor not in ("emissary", "docker"):
            raise WfexecError(f"unknown executor {executor!r}: expected emissary or docker")
        self.config = config
        self.executor = executor
        self._client: docker.DockerClient | None = None
        self._bundle: EmissaryBundle | None = None

    # -- set-up ---------------------------------------------------------------------------
    def check(self) -> None:
        self._client = self._client or connect(self.executor)
        if self.executor == "emissary" and self._bundle is None:
            self._bundle = prepare_emissary_bundle()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _handle(self, pod: PodPlan, kind: str) -> DockerPodHandle:
        assert self._client is not None
        containers = DockerExecutor(self._client)
        executor: Executor = EmissaryExecutor(pod.argo_dir, engine=containers) if kind == "emissary" else containers
        return DockerPodHandle(pod, containers, executor)

    # -- Backend --------------------------------------------------------------------------
    def start(self, pod: PodPlan, on_done: OnDone) -> DockerPodHandle:
        self.check()
        assert self._client is not None
        requests = build_requests(self._client, pod, self.executor, self.config, self._bundle)
        prepare_argo_dir(pod, [r.plan.name for r in requests])
        if self._bundle is not None:
            self._bundle.install(pod.argo_dir)
        handle = self._handle(pod, self.executor)
        handle.roles = {r.plan.name: r.plan.role for r in requests}
        handle.thread = threading.Thread(target=self._run, args=(handle, requests, on_done),
                                         name=f"wfexec-docker-{pod.pod_name}", daemon=True)
        handle.thread.start()
        return handle

    def kill(self, handle: PodHandle, grace: float) -> None:
        assert isinstance(handle, DockerPodHandle)
        with handle.lock:
            handle.stop_requested = True
            running = [n for n in handle.containers.ids if handle.containers.exit_code_cached(n) is None]
        try:
            handle.executor.kill(running, grace)
        except WfexecError as exc:
            log.warning("stopping pod %s: %s", handle.pod.pod_name, exc)

    def ip(self, handle: PodHandle) -> str | None:
        assert isinstance(handle, DockerPodHandle)
        handle.started.wait(60)
        return handle.address

    def reattach(self, pod: PodPlan, on_done: OnDone) -> DockerPodHandle | None:
        self.check()
        assert self._client is not None
        found = self._client.api.containers(all=True, filters={"label": [f"{L_RUN}={pod.run_id}",
                                                                          f"{L_NODE}={pod.node_id}"]})
        if not found:
            return None
        kind = found[0]["Labels"].get(L_EXECUTOR, self.executor)
        handle = self._handle(pod, kind)
        for c in found:
            if c["Labels"].get(L_ROLE) == "infra":
                handle.infra = c["Id"]
                continue
            handle.containers.ids[c["Labels"][L_CONTAINER]] = c["Id"]
            handle.roles[c["Labels"][L_CONTAINER]] = c["Labels"].get(L_ROLE, "main")
            if isinstance(handle.executor, DockerExecutor):  # live again from where the dead engine's log ends
                self._follow_logs(handle, c["Labels"][L_CONTAINER])
        mains = [n for n, r in handle.roles.items() if r == "main"]
        if not mains:  # crashed during the init phase: start over
            self._remove(handle)
            return None
        handle.address = self._address(handle.infra or handle.containers.ids[mains[0]])
        handle.started.set()
        handle.thread = threading.Thread(target=self._follow, args=(handle, on_done),
                                         name=f"wfexec-docker-{pod.pod_name}", daemon=True)
        handle.thread.start()
        return handle

    # -- the pod's thread -----------------------------------------------------------------
    def _run(self, handle: DockerPodHandle, requests: list[ContainerRequest], on_done: OnDone) -> None:
        t0 = time.monotonic()
        try:
            failed = self._run_inits(handle, [r for r in requests if r.plan.role == "init"], t0)
            if failed is not None:
                result = failed
            else:
                self._start_pod(handle, [r for r in requests if r.plan.role != "init"])
                result = self._finish(handle, t0)
        except WfexecError as exc:
            result = PodResult(phase="Error", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never crash the engine's thread
            log.debug("docker pod %s failed", handle.pod.pod_name, exc_info=True)
            result = PodResult(phase="Error", message=_unexpected(handle, exc))
        finally:
            handle.started.set()
            self._remove(handle)
        on_done(result)

    def _follow(self, handle: DockerPodHandle, on_done: OnDone) -> None:
        try:
            result = self._finish(handle, time.monotonic())
        except WfexecError as exc:
            result = PodResult(phase="Error", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never crash the engine's thread
            result = PodResult(phase="Error", message=_unexpected(handle, exc))
        finally:
            self._remove(handle)
        on_done(result)

    def _create_start(self, handle: DockerPodHandle, req: ContainerRequest, network_mode: str | None,
                      hostname: str | None) -> str | None:
        assert self._client is not None
        with handle.lock:
            if handle.stop_requested:
                return None
            try:
                cid = create(self._client, req, handle.pod, network_mode, hostname)
            except docker.errors.ImageNotFound:
                raise WfexecError(f"step {handle.pod.pod_name!r}: image {req.image!r} is not present locally "
                                  "(it was removed after the pod was planned); build or load it") from None
            except docker.errors.APIError as exc:
                raise WfexecError(f"container {req.plan.name!r} of pod {handle.pod.pod_name!r} could not be "
                                  f"created: {exc.explanation or exc}") from None
            handle.containers.ids[req.plan.name] = cid
        try:
            self._client.api.start(cid)
        except docker.errors.APIError as exc:
            raise WfexecError(f"container {req.plan.name!r} of pod {handle.pod.pod_name!r} did not start: "
                              f"{exc.explanation or exc}") from None
        if isinstance(handle.executor, DockerExecutor):  # the emissary writes its log live; here Docker's is streamed
            self._follow_logs(handle, req.plan.name)
        return cid

    def _follow_logs(self, handle: DockerPodHandle, name: str) -> None:
        assert isinstance(handle.executor, DockerExecutor)
        handle.executor.follow_logs(name, str(handle.pod.argo_dir / "ctr" / name / "combined"),
                                    handle.pod.max_output_bytes)

    def _run_inits(self, handle: DockerPodHandle, inits: list[ContainerRequest], t0: float) -> PodResult | None:
        """Init containers one after another (inside the pod's deadline); a PodResult if one fails."""
        ex, pod = handle.executor, handle.pod
        ids = handle.containers.ids
        for req in inits:
            if self._create_start(handle, req, None, None) is None:
                break
            left = None if pod.deadline_seconds is None else pod.deadline_seconds - (time.monotonic() - t0)
            timed_out = not ex.wait([req.plan.name], timeout=left)
            if timed_out:
                ex.kill([req.plan.name], pod.kill_grace_seconds)
                ex.wait([req.plan.name])
            code = self._exit_code(ex, req.plan.name)
            if timed_out or code != 0:
                codes = {r.plan.name: self._exit_code(ex, r.plan.name) for r in inits if r.plan.name in ids}
                self._save_logs(handle, list(codes))
                failure = None if timed_out else f"init container {req.plan.name}: {ex.failure_text(req.plan.name, code)}"
                return read_pod_result(pod, ex, PodEnd(codes, [], deadline_hit=timed_out, failure=failure))
        return None

    def _start_pod(self, handle: DockerPodHandle, reqs: list[ContainerRequest]) -> None:
        pod = handle.pod
        ordered = [r for r in reqs if r.plan.role == "sidecar"] + [r for r in reqs if r.plan.role == "main"]
        owner: str | None = None
        if len(ordered) > 1:  # several containers share one network: a pause container holds it
            owner = self._start_infra(handle)
            if owner is None:
                return
            handle.address = self._address(owner)
            handle.started.set()
        waiting: list[ContainerRequest] = []
        for req in ordered:
            if req.plan.dependencies and self.executor == "docker":
                waiting.append(req)  # the emissary waits for dependencies itself; here we must
                continue
            cid = self._create_start(handle, req, f"container:{owner}" if owner else None,
                                     None if owner else pod.pod_name[:63])
            if cid is None:
                break
            if owner is None:
                owner = cid
                handle.address = self._address(cid)
                handle.started.set()
        for req in waiting:
            handle.executor.wait(req.plan.dependencies)
            if any(self._exit_code(handle.executor, d) != 0 for d in req.plan.dependencies):
                continue
            if self._create_start(handle, req, f"container:{owner}" if owner else None, None) is None:
                break
        handle.started.set()

    def _start_infra(self, handle: DockerPodHandle) -> str | None:
        assert self._client is not None
        pod = handle.pod
        image = ensure_pause_image(self._client)
        labels = {L_RUN: pod.run_id, L_NODE: pod.node_id, L_POD: pod.pod_name, L_CONTAINER: "POD",
                  L_ROLE: "infra", L_EXECUTOR: self.executor}
        with handle.lock:
            if handle.stop_requested:
                return None
            resp = self._client.api.create_container(
                image, labels=labels, name=docker_name(pod, "POD"), hostname=pod.pod_name[:63],
                host_config=self._client.api.create_host_config(), detach=True)
            handle.infra = resp["Id"]
        self._client.api.start(handle.infra)
        return handle.infra

    def _finish(self, handle: DockerPodHandle, t0: float) -> PodResult:
        pod, ex, ids = handle.pod, handle.executor, handle.containers.ids
        if pod.main_container not in ids:  # stopped while init containers ran
            codes = {n: self._exit_code(ex, n) for n in ids}
            return PodResult(phase="Failed", message="pod was stopped before its main container started",
                             logs=self._save_logs(handle, list(ids)), container_exit_codes=codes)
        mains = [n for n, r in handle.roles.items() if r == "main" and n in ids]
        sidecars = [n for n, r in handle.roles.items() if r == "sidecar" and n in ids]
        timeout = None if pod.deadline_seconds is None else max(0.0, pod.deadline_seconds - (time.monotonic() - t0))
        deadline_hit = not ex.wait(mains, timeout=timeout)
        if deadline_hit:
            ex.kill(mains, pod.kill_grace_seconds)
            ex.wait(mains)
        if sidecars:
            ex.kill(sidecars, pod.kill_grace_seconds)
        names = [n for n in handle.roles if n in ids]
        codes = {n: self._exit_code(ex, n) for n in names}
        self._save_logs(handle, names)
        return read_pod_result(pod, ex, PodEnd(codes, mains, deadline_hit=deadline_hit, ip=handle.address))

    # -- helpers --------------------------------------------------------------------------
    def _exit_code(self, ex: Executor, name: str) -> int | None:
        try:
            return ex.exit_code(name)
        except WfexecError:
            return None

    def _save_logs(self, handle: DockerPodHandle, names: list[str]) -> dict[str, Path]:
        ctr = handle.pod.argo_dir / "ctr"
        limit = handle.pod.max_output_bytes
        for name in names:
            handle.executor.keep_logs(name, str(ctr / name / "stdout"), str(ctr / name / "combined"), limit)
        return {name: ctr / name / "combined" for name in names}

    def _address(self, cid: str) -> str | None:
        assert self._client is not None
        try:
            net = self._client.api.inspect_container(cid)["NetworkSettings"]
        except docker.errors.DockerException:
            return None
        if net.get("IPAddress"):
            return net["IPAddress"]
        for item in (net.get("Networks") or {}).values():
            if item.get("IPAddress"):
                return item["IPAddress"]
        return None

    def _remove(self, handle: DockerPodHandle) -> None:
        if self._client is None:
            return
        ids = list(handle.containers.ids.items()) + ([("POD", handle.infra)] if handle.infra else [])
        for name, cid in ids:  # joiners first, the network holder last
            try:
                self._client.api.remove_container(cid, force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as exc:
                log.warning("could not remove container %s (%s): %s", name, cid[:12], exc)


def _unexpected(handle: DockerPodHandle, exc: BaseException) -> str:
    """One line for a failure nobody planned for; a vanished container is said plainly."""
    if isinstance(exc, docker.errors.NotFound):
        return (f"docker runtime: a container of pod {handle.pod.pod_name!r} was removed while it ran "
                "(by something other than wfexec)")
    if isinstance(exc, docker.errors.DockerException | OSError):
        return f"docker runtime: the Docker daemon failed while running pod {handle.pod.pod_name!r}: {exc}"
    return f"docker runtime: {type(exc).__name__}: {exc}"
