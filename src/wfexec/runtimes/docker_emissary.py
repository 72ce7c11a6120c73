"""The emissary executor on the docker runtime.

The emissary runs as each container's entrypoint and reports through the pod's argo dir, so
the files are read by the shared `EmissaryExecutor`. Docker adds what files cannot give: the
container's exit (the emissary is PID 1, so a container that stopped without an exitcode
file means the emissary itself died) and a SIGKILL that works even when the emissary cannot.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from wfexec.emissary.layout import artifact_copy, ctr_file, write_atomic
from wfexec.errors import ExecutorError, WfexecError
from wfexec.executors.docker import DockerExecutor
from wfexec.executors.emissary import EmissaryExecutor
from wfexec.migrate.command_rule import command_from_image
from wfexec.pod import ARGO_DIR_IN_CONTAINER, ContainerPlan
from wfexec.runtimes.docker_support import configured_image_command

EMISSARY_IN_CONTAINER = f"{ARGO_DIR_IN_CONTAINER}/emissary"
SIGKILL_WAIT = 2.0  # after the grace: how long the emissary gets to obey a SIGKILL file


class ArgoDirExecutor(DockerExecutor):
    """Outputs, logs and exit codes from the argo dir; exits and last-resort kills from Docker."""

    name = "emissary"

    def __init__(self, argo_dir: Path, client: Any, containers: dict[str, str] | None = None) -> None:
        super().__init__(client, containers)
        self.argo_dir = argo_dir
        self.files = EmissaryExecutor(argo_dir, host_pids=False)  # pids in the argo dir are the container's

    def file_contents_or_none(self, container: str, path: str) -> str | None:
        try:
            return self.files.get_file_contents(container, path)
        except WfexecError:
            return None

    def copy_file_if_exists(self, container: str, src: str, dest: str, compression: int = 6,
                            archive: dict[str, Any] | None = None) -> bool:
        if not os.path.lexists(artifact_copy(str(self.argo_dir), src)):
            return False
        self.files.copy_file(container, src, dest, compression)
        return True

    def get_output_stream(self, container: str, combined: bool) -> IO[bytes]:
        return self.files.get_output_stream(container, combined)

    def emissary_exit_code(self, container: str) -> int | None:
        return self.files.exit_code(container)

    def exit_code(self, container: str) -> int | None:
        code = self.emissary_exit_code(container)
        return code if code is not None else super().exit_code(container)

    def _signal_file(self, container: str, sig: int) -> bool:
        """Ask a running emissary to signal its child's group; False when it is not up yet."""
        if not os.path.exists(ctr_file(str(self.argo_dir), container, "combined")):
            return False
        write_atomic(ctr_file(str(self.argo_dir), container, "signal"), str(sig))
        return True

    def kill(self, containers: Iterable[str], grace: float) -> None:
        names = [n for n in containers if n not in self._codes]
        for name in names:
            if not self._signal_file(name, 15):
                self.signal([name], "SIGTERM")  # still starting: the emissary (PID 1) forwards it
        if self.wait(names, timeout=max(0.05, grace)):
            return
        left = [n for n in names if n not in self._codes]
        if any(self._signal_file(n, 9) for n in left):  # lets the emissary record 137 and the outputs
            deadline = time.monotonic() + SIGKILL_WAIT
            while time.monotonic() < deadline and any(self.emissary_exit_code(n) is None for n in left):
                time.sleep(0.02)
        self.signal(left, "SIGKILL")


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
