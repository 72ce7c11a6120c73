"""Where a stored artifact lives, rendered the way Argo shows it in node outputs.

Argo reports an output artifact in `status.nodes[*].outputs.artifacts[*]` as its name, the
container path, and one driver block: `{"name", "path", "s3": {"key", "bucket",
"endpoint", …}}`. Our default local-directory repository has no Argo counterpart; it uses
the same shape with a `local` driver block holding the key and the repository root, so a
user reads it like any other driver: `{"name", "path", "local": {"key", "root"}}`.
Credentials are never part of a location (only the names of secrets, as Argo does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wfexec.errors import ArtifactError

DRIVERS = ("local", "s3")


@dataclass(frozen=True)
class ArtifactLocation:
    """A key in one repository; `extra` holds the driver's non-secret fields (bucket, …)."""

    driver: str
    key: str
    name: str = ""
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def with_name(self, name: str, path: str | None = None) -> ArtifactLocation:
        return ArtifactLocation(self.driver, self.key, name, path if path is not None else self.path,
                                dict(self.extra))

    def to_argo(self) -> dict[str, Any]:
        """The artifact as Argo's status shows it."""
        out: dict[str, Any] = {"name": self.name}
        if self.path:
            out["path"] = self.path
        out[self.driver] = {"key": self.key, **self.extra}
        return out

    @classmethod
    def from_argo(cls, art: dict[str, Any]) -> ArtifactLocation:
        """Read back a location rendered by to_argo (or an Argo `s3:` artifact)."""
        for driver in DRIVERS:
            block = art.get(driver)
            if isinstance(block, dict) and block.get("key"):
                extra = {k: v for k, v in block.items()
                         if k != "key" and k not in ("accessKeySecret", "secretKeySecret")}
                return cls(driver, str(block["key"]), str(art.get("name", "")), art.get("path"), extra)
        raise ArtifactError(f"artifact {art.get('name', '?')!r} has no stored location "
                            f"(expected one of {', '.join(DRIVERS)} with a key)")
