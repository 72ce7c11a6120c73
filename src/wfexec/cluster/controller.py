"""The Argo controller in a cluster: its `workflow-controller-configmap` and its version.

The ConfigMap is looked for in the namespace given, else in `kubeflow` (Kubeflow Pipelines),
`default` and `argo` (Argo's own install), in that order. The version comes from the image tag
of the `workflow-controller` Deployment beside it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from wfexec.cluster.kube import call
from wfexec.errors import ClusterError

CONFIGMAP = "workflow-controller-configmap"
DEPLOYMENT = "workflow-controller"
SEARCH_NAMESPACES = ("kubeflow", "default", "argo")
EXECUTORS = ("docker", "emissary")
KEY = "containerRuntimeExecutor"


@dataclass
class ControllerConfig:
    """The ConfigMap as found, its executor, and the controller's version."""

    namespace: str
    data: dict[str, str]
    executor: str | None  # as set in the ConfigMap; None when unset
    argo_version: tuple[int, int, int] | None
    controller_image: str | None

    @property
    def effective_executor(self) -> str:
        """What the controller uses: the ConfigMap's value, else its default for this version."""
        if self.emissary_only:
            return "emissary"
        if self.executor:
            return self.executor
        return default_executor(self.argo_version)

    @property
    def emissary_only(self) -> bool:
        """Argo 3.4 removed every executor but the emissary."""
        return self.argo_version is not None and self.argo_version >= (3, 4, 0)

    @property
    def version_text(self) -> str:
        return "v" + ".".join(map(str, self.argo_version)) if self.argo_version else "unknown"


def default_executor(version: tuple[int, int, int] | None) -> str:
    """Argo's default: emissary from v3.3, docker before. Unknown version: the modern default."""
    if version is not None and version < (3, 3, 0):
        return "docker"
    return "emissary"


def parse_version(image: str | None) -> tuple[int, int, int] | None:
    """(3, 3, 8) from `…/workflow-controller:v3.3.8-license-compliance`; None without a version tag."""
    if not image or ":" not in image.rsplit("/", 1)[-1]:
        return None
    tag = image.rsplit(":", 1)[1]
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", tag)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _inner_config(data: dict[str, str]) -> dict[str, Any]:
    text = data.get("config")
    if not text:
        return {}
    try:
        parsed = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise ClusterError(f"ConfigMap {CONFIGMAP}: data.config is not valid YAML: {' '.join(str(exc).split())}") \
            from None
    return parsed if isinstance(parsed, dict) else {}


def executor_in(data: dict[str, str]) -> str | None:
    """containerRuntimeExecutor from `data`, or from the older `config: |` block."""
    value = data.get(KEY) or _inner_config(data).get(KEY)
    return str(value) if value else None


def images_in(data: dict[str, str]) -> dict[str, Any]:
    """The ConfigMap's `images:` index (a YAML string in data, or inside `config`)."""
    raw: Any = data.get("images")
    if isinstance(raw, str):
        try:
            raw = YAML(typ="safe").load(raw)
        except YAMLError:
            raw = None
    if raw is None:
        raw = _inner_config(data).get("images")
    return raw if isinstance(raw, dict) else {}


def find(api: Any, namespace: str | None) -> tuple[str, dict[str, Any]]:
    """(namespace, ConfigMap as a dict); ClusterError saying where it was looked for."""
    from kubernetes import client

    core = client.CoreV1Api(api)
    searched = [namespace] if namespace else list(SEARCH_NAMESPACES)
    for ns in searched:
        cm = call(f"GET configmap {ns}/{CONFIGMAP}",
                  lambda ns=ns: core.read_namespaced_config_map(CONFIGMAP, ns), missing_ok=True)
        if cm is not None:
            return ns, api.sanitize_for_serialization(cm)
    where = ", ".join(searched)
    hint = "" if namespace else "; pass --namespace if Argo is installed elsewhere"
    raise ClusterError(f"ConfigMap {CONFIGMAP} not found (searched namespace{'s' if len(searched) > 1 else ''} "
                       f"{where}){hint}")


def controller_image(api: Any, namespace: str) -> str | None:
    from kubernetes import client

    apps = client.AppsV1Api(api)
    dep = call(f"GET deployment {namespace}/{DEPLOYMENT}",
               lambda: apps.read_namespaced_deployment(DEPLOYMENT, namespace), missing_ok=True)
    if dep is None:
        return None
    for container in dep.spec.template.spec.containers or []:
        if "workflow-controller" in (container.image or "") or container.name == DEPLOYMENT:
            return container.image
    return None


def read(api: Any, namespace: str | None) -> ControllerConfig:
    ns, cm = find(api, namespace)
    data = cm.get("data") or {}
    image = controller_image(api, ns)
    return ControllerConfig(ns, data, executor_in(data), parse_version(image), image)


def set_executor(api: Any, namespace: str | None, value: str) -> tuple[ControllerConfig, ControllerConfig]:
    """Patch containerRuntimeExecutor and read it back: (before, after)."""
    from kubernetes import client

    if value not in EXECUTORS:
        raise ClusterError(f"{KEY}: {value!r} is not supported: expected docker or emissary")
    before = read(api, namespace)
    if value == "docker" and before.emissary_only:
        raise ClusterError(f"the cluster runs Argo {before.version_text} (controller image {before.controller_image}); "
                           "from v3.4 only the emissary executor exists, so containerRuntimeExecutor: docker "
                           "would be ignored. Nothing was changed.")
    patch: dict[str, Any] = {KEY: value}
    inner = _inner_config(before.data)
    if KEY not in before.data and KEY in inner:
        inner[KEY] = value
        buf = io.StringIO()
        YAML(typ="safe", pure=True).dump(inner, buf)
        patch = {"config": buf.getvalue()}
    core = client.CoreV1Api(api)
    call(f"PATCH configmap {before.namespace}/{CONFIGMAP}",
         lambda: core.patch_namespaced_config_map(CONFIGMAP, before.namespace, {"data": patch},
                                                  _content_type="application/strategic-merge-patch+json"))
    after = read(api, before.namespace)
    if after.executor != value:
        raise ClusterError(f"ConfigMap {before.namespace}/{CONFIGMAP}: patched {KEY} to {value!r} but it reads "
                           f"back as {after.executor!r}; an admission webhook or operator may be reverting it")
    return before, after
