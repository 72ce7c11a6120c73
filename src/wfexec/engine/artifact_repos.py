"""Which artifact repository a run uses, chosen the way Argo chooses it.

Order (first match wins), as in Argo:

1. `spec.artifactRepositoryRef` of the workflow: `{configMap, key}` resolved against the
   ConfigMap files below (a missing ConfigMap or key is an error, not a fallback);
2. the namespace default: a ConfigMap named `artifact-repositories` carrying the annotation
   `workflows.argoproj.io/default-artifact-repository`;
3. `artifactRepository` in the executor config (the workflow-controller-configmap);
4. wfexec's default, a local directory under `$WFEXEC_HOME/artifacts`.

ConfigMap files stand in for the namespace's ConfigMaps. They are every `*.yaml`, `*.yml` and
`*.json` file in `$WFEXEC_HOME/configmaps/`, plus the files listed under `configMaps:` in the
executor config (paths relative to the config file). Each may hold several documents; only
`kind: ConfigMap` documents count. The choice is recorded in the run's
`status.artifactRepositoryRef` (secret *names* only, never values), so `wfexec cp` reads the
same repository later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfexec.config import load_config
from wfexec.errors import ConfigError
from wfexec.home import wfexec_home

CONFIGMAP_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class RepoChoice:
    """The `artifactRepository` dict in force (None: local default) and how it was chosen."""

    config: dict[str, Any] | None
    ref: dict[str, Any]


def configmap_files(config_path: str | None) -> list[Path]:
    """The ConfigMap files standing in for the namespace (see the module doc)."""
    files: list[Path] = []
    cm_dir = wfexec_home() / "configmaps"
    if cm_dir.is_dir():
        files += sorted(p for p in cm_dir.iterdir() if p.suffix in CONFIGMAP_SUFFIXES and p.is_file())
    cfg = load_config(config_path)
    listed = cfg.raw.get("configMaps") or []
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list):
        raise ConfigError(f"{cfg.path}: configMaps: expected a list of files holding ConfigMap documents")
    base = cfg.path.parent if cfg.path else Path.cwd()
    for item in listed:
        p = Path(str(item)).expanduser()
        files.append(p if p.is_absolute() else base / p)
    return files


def choose_repository(spec: dict[str, Any], namespace: str, config_path: str | None) -> RepoChoice:
    """The repository config a workflow's outputs go to (see the module doc for the order)."""
    files = configmap_files(config_path)
    ref = spec.get("artifactRepositoryRef")
    if ref is not None or files:
        # A ConfigMap may choose: the artifact layer reads it (imported here, not by every run's engine).
        from wfexec.artifacts.repository import resolve_repository_ref

        if ref is not None:
            if not isinstance(ref, dict):
                raise ConfigError("spec.artifactRepositoryRef: expected {configMap: NAME, key: KEY}")
            conf = resolve_repository_ref(ref, files)
            return RepoChoice(conf, _ref(ref.get("configMap"), ref.get("key"), files, namespace, conf))
        if _has_namespace_default(files):
            conf = resolve_repository_ref({}, files)
            return RepoChoice(conf, _ref(None, None, files, namespace, conf))
    cfg = load_config(config_path)
    if cfg.artifact_repository:
        return RepoChoice(dict(cfg.artifact_repository), {"default": True,
                                                            "artifactRepository": cfg.artifact_repository})
    return RepoChoice(None, {"default": True})


def _ref(cm: str | None, key: str | None, files: list[Path], namespace: str,
         conf: dict[str, Any]) -> dict[str, Any]:
    from wfexec.artifacts.repository import DEFAULT_REF_ANNOTATION, DEFAULT_REF_CONFIGMAP

    name = cm or DEFAULT_REF_CONFIGMAP
    if not key:
        doc = _configmap(name, files) or {}
        key = ((doc.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_REF_ANNOTATION) or "default-v1"
    return {"configMap": name, "key": key, "namespace": namespace, "artifactRepository": conf}


def _has_namespace_default(files: list[Path]) -> bool:
    from wfexec.artifacts.repository import DEFAULT_REF_ANNOTATION, DEFAULT_REF_CONFIGMAP

    doc = _configmap(DEFAULT_REF_CONFIGMAP, files)
    return bool(doc and ((doc.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_REF_ANNOTATION))


def _configmap(name: str, files: list[Path]) -> dict[str, Any] | None:
    if not files:
        return None  # the usual case: no ruamel to load (every run's engine asks)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    for path in files:
        try:
            docs = list(YAML(typ="safe", pure=True).load_all(path.read_text()))
        except OSError as e:
            raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
        except YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {str(e).splitlines()[0]}") from None
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" \
                    and (doc.get("metadata") or {}).get("name") == name:
                return doc
    return None
