"""Plan a pod from a resolved container, script or containerSet template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wfexec.errors import SpecError
from wfexec.pod import (
    ARGO_DIR_IN_CONTAINER,
    ContainerPlan,
    InputFile,
    OutputArtifactPlan,
    OutputParameterPlan,
    PodPlan,
    Role,
    VolumeMount,
)

SCRIPT_PATH = f"{ARGO_DIR_IN_CONTAINER}/staging/script"


def _env(container: dict[str, Any], where: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        name = item.get("name")
        if not name:
            raise SpecError("env entry without a name", field=f"{where}.env")
        if "value" in item:
            env[name] = "" if item["value"] is None else str(item["value"])
        elif "valueFrom" in item:
            vf = item["valueFrom"] or {}
            if "fieldRef" in vf:
                env[name] = ""  # filled from the pod's metadata by the caller when known
            else:
                env[name] = ""
        else:
            env[name] = ""
    return env


def _container(spec: dict[str, Any], name: str, role: Role, where: str) -> ContainerPlan:
    def str_list(key: str) -> list[str] | None:
        value = spec.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise SpecError(f"expected a list of strings, got {type(value).__name__}", field=f"{where}.{key}")
        return [str(v) for v in value]

    mounts = [VolumeMount(m["name"], m["mountPath"], m.get("subPath"), bool(m.get("readOnly", False)))
              for m in spec.get("volumeMounts") or []]
    ports = [int(p["containerPort"]) for p in spec.get("ports") or [] if "containerPort" in p]
    return ContainerPlan(
        name=name, role=role, image=spec.get("image"), command=str_list("command"), args=str_list("args"),
        env=_env(spec, where), working_dir=spec.get("workingDir"), resources=spec.get("resources") or {},
        security_context=spec.get("securityContext") or {}, image_pull_policy=spec.get("imagePullPolicy"),
        volume_mounts=mounts, dependencies=list(spec.get("dependencies") or []), ports=ports,
    )


def _mirror_volume_mounts(template: dict[str, Any], containers: list[ContainerPlan], main_name: str) -> None:
    """Argo's `mirrorVolumeMounts: true` on an init container or sidecar: it gets the main
    container's volumeMounts too (a mount path it already has is kept as given)."""
    specs = list(template.get("initContainers") or []) + list(template.get("sidecars") or [])
    mirrored = {s.get("name") for s in specs if s.get("mirrorVolumeMounts")}
    main = next((c for c in containers if c.name == main_name and c.role == "main"), None)
    if not mirrored or main is None:
        return
    for c in containers:
        if c.role != "main" and c.name in mirrored:
            have = {m.mount_path for m in c.volume_mounts}
            c.volume_mounts += [VolumeMount(m.name, m.mount_path, m.sub_path, m.read_only)
                                for m in main.volume_mounts if m.mount_path not in have]


def plan_pod(*, run_id: str, node_id: str, pod_name: str, argo_dir: Path, template: dict[str, Any],
             input_files: list[InputFile], volumes: dict[str, Path], labels: dict[str, str],
             annotations: dict[str, str], deadline: float | None, max_output_bytes: int | None) -> PodPlan:
    tname = template.get("name", "?")
    where = f"templates[{tname}]"
    containers: list[ContainerPlan] = []
    for i, init in enumerate(template.get("initContainers") or []):
        containers.append(_container(init, init.get("name") or f"init-{i}", "init", f"{where}.initContainers[{i}]"))
    main_name = "main"
    if "container" in template:
        containers.append(_container(template["container"], "main", "main", f"{where}.container"))
    elif "script" in template:
        script = template["script"]
        plan = _container(script, "main", "main", f"{where}.script")
        if script.get("source"):  # Argo appends the script's path only when there is a source
            plan.command = (plan.command or ["sh"])
            plan.args = [*(plan.args or []), SCRIPT_PATH]
        staging = argo_dir / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        (staging / "script").write_text(script.get("source") or "")
        (staging / "script").chmod(0o755)  # `command: [sh, -c]` runs the file itself
        containers.append(plan)
    elif "containerSet" in template:
        cset = template["containerSet"]
        names = [c.get("name") for c in cset.get("containers") or []]
        main_name = "main" if "main" in names else (names[-1] if names else "main")
        for i, c in enumerate(cset.get("containers") or []):
            containers.append(_container(c, c.get("name") or f"c{i}", "main", f"{where}.containerSet.containers[{i}]"))
        for vm in cset.get("volumeMounts") or []:
            for c in containers:
                c.volume_mounts.append(VolumeMount(vm["name"], vm["mountPath"], vm.get("subPath"),
                                                   bool(vm.get("readOnly", False))))
    else:
        raise SpecError("template has no container, script or containerSet", field=where)
    for i, side in enumerate(template.get("sidecars") or []):
        containers.append(_container(side, side.get("name") or f"sidecar-{i}", "sidecar", f"{where}.sidecars[{i}]"))
    _mirror_volume_mounts(template, containers, main_name)

    outputs = template.get("outputs") or {}
    out_params = [OutputParameterPlan(p["name"], p["valueFrom"]["path"])
                  for p in outputs.get("parameters") or [] if (p.get("valueFrom") or {}).get("path")]
    out_arts = [OutputArtifactPlan(a["name"], a["path"], a.get("archive"), bool(a.get("optional", False)))
                for a in outputs.get("artifacts") or [] if a.get("path")]
    argo_dir.mkdir(parents=True, exist_ok=True)
    (argo_dir / "template").write_text(json.dumps(template))
    return PodPlan(
        run_id=run_id, node_id=node_id, pod_name=pod_name, argo_dir=argo_dir, containers=containers,
        template=template, main_container=main_name, output_parameters=out_params, output_artifacts=out_arts,
        input_files=input_files, volumes=volumes, labels=labels, annotations=annotations,
        daemon=bool(template.get("daemon")), deadline_seconds=deadline, max_output_bytes=max_output_bytes,
    )
