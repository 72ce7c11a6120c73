"""What an export starts from: a Workflow-kind file or a KFP v1 component, and the local WorkflowTemplates.

Both become one Workflow dict. Input mistakes are reported here, with file and line, before any
rewriting, the same way `submit` reports them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfexec.engine.api import RUNNABLE_KINDS, workflow_from_document
from wfexec.engine.workflow_arguments import apply_parameters
from wfexec.errors import SpecError
from wfexec.spec.document import TEMPLATE_KINDS, Document
from wfexec.spec.lint import lint_documents
from wfexec.spec.loader import MissingKindError, find_documents, load_file


@dataclass
class Source:
    """The Workflow to export and the WorkflowTemplates the user handed us (by scope and name)."""

    workflow: dict[str, Any]
    file: str
    templates: dict[tuple[bool, str], Document] = field(default_factory=dict)
    component: bool = False


def load_source(path: str, *, arguments: dict[str, Any], parameters: dict[str, str],
                template_paths: list[str], inline: bool, loaded: list[Document] | None = None) -> Source:
    """Load `path`; a file without `kind` is read as a KFP v1 component spec."""
    if Path(path).is_dir():
        raise SpecError("is a directory; export takes one Workflow or component file", file=path)
    try:
        docs = load_file(path)
    except MissingKindError:
        return _component(path, arguments, parameters)
    if arguments:
        raise SpecError("-a gives a component's inputs; a Workflow takes its parameters with -p NAME=VALUE",
                        file=path)
    tdocs = [*(loaded or []), *_template_docs(template_paths)]
    issues = lint_documents(docs, templates=tdocs if template_paths or loaded else None)
    if issues:
        listed = "\n  ".join(str(i) for i in issues)
        raise SpecError(f"{len(issues)} linting error(s); nothing was exported:\n  {listed}", file=path)
    local = {(d.kind == "ClusterWorkflowTemplate", d.name): d for d in [*tdocs, *docs]
             if d.kind in TEMPLATE_KINDS and d.name}
    runnable = [d for d in docs if d.kind in RUNNABLE_KINDS]
    if not runnable:
        raise SpecError("no Workflow, WorkflowTemplate or CronWorkflow in the file", file=path, field="kind")
    main = next((d for d in runnable if d.kind == "Workflow"), runnable[0])
    workflow = _as_workflow(main, local, inline)
    apply_parameters(workflow.setdefault("spec", {}), parameters)  # as argo submit -p: declared or not
    return Source(workflow, path, local)


def template_documents(paths: list[str]) -> list[Document]:
    """The WorkflowTemplates and ClusterWorkflowTemplates in files and directories."""
    return _template_docs(paths)


def _template_docs(paths: list[str]) -> list[Document]:
    out: list[Document] = []
    for p in paths:
        if not Path(p).exists():
            raise SpecError("no such file or directory", file=p, field="--templates")
        out.extend(find_documents(p) if Path(p).is_dir() else load_file(p))
    return [d for d in out if d.kind in TEMPLATE_KINDS]


def _component(path: str, arguments: dict[str, Any], parameters: dict[str, str]) -> Source:
    from wfexec.kfp import compile_component, load_component

    if parameters:
        raise SpecError("-p sets workflow parameters; a component takes its inputs with -a NAME=VALUE", file=path)
    spec = load_component(path)
    return Source(compile_component(spec, arguments), path, component=True)


def _ref_key(ref: dict[str, Any]) -> tuple[bool, str]:
    return bool(ref.get("clusterScope")), str(ref.get("name"))


def _as_workflow(doc: Document, local: dict[tuple[bool, str], Document], inline: bool) -> dict[str, Any]:
    """A Workflow from any runnable kind; `workflowTemplateRef` is merged in only when inlining a local one."""
    data = copy.deepcopy(doc.data)
    spec = doc.workflow_spec or {}
    ref = spec.get("workflowTemplateRef") if isinstance(spec.get("workflowTemplateRef"), dict) else None
    if ref and inline and _ref_key(ref) in local:
        return workflow_from_document(data, doc.file, [local[_ref_key(ref)].data])
    if ref:  # kept: the cluster (or the emitted template) resolves it
        holder = data["spec"]["workflowSpec"] if doc.kind == "CronWorkflow" else data["spec"]
        kept = holder.pop("workflowTemplateRef")
        wf = workflow_from_document(data, doc.file, [])
        wf["spec"]["workflowTemplateRef"] = kept
        return wf
    return workflow_from_document(data, doc.file, [])
