"""A run's options: chosen at submit, stored with the run (`runs.options`, JSON), and read back by
the engine that drives it, by `resubmit` and by `get`. One definition, so a default lives once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

#: Stored keys whose JSON name differs from the field's.
_JSON_NAMES = {"workflow_templates": "workflowTemplates"}


@dataclass
class RunOptions:
    parameters: dict[str, str] = field(default_factory=dict)
    entrypoint: str | None = None
    runtime: str = "host"
    executor: str = "emissary"
    #: The executor config file (workflow-controller-configmap shape).
    config: str | None = None
    #: How many pods of the run may run at once; None: the engine's default.
    parallelism: int | None = None
    workflow_templates: list[dict[str, Any]] = field(default_factory=list)
    #: Seconds between SIGTERM and SIGKILL when a pod is stopped.
    grace: float = 10.0
    max_output_bytes: int | None = None
    #: Where the executor choice came from (a flag, the config, the default), as `get` shows it.
    executor_source: str = ""
    #: The file the workflow was submitted from.
    file: str = ""
    #: Keep each pod's argo directory after the run (debugging).
    keep_pod_dirs: bool = False
    #: Keys other faces store with the run (e.g. a service account), kept as they are.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(RunOptions):
            if f.name != "extra":
                out[_JSON_NAMES.get(f.name, f.name)] = getattr(self, f.name)
        return {**self.extra, **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOptions:
        """Options as stored; a key missing or null (an older store) takes its default."""
        known: dict[str, Any] = {}
        stored_names = set()
        for f in fields(RunOptions):
            if f.name == "extra":
                continue
            key = _JSON_NAMES.get(f.name, f.name)
            stored_names.add(key)
            if data.get(key) is not None:
                known[f.name] = data[key]
        return RunOptions(**known, extra={k: v for k, v in data.items() if k not in stored_names})

    def run_options(self) -> RunOptions:
        """Only the run's own options (a SubmitOptions also holds how to name and label the run)."""
        return RunOptions(**{f.name: getattr(self, f.name) for f in fields(RunOptions)})
