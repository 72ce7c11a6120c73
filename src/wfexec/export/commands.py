"""Under the emissary, every main container needs its `command`: fill it the way `migrate` would.

Argo's emissary wraps each main container's command (`/var/run/argo/argoexec emissary -- …`),
so it must be known: from the spec, the controller's `images:` index, or the image itself. We
look it up once per image (config `images:`, then the local daemon, then the registry) and write
it into the exported document, so the cluster does not depend on reaching the registry.
Sidecars and init containers are not wrapped by the emissary and are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from wfexec.commands import command_from_image
from wfexec.config import ExecutorConfig
from wfexec.errors import MigrateError
from wfexec.migrate.image_config import ImageConfig, lookup_image_config
from wfexec.migrate.registry import RegistryOptions
from wfexec.migrate.specs import is_templated

Lookup = Callable[[str], ImageConfig]


def make_lookup(config: ExecutorConfig, *, daemon: bool = True, registry: bool = True) -> Lookup:
    """The migrate lookup, asked once per image; a failure is remembered too."""
    options = RegistryOptions(insecure_registries=list(config.insecure_registries))
    memo: dict[str, ImageConfig | MigrateError] = {}

    def lookup(image: str) -> ImageConfig:
        if image not in memo:
            try:
                memo[image] = lookup_image_config(image, config=config, registry_options=options,
                                                  use_daemon=daemon, use_registry=registry)
            except MigrateError as exc:
                memo[image] = exc
        found = memo[image]
        if isinstance(found, MigrateError):
            raise found
        return found

    return lookup


def main_containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, container mapping, "container"|"script") for every container the emissary wraps."""
    for i, template in enumerate(spec.get("templates") or []):
        if not isinstance(template, dict):
            continue
        where = f"spec.templates[{i}] ({template.get('name')})"
        for kind in ("container", "script"):
            if isinstance(template.get(kind), dict):
                yield f"{where}.{kind}", template[kind], kind
        cset = template.get("containerSet")
        for j, ctr in enumerate((cset or {}).get("containers") or [] if isinstance(cset, dict) else []):
            if isinstance(ctr, dict):
                yield f"{where}.containerSet.containers[{j}]", ctr, "container"


def fill_commands(spec: dict[str, Any], lookup: Lookup, note: Callable[[str], None],
                  missing: list[str], label: str = "") -> None:
    """Give each main container without `command` its image's; what cannot be found goes to `missing`."""
    for where, ctr, kind in main_containers(spec):
        if ctr.get("command"):
            continue
        where = f"{label}{where}"
        image = ctr.get("image")
        if not image or is_templated(str(image)):
            missing.append(f"{where}: image {image!r} cannot be looked up before the run; set command by hand")
            continue
        try:
            found = lookup(str(image))
        except MigrateError as exc:
            missing.append(f"{where}: no command: {exc}")
            continue
        if kind == "script":  # Argo appends the script file as the last argument
            command, args = found.entrypoint or found.cmd, None
        else:
            given = ctr.get("args") if isinstance(ctr.get("args"), list) else None
            command, args = command_from_image(None, given, found.entrypoint, found.cmd)
            if given is not None and args is None and command == given:
                del ctr["args"]  # Kubernetes ran the args alone: they are the command now
            elif given is None and args:
                ctr["args"] = args
        if not command:
            missing.append(f"{where}: image {image!r} has neither ENTRYPOINT nor CMD ({found.source})")
            continue
        ctr["command"] = list(command)
        note(f"{where}: command {command} from image {image} ({found.source})")
