"""Artifact repositories, configured the way Argo configures them.

`artifactRepository` in the workflow-controller-configmap (or an entry of the
`artifact-repositories` ConfigMap that `artifactRepositoryRef` points at) is a dict such as
`{archiveLogs: true, s3: {endpoint, bucket, keyFormat, insecure, region, accessKeySecret,
secretKeySecret}}`. No configuration means our default: a local directory under
`$WFEXEC_HOME/artifacts` (`{local: {path: …, keyFormat: …}}` sets it explicitly).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from wfexec.artifacts.keys import DEFAULT_KEY_FORMAT
from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.secrets import SecretResolver
from wfexec.errors import ArtifactError, ConfigError

DEFAULT_REF_CONFIGMAP = "artifact-repositories"
DEFAULT_REF_ANNOTATION = "workflows.argoproj.io/default-artifact-repository"


class Repository(ABC):
    """Stores files or directory trees under keys; knows nothing of workflows."""

    driver: str = ""
    key_format: str = DEFAULT_KEY_FORMAT
    archive_logs: bool = False

    @abstractmethod
    def put(self, local_path: str | Path, key: str, *, name: str = "") -> ArtifactLocation:
        """Store a file (or a directory tree) under key."""

    @abstractmethod
    def get(self, location: ArtifactLocation, local_path: str | Path) -> Path:
        """Copy what is stored at location to local_path (a file, or a directory tree)."""

    @abstractmethod
    def exists(self, location: ArtifactLocation) -> bool:
        """Whether something is stored at location."""

    @abstractmethod
    def delete(self, location: ArtifactLocation) -> None:
        """Remove what is stored at location (no error if it is already gone)."""

    def location(self, key: str, name: str = "") -> ArtifactLocation:
        """A location in this repository for key (used for `s3: {key}`-only inputs)."""
        return ArtifactLocation(self.driver, key, name)


def make_repository(config: dict[str, Any] | None, *,
                    resolve_secret: SecretResolver | None = None) -> Repository:
    """Build the repository an `artifactRepository` dict describes; None -> local default."""
    from wfexec.artifacts.local_repo import LocalRepository

    config = dict(config or {})
    archive_logs = bool(config.pop("archiveLogs", False))
    drivers = [k for k in config if k in ("s3", "local")]
    unknown = [k for k in config if k not in ("s3", "local")]
    if unknown:
        raise ConfigError(f"artifactRepository: unsupported repository type {', '.join(sorted(unknown))} "
                          "(wfexec supports s3 and local)")
    if len(drivers) > 1:
        raise ConfigError("artifactRepository: set exactly one of s3, local")
    repo: Repository
    if not drivers or drivers[0] == "local":
        block = config.get("local") or {}
        repo = LocalRepository(block.get("path"), key_format=block.get("keyFormat") or DEFAULT_KEY_FORMAT)
    else:
        from wfexec.artifacts.s3_repo import S3Repository

        repo = S3Repository.from_config(config["s3"] or {}, resolve_secret=resolve_secret)
    repo.archive_logs = archive_logs
    return repo


def resolve_repository_ref(ref: dict[str, Any] | None, configmap_files: list[Path]) -> dict[str, Any]:
    """The `artifactRepository` dict an `artifactRepositoryRef` selects.

    ref is `{configMap: <name>, key: <key>}`, both optional: the ConfigMap defaults to
    `artifact-repositories`, the key to the value of its
    `workflows.argoproj.io/default-artifact-repository` annotation (conventionally
    `default-v1`), as in Argo.
    """
    ref = ref or {}
    cm_name = ref.get("configMap") or DEFAULT_REF_CONFIGMAP
    cm = _find_configmap(cm_name, configmap_files)
    data = cm.get("data") or {}
    annotations = (cm.get("metadata") or {}).get("annotations") or {}
    key = ref.get("key") or annotations.get(DEFAULT_REF_ANNOTATION)
    if not key:
        key = "default-v1" if "default-v1" in data else None
    if not key:
        raise ConfigError(f"artifactRepositoryRef: ConfigMap {cm_name!r} has no key given and no "
                          f"{DEFAULT_REF_ANNOTATION} annotation")
    if key not in data:
        raise ConfigError(f"artifactRepositoryRef: ConfigMap {cm_name!r} has no key {key!r} "
                          f"(keys: {', '.join(sorted(data)) or 'none'})")
    value = data[key]
    parsed = _load_yaml(value, f"ConfigMap {cm_name!r} key {key!r}") if isinstance(value, str) else value
    if not isinstance(parsed, dict):
        raise ConfigError(f"artifactRepositoryRef: ConfigMap {cm_name!r} key {key!r} is not a mapping")
    from wfexec.config import plain_data

    return plain_data(parsed)


def _find_configmap(name: str, files: list[Path]) -> dict[str, Any]:
    for path in files:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
        for doc in _load_yaml_all(text, str(path)):
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" \
                    and (doc.get("metadata") or {}).get("name") == name:
                from wfexec.config import plain_data

                return plain_data(doc)
    raise ConfigError(f"artifactRepositoryRef: no ConfigMap named {name!r} in "
                      f"{', '.join(str(p) for p in files) or 'the given files'}")


def _load_yaml(text: str, where: str) -> Any:
    docs = _load_yaml_all(text, where)
    return docs[0] if docs else None


def _load_yaml_all(text: str, where: str) -> list[Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return list(YAML(typ="safe", pure=True).load_all(text))
    except YAMLError as e:
        raise ConfigError(f"{where}: invalid YAML: {str(e).splitlines()[0]}") from None


__all__ = ["ArtifactError", "ArtifactLocation", "Repository", "make_repository", "resolve_repository_ref"]
