"""Turn a PodPlan's containers into Docker create-container requests.

Everything that can fail because of the spec or the machine (a missing image, no resolvable
command for the emissary, a bad quantity, an unknown volume) fails here, before any container
exists, so `start()` can raise one clear error and leave nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from wfexec.errors import WfexecError
from wfexec.pod import ARGO_DIR_IN_CONTAINER, ContainerPlan, PodPlan
from wfexec.runtimes.docker.bundle import EmissaryBundle
from wfexec.runtimes.docker.emissary import EMISSARY_IN_CONTAINER, emissary_command
from wfexec.runtimes.docker.support import image_config, map_image, resource_limits

LABEL_PREFIX = "wfexec."
L_RUN, L_NODE, L_POD, L_CONTAINER, L_ROLE, L_EXECUTOR = (
    "wfexec.run", "wfexec.node", "wfexec.pod", "wfexec.container", "wfexec.role", "wfexec.executor")


@dataclass
class ContainerRequest:
    """What is needed to create one container (network mode is decided at start)."""

    plan: ContainerPlan
    image: str
    entrypoint: list[str] | None
    command: list[str] | None
    env: dict[str, str]
    binds: dict[str, dict[str, str]]
    labels: dict[str, str]
    name: str
    user: str | None = None
    limits: dict[str, int] = field(default_factory=dict)


def docker_name(pod: PodPlan, container: str) -> str:
    base = re.sub(r"[^a-zA-Z0-9_.-]+", "-", f"wfexec-{pod.pod_name}-{container}").strip("-.")[:100]
    return f"{base}-{uuid.uuid4().hex[:6]}"


def _user(plan: ContainerPlan) -> str | None:
    ctx = plan.security_context or {}
    uid, gid = ctx.get("runAsUser"), ctx.get("runAsGroup")
    if uid is None:
        return None if gid is None else f"0:{int(gid)}"
    return f"{int(uid)}" if gid is None else f"{int(uid)}:{int(gid)}"


def _binds(pod: PodPlan, plan: ContainerPlan, where: str) -> dict[str, dict[str, str]]:
    binds = {str(pod.argo_dir): {"bind": ARGO_DIR_IN_CONTAINER, "mode": "rw"}}
    for item in pod.input_files:
        binds[str(item.host_path)] = {"bind": item.container_path, "mode": "rw"}
    for vm in plan.volume_mounts:
        host = pod.volumes.get(vm.name)
        if host is None:
            raise WfexecError(f"{where}.volumeMounts: volume {vm.name!r} is not defined for this pod")
        host = Path(host)
        if vm.sub_path:
            host = host / vm.sub_path
            host.mkdir(parents=True, exist_ok=True)
        binds[str(host)] = {"bind": vm.mount_path, "mode": "ro" if vm.read_only else "rw"}
    return binds


def build_requests(client: docker.DockerClient, pod: PodPlan, executor: str, config: Any,
                   bundle: EmissaryBundle | None) -> list[ContainerRequest]:
    """One request per container, in the plan's order (init, main(s), sidecars)."""
    template = str(pod.template.get("name") or pod.node_id)
    out = []
    for plan in pod.containers:
        where = f"templates[{template}].{plan.name}"
        if not plan.image:
            raise WfexecError(f"{where}: the docker runtime needs an `image` for every container")
        image = map_image(config, plan.image)
        cfg = image_config(client, image, pod.pod_name, plan.image_pull_policy)
        env = {"ARGO_CONTAINER_NAME": plan.name, "ARGO_POD_NAME": pod.pod_name, **plan.env}
        binds = _binds(pod, plan, where)
        if executor == "emissary":
            assert bundle is not None
            wrapped = emissary_command(plan, image, cfg, config, template)
            entrypoint: list[str] | None = [EMISSARY_IN_CONTAINER]
            command: list[str] | None = ["--", *wrapped]
            if plan.dependencies:
                env["ARGO_DEPENDENCIES"] = ",".join(plan.dependencies)
            if pod.max_output_bytes is not None:
                env["ARGO_MAX_OUTPUT_BYTES"] = str(pod.max_output_bytes)
            binds.update(bundle.docker_volume())
        else:
            entrypoint, command = plan.command, plan.args
        labels = {L_RUN: pod.run_id, L_NODE: pod.node_id, L_POD: pod.pod_name, L_CONTAINER: plan.name,
                  L_ROLE: plan.role, L_EXECUTOR: executor}
        out.append(ContainerRequest(
            plan=plan, image=image, entrypoint=entrypoint, command=command, env=env, binds=binds, labels=labels,
            name=docker_name(pod, plan.name), user=_user(plan), limits=resource_limits(plan.resources, where),
        ))
    return out


def prepare_argo_dir(pod: PodPlan, names: list[str]) -> None:
    """Directories the emissary writes to, open to any runAsUser."""
    dirs = [pod.argo_dir, pod.argo_dir / "ctr", pod.argo_dir / "outputs",
            pod.argo_dir / "outputs" / "parameters", pod.argo_dir / "outputs" / "artifacts"]
    dirs += [pod.argo_dir / "ctr" / n for n in names]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o777)
    template = pod.argo_dir / "template"
    if not template.exists():  # the planner writes it; a hand-made PodPlan may not have
        template.write_text(json.dumps(pod.template))


def create(client: docker.DockerClient, req: ContainerRequest, pod: PodPlan, network_mode: str | None,
           hostname: str | None) -> str:
    """Create (not start) the container; returns its id."""
    host_config = client.api.create_host_config(binds=req.binds, network_mode=network_mode, **req.limits)
    resp = client.api.create_container(
        req.image, command=req.command, entrypoint=req.entrypoint, environment=req.env,
        working_dir=req.plan.working_dir, user=req.user, labels=req.labels, name=req.name,
        hostname=hostname, host_config=host_config, detach=True,
    )
    return resp["Id"]
