"""Pasted or uploaded YAML for the submit page: parsed into objects and linted, issues by line.

The browser has no YAML parser of its own (no third-party code pasted in), and the lint's line
numbers come from the loader, so both are the server's job; the answer is plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wfexec.errors import SpecError
from wfexec.server.ui.pipelines import describe, ir_documents
from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import load_text

SOURCE = "manifest"


@dataclass
class Issue:
    line: int | None
    path: str
    message: str


@dataclass
class CheckedManifest:
    documents: list[dict[str, Any]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    #: A KFP v2 pipeline IR instead of Argo documents: its name and parameters (see pipelines.describe).
    pipeline: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_manifest(text: str) -> CheckedManifest:
    """The documents of `text` and what lint finds in them; a parse error is one issue at its line.
    A pipeline IR is described instead: the page has the server compile it at submit."""
    ir = ir_documents(text)
    if ir is not None:
        try:
            return CheckedManifest(pipeline=describe(ir))
        except SpecError as exc:
            return CheckedManifest(issues=[Issue(exc.line, exc.field or "", exc.detail)])
    try:
        docs = load_text(text, SOURCE)
    except SpecError as exc:
        return CheckedManifest(issues=[Issue(exc.line, exc.field or "", exc.detail)])
    issues = [Issue(i.line, i.path, i.message) for i in lint_documents(docs)]
    if not docs:
        issues.append(Issue(1, "", "no document found: paste a Workflow, WorkflowTemplate or CronWorkflow"))
    return CheckedManifest(documents=[d.data for d in docs], issues=issues)

