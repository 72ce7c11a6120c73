"""The `platforms.kubernetes` document of a pipeline, given a local meaning.

Secrets and ConfigMaps become environment variables or files, read by the launcher from
`$WFEXEC_HOME/secrets/<name>/<key>` and `$WFEXEC_HOME/configmaps/<name>/<key>` (never copied into
the run's record); PVC mounts are the engine's claims; `empty_dir` an emptyDir; pod metadata
feeds `fieldPathAsEnv`. Settings with no meaning on one machine give one warning line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wfexec.errors import SpecError
from wfexec.home import wfexec_home
from wfexec.kfp.v2.ir import Pipeline

NO_LOCAL_MEANING = ("nodeSelector", "tolerations", "nodeAffinity", "imagePullSecret", "imagePullPolicy",
                    "activeDeadlineSeconds", "genericEphemeralVolume", "enabledSharedMemory")
REMOTE_SCHEMES = ("gs://", "http://", "https://", "oci://", "minio://", "s3://")


@dataclass
class Extra:
    spec: dict[str, Any] = field(default_factory=dict)
    volume_mounts: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[str, dict[str, Any]] = field(default_factory=dict)  # launcher value name -> IR binding


def check_importer_uri(uri: str, task: str, file: str) -> None:
    if uri.startswith(REMOTE_SCHEMES):
        raise SpecError(f"task {task!r} imports {uri}, which needs a network download this machine cannot make "
                        "(give a local path)", file=file, field="deploymentSpec.executors.importer.artifactUri")


def executor_settings(pipeline: Pipeline, label: str, task: str, warnings: list[str]) -> Extra:
    k8s = ((pipeline.platforms.get("kubernetes") or {}).get("deploymentSpec") or {}).get("executors") or {}
    cfg = k8s.get(label) or {}
    out = Extra()
    home = str(wfexec_home())
    out.spec["secrets_root"] = home + "/secrets"
    out.spec["configmaps_root"] = home + "/configmaps"
    for key in NO_LOCAL_MEANING:
        if cfg.get(key):
            warnings.append(f"task {task!r}: platforms.kubernetes {key} has no meaning on one machine; ignored")
    env_sources: list[dict[str, Any]] = []
    file_sources: list[dict[str, Any]] = []
    for kind, field_name in (("secret", "secretAsEnv"), ("configmap", "configMapAsEnv")):
        for i, item in enumerate(cfg.get(field_name) or []):
            name = _name_ref(out, item, kind, f"{field_name}{i}")
            pairs = [(kv.get("secretKey") or kv.get("configMapKey"), kv.get("envVar")) for kv in item.get("keyToEnv") or []]
            env_sources.append({"kind": kind, "name": name, "keys": pairs, "optional": bool(item.get("optional"))})
    for kind, field_name in (("secret", "secretAsVolume"), ("configmap", "configMapAsVolume")):
        for i, item in enumerate(cfg.get(field_name) or []):
            name = _name_ref(out, item, kind, f"{field_name}{i}")
            vol = f"kfp-{kind}-{i}"
            out.volumes.append({"name": vol, "emptyDir": {}})
            out.volume_mounts.append({"name": vol, "mountPath": item["mountPath"]})
            file_sources.append({"kind": kind, "name": name, "mount": item["mountPath"],
                                 "optional": bool(item.get("optional"))})
    for item in cfg.get("pvcMount") or []:
        claim = item.get("constant") or item.get("pvcName") or \
            ((item.get("pvcNameParameter") or {}).get("runtimeValue") or {}).get("constant")
        if not claim:
            raise SpecError(f"task {task!r}: a PVC named by a run-time parameter is not supported; name the claim",
                            file=pipeline.file, field=f"platforms.kubernetes.deploymentSpec.executors.{label}.pvcMount")
        vol = f"kfp-pvc-{re.sub(r'[^a-z0-9-]', '-', str(claim).lower())}"
        out.volumes.append({"name": vol, "persistentVolumeClaim": {"claimName": str(claim)}})
        out.volume_mounts.append({"name": vol, "mountPath": item["mountPath"]})
    for i, item in enumerate(cfg.get("emptyDirMounts") or []):
        vol = f"kfp-empty-{i}-{re.sub(r'[^a-z0-9-]', '-', str(item.get('volumeName', '')).lower())}"
        out.volumes.append({"name": vol, "emptyDir": {}})
        out.volume_mounts.append({"name": vol, "mountPath": item["mountPath"]})
    meta = cfg.get("podMetadata") or {}
    field_env: dict[str, str] = {}
    for item in cfg.get("fieldPathAsEnv") or []:
        m = re.fullmatch(r"metadata\.(annotations|labels)\['([^']*)'\]", str(item.get("fieldPath", "")))
        if m:
            field_env[item["name"]] = str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
        elif item.get("fieldPath") in ("metadata.name",):
            field_env[item["name"]] = "$POD_NAME"
        else:
            warnings.append(f"task {task!r}: fieldPathAsEnv {item.get('fieldPath')!r} has no local value; empty")
            field_env[item["name"]] = ""
    if env_sources or file_sources:  # read by the launcher: bound where they are (the step's /tmp is its own)
        for kind in ("secrets", "configmaps"):
            folder = wfexec_home() / kind
            folder.mkdir(parents=True, exist_ok=True)
            out.volumes.append({"name": f"kfp-{kind}-root", "hostPath": {"path": str(folder)}})
            out.volume_mounts.append({"name": f"kfp-{kind}-root", "mountPath": str(folder), "readOnly": True})
    out.spec["extra_env"] = field_env
    out.spec["env_sources"] = env_sources
    out.spec["file_sources"] = file_sources
    return out


def _name_ref(out: Extra, item: dict[str, Any], kind: str, slot: str) -> dict[str, Any]:
    """The secret or ConfigMap name: a constant, or a value the launcher gets as `--k SLOT VALUE`."""
    const = item.get("secretName") or item.get("configMapName")
    ref = item.get("secretNameParameter") or item.get("configMapNameParameter") or {}
    if (ref.get("runtimeValue") or {}).get("constant") is not None:
        const = ref["runtimeValue"]["constant"]
    if const:
        return {"constant": str(const)}
    out.refs[slot] = ref
    return {"slot": slot}
