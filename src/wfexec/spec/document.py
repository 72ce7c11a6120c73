"""One loaded Kubernetes-style document, as plain data plus a map of where each field was written.

The rest of wfexec works on plain dicts and lists; the line map lets every error point back at
the line the user wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

FieldPath = tuple[str | int, ...]

#: The kinds wfexec lints and runs.
WORKFLOW_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


@dataclass
class Document:
    """A document of a YAML/JSON stream: `data` is plain Python (dict/list/str/int/float/bool/None)."""

    data: dict[str, Any]
    file: str
    index: int
    kind: str
    lines: dict[FieldPath, int] = field(default_factory=dict, repr=False, compare=False)
    #: Values YAML 1.1 (how Kubernetes reads them, as `data` holds them) and YAML 1.2 read differently.
    readings: list[Any] = field(default_factory=list, repr=False, compare=False)

    def line_of(self, path: FieldPath) -> int | None:
        """1-based line of the field at `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            line = self.lines.get(path)
            if line is not None:
                return line
            if not path:
                return None
            path = path[:-1]

    @property
    def name(self) -> str:
        """`metadata.name`, else `metadata.generateName`, else ""; for messages."""
        meta = self.data.get("metadata")
        if isinstance(meta, dict):
            for key in ("name", "generateName"):
                if isinstance(meta.get(key), str):
                    return meta[key]
        return ""

    @property
    def workflow_spec(self) -> dict[str, Any] | None:
        """The WorkflowSpec: `spec`, or `spec.workflowSpec` of a CronWorkflow; None if malformed."""
        spec = self.data.get("spec")
        if self.kind == "CronWorkflow" and isinstance(spec, dict):
            spec = spec.get("workflowSpec")
        return spec if isinstance(spec, dict) else None

    @property
    def spec_path(self) -> FieldPath:
        """Where `workflow_spec` lives in `data`."""
        return ("spec", "workflowSpec") if self.kind == "CronWorkflow" else ("spec",)


def format_path(path: FieldPath) -> str:
    """Dotted field path as users read it: `spec.templates[0].container`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out
