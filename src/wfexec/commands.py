"""The one rule that turns an image's config into `command`/`args` with Kubernetes semantics.

Below the runtimes, `migrate` and `export`, which all use it, so none of them imports another."""

from __future__ import annotations


def command_from_image(
    command: list[str] | None,
    args: list[str] | None,
    entrypoint: list[str] | None,
    cmd: list[str] | None,
) -> tuple[list[str] | None, list[str] | None]:
    """Return (command, args) that run what the container would run.

    A given `command` wins. Otherwise ENTRYPOINT becomes `command` and CMD becomes `args`
    unless args are given. With no ENTRYPOINT, Kubernetes runs the given args alone, else CMD:
    whichever it is becomes `command`. (None, None) means nothing could be resolved.
    """
    if command:
        return list(command), (list(args) if args is not None else None)
    if entrypoint:
        return list(entrypoint), (list(args) if args is not None else (list(cmd) if cmd else None))
    if args:
        return list(args), None
    if cmd:
        return list(cmd), None
    return None, None
