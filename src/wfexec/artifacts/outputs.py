"""Store a step's packed outputs (and, with archiveLogs, its logs) the way Argo does.

The executor hands the engine a packed file per output artifact (PodResult.artifacts:
`<name>.tgz`, a zip, or the raw file/tree for `archive: none`); the engine stores it under
`<rendered keyFormat>/<file name>` and records the returned location in the node's outputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wfexec.artifacts.keys import artifact_file_name, output_key
from wfexec.artifacts.location import ArtifactLocation
from wfexec.artifacts.repository import Repository


def store_output(repository: Repository, packed: Path, *, name: str, path: str | None,
                 archive: dict[str, Any] | None, variables: dict[str, Any]) -> ArtifactLocation:
    """Put one packed output artifact; variables give workflow.name, pod.name, … for keyFormat."""
    key = output_key(repository.key_format, variables, artifact_file_name(name, path, archive))
    return repository.put(packed, key, name=name).with_name(name, path)


def store_log(repository: Repository, log_file: Path, *, container: str,
              variables: dict[str, Any]) -> ArtifactLocation:
    """archiveLogs: a container's combined log as the artifact `<container>-logs`, key `…/<container>.log`."""
    name = f"{container}-logs"
    key = output_key(repository.key_format, variables, f"{container}.log")
    return repository.put(log_file, key, name=name).with_name(name)
