"""The emissary on the docker runtime: the command it wraps in each container.

The emissary runs as each container's entrypoint and reports through the pod's argo dir; the
shared `executors.emissary.EmissaryExecutor` (with Docker as its container engine) reads it.
"""

from __future__ import annotations

from typing import Any

from wfexec.commands import command_from_image
from wfexec.errors import ExecutorError
from wfexec.pod import ARGO_DIR_IN_CONTAINER, ContainerPlan
from wfexec.runtimes.docker.support import configured_image_command

EMISSARY_IN_CONTAINER = f"{ARGO_DIR_IN_CONTAINER}/emissary"


def emissary_command(container: ContainerPlan, image: str, image_cfg: dict[str, Any], config: Any,
                     template: str) -> list[str]:
    """The full command the emissary wraps: spec, then the `images:` index, then the image itself."""
    if container.command:
        return [*container.command, *(container.args or [])]
    sources: list[tuple[list[str] | None, list[str] | None]] = []
    configured = configured_image_command(config, *dict.fromkeys([container.image or "", image]))
    if configured is not None:
        sources.append(configured)
    sources.append((image_cfg.get("Entrypoint"), image_cfg.get("Cmd")))
    for entrypoint, cmd in sources:
        command, args = command_from_image(None, container.args, entrypoint, cmd)
        if command:
            return [*command, *(args or [])]
    raise ExecutorError(
        f"template {template!r}, container {container.name!r}: the emissary executor needs `command` "
        f"and none could be found for image {container.image!r} (no `command` in the template, the image is "
        "not in the executor config's `images:` index, and it has no ENTRYPOINT or CMD). Add `command` to "
        "the template, add the image to `images:` in the executor config, or run `wfexec migrate`."
    )
