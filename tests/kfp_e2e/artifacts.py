"""Read a stored output artifact back, whatever the engine recorded for it (tests only)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from wfexec.kfp.outputs import artifact_url


def artifact_bytes(artifact: dict[str, Any]) -> bytes:
    """The content of a one-file artifact in the local repository (unpacked if it is a .tgz)."""
    url = artifact_url(artifact)
    assert url and not url.startswith("s3://"), f"not in the local repository: {artifact}"
    blob = Path(url).read_bytes()
    if blob[:2] != b"\x1f\x8b":
        return blob
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        files = [m for m in tar.getmembers() if m.isfile()]
        assert len(files) == 1, f"expected one file in {url}, got {[m.name for m in files]}"
        extracted = tar.extractfile(files[0])
        assert extracted is not None
        return extracted.read()


def node_artifact(node: dict[str, Any], name: str) -> dict[str, Any]:
    arts = {a["name"]: a for a in (node.get("outputs") or {}).get("artifacts") or []}
    assert name in arts, f"node {node.get('displayName')!r} has no output artifact {name!r}; has {sorted(arts)}"
    return arts[name]
