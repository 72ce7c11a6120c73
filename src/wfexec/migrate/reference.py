"""Image references (`[host[:port]/]repo[:tag][@digest]`), split the way Docker splits them."""

from __future__ import annotations

from dataclasses import dataclass

from wfexec.errors import MigrateError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference; `registry` is the host to talk to."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        """What to ask the registry's manifest endpoint for: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry


def parse_image(image: str) -> ImageRef:
    """Split `image`; a first part with a dot, a colon or `localhost` is a registry host."""
    name = image.strip()
    if not name or any(c.isspace() for c in name):
        raise MigrateError(f"image {image!r}: not a valid image reference")
    digest = None
    if "@" in name:
        name, digest = name.split("@", 1)
        if ":" not in digest:
            raise MigrateError(f"image {image!r}: digest must look like sha256:HEX")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
        if "/" not in repository:
            repository = f"library/{repository}"
    if not repository or repository != repository.lower():
        raise MigrateError(f"image {image!r}: repository names are lower case")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry, repository, tag, digest)
