"""User-facing errors.

Every error a user can cause derives from WfexecError; the CLI prints its message (never a
traceback) and exits non-zero. Messages name the file, the field and what was expected.
"""

from __future__ import annotations


class WfexecError(Exception):
    """An error caused by input or environment, shown to the user as one clear message."""

    exit_code: int = 1


class SpecError(WfexecError):
    """A workflow or component document is malformed."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = ""
        if file:
            where = file + (f":{line}" if line else "")
        if field:
            where = f"{where}: {field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)


class ExpressionError(WfexecError):
    """An expression (`when`, `depends`, `{{=…}}`) does not parse or cannot be evaluated."""


class TemplateResolutionError(WfexecError):
    """A `{{…}}` variable does not resolve ("failed to resolve {{…}}")."""


class ConfigError(WfexecError):
    """The executor config (workflow-controller-configmap shape) is malformed or unusable."""


class ExecutorError(WfexecError):
    """The chosen executor cannot work where it was asked to."""


class RuntimeUnavailable(WfexecError):
    """The chosen runtime cannot run here (no daemon, missing image, …)."""


class ArtifactError(WfexecError):
    """An artifact cannot be saved, loaded or unpacked."""


class UnsafeArchiveError(ArtifactError):
    """An archive tried to write outside its target (zip slip, link escape, device file)."""


class ClusterError(WfexecError):
    """A Kubernetes API call failed, or the cluster lacks what is needed."""


class MigrateError(WfexecError):
    """An image's ENTRYPOINT/CMD could not be found, so a spec cannot be migrated."""


class StoreError(WfexecError):
    """The run store cannot find or update a run."""


class RunExists(StoreError):
    """A run of that name is stored already."""
