"""Find an image's ENTRYPOINT and CMD: the config's `images:` index, the local daemon, a registry.

Lookups are cached by digest under `$WFEXEC_HOME/cache/image-config/`, never by tag: the tag is
resolved to a digest first (the local image id, or a registry HEAD), so a moved `:latest` misses
the cache and is looked up again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.config import ExecutorConfig
from wfexec.errors import MigrateError
from wfexec.extras import install_hint
from wfexec.home import wfexec_home
from wfexec.migrate.reference import parse_image
from wfexec.migrate.registry import RegistryClient, RegistryOptions


@dataclass(frozen=True)
class ImageConfig:
    """What an image runs by default, and where that was learnt (config, daemon, registry, cache)."""

    entrypoint: list[str] | None
    cmd: list[str] | None
    digest: str | None
    source: str


@dataclass
class _Attempts:
    notes: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    return wfexec_home() / "cache" / "image-config"


def _cache_file(digest: str) -> Path:
    algo, _, hexpart = digest.partition(":")
    return cache_dir() / algo / f"{hexpart}.json"


def _cache_get(digest: str) -> dict[str, Any] | None:
    try:
        return json.loads(_cache_file(digest).read_text())
    except (OSError, ValueError):
        return None


def _cache_put(digest: str, entrypoint: list[str] | None, cmd: list[str] | None) -> None:
    file = _cache_file(digest)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump({"entrypoint": entrypoint, "cmd": cmd}, fh)
    os.replace(tmp, file)


def _list(value: Any) -> list[str] | None:
    return [str(x) for x in value] if value else None


def lookup_image_config(image: str, *, config: ExecutorConfig | None = None,
                        registry_options: RegistryOptions | None = None,
                        use_daemon: bool = True, use_registry: bool = True) -> ImageConfig:
    """ENTRYPOINT/CMD of `image`; MigrateError naming the image and every place that was tried.

    `use_registry=False` keeps the lookup off the network (export --no-registry).
    """
    config = config or ExecutorConfig()
    options = registry_options or RegistryOptions(insecure_registries=list(config.insecure_registries))
    entrypoint, cmd = config.image_command(image)
    if entrypoint is not None or cmd is not None:
        return ImageConfig(entrypoint, cmd, None, "config")
    local = config.map_image(image)
    attempts = _Attempts(["not in the config's images: index"])
    if use_daemon:
        found = _from_daemon(local, attempts)
        if found is not None:
            return found
    if not use_registry:
        raise MigrateError(f"image {image!r}: {'; '.join(attempts.notes)}; registry not asked")
    return _from_registry(image, options, attempts)


def _from_daemon(image: str, attempts: _Attempts) -> ImageConfig | None:
    try:
        import docker
    except ImportError:
        attempts.notes.append(f"no local Docker daemon asked (the docker package is not installed: "
                              f"{install_hint('docker')})")
        return None
    from docker.errors import DockerException, ImageNotFound

    try:
        client = docker.from_env(timeout=10)
    except DockerException:
        attempts.notes.append("no local Docker daemon")
        return None
    try:
        attrs = client.images.get(image).attrs
    except ImageNotFound:
        attempts.notes.append("not in the local Docker daemon")
        return None
    except (DockerException, OSError) as exc:
        attempts.notes.append(f"local Docker daemon unavailable ({type(exc).__name__})")
        return None
    finally:
        client.close()
    digest = attrs.get("Id")
    cached = _cache_get(digest) if digest else None
    if cached is not None:
        return ImageConfig(cached["entrypoint"], cached["cmd"], digest, "cache")
    cfg = attrs.get("Config") or {}
    entrypoint, cmd = _list(cfg.get("Entrypoint")), _list(cfg.get("Cmd"))
    if digest:
        _cache_put(digest, entrypoint, cmd)
    return ImageConfig(entrypoint, cmd, digest, "daemon")


def _from_registry(image: str, options: RegistryOptions, attempts: _Attempts) -> ImageConfig:
    ref = parse_image(image)
    client = RegistryClient(ref, options)
    try:
        digest = client.resolve_digest()
        cached = _cache_get(digest)
        if cached is not None:
            return ImageConfig(cached["entrypoint"], cached["cmd"], digest, "cache")
        blob = client.image_config(digest)
    except MigrateError as exc:
        raise MigrateError(f"image {image!r}: {'; '.join(attempts.notes)}; {exc}") from None
    finally:
        client.close()
    cfg = blob.get("config") or {}
    entrypoint, cmd = _list(cfg.get("Entrypoint")), _list(cfg.get("Cmd"))
    _cache_put(digest, entrypoint, cmd)
    return ImageConfig(entrypoint, cmd, digest, "registry")
