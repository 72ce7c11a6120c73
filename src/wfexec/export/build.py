"""One export: load, resolve local templates, fill commands, drop local-only keys, validate.

The result is checked with `lint --strict` semantics (Argo's closed JSON schema plus the
semantic checks), so what leaves here is what a real controller accepts.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from wfexec.config import ExecutorConfig, load_config
from wfexec.errors import SpecError
from wfexec.export.commands import fill_commands, make_lookup
from wfexec.export.inline import describe, inline_refs, referenced
from wfexec.export.local_only import strip_document
from wfexec.export.source import load_source
from wfexec.spec.document import Document
from wfexec.spec.lint import lint_documents


@dataclass
class ExportOptions:
    """What the command line says; `executor=None` means the config's `containerRuntimeExecutor`."""

    arguments: dict[str, Any] = field(default_factory=dict)  # component inputs; typed values allowed
    parameters: dict[str, str] = field(default_factory=dict)
    templates: list[str] = field(default_factory=list)
    #: WorkflowTemplates already loaded (callers exporting many files load them once); used with `templates`.
    template_documents: list[Document] = field(default_factory=list)
    executor: str | None = None
    config_path: str | None = None
    mode: Literal["inline", "emit"] = "inline"
    daemon: bool = True
    registry: bool = True
    #: An `images:` index to add to the config's (the cluster controller's own, for submit --kube).
    extra_images: dict[str, Any] = field(default_factory=dict)


@dataclass
class Exported:
    """The documents to send (WorkflowTemplates first, the Workflow last) and what was done to them."""

    documents: list[dict[str, Any]]
    executor: str
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def workflow(self) -> dict[str, Any]:
        return self.documents[-1]


def export_path(path: str, options: ExportOptions) -> Exported:
    """Export one Workflow or component file; SpecError when the input or the result is not valid."""
    config = load_config(options.config_path)
    for image, entry in options.extra_images.items():
        if isinstance(entry, dict):
            config.images.setdefault(str(image), entry)
    executor = options.executor or config.executor
    source = load_source(path, arguments=options.arguments, parameters=options.parameters,
                         template_paths=options.templates, inline=options.mode == "inline",
                         loaded=options.template_documents)
    out = Exported([], executor)
    wf = source.workflow
    emitted: list[dict[str, Any]] = []
    if options.mode == "inline":
        inline_refs(wf, source.templates, out.notes.append)
    else:
        keys, missing = referenced(wf["spec"], source.templates)
        emitted = [copy.deepcopy(source.templates[k].data) for k in keys]
        out.notes.extend(f"emitted {describe(k)} alongside the Workflow" for k in keys)
        out.notes.extend(f"{describe(k)} is not among the local templates; it must exist in the cluster"
                         for k in missing)
    docs = [*emitted, wf]
    if executor == "emissary":
        lookup = make_lookup(config, daemon=options.daemon, registry=options.registry)
        for doc in docs:
            spec = _spec(doc)
            label = "" if doc is wf else f"{doc.get('kind')} {(doc.get('metadata') or {}).get('name')}: "
            fill_commands(spec, lookup, out.notes.append, out.missing, label)
    else:
        out.notes.append("executor docker: commands are left as written; the cluster's nodes must run Docker "
                         "and Argo < 3.4 (prefer emissary)")
    for doc in docs:
        strip_document(doc, out.notes.append)
    _image_map_note(wf, config, out.notes)
    out.documents = docs
    check(docs, path)
    return out


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc.get("spec") or {}
    return spec.get("workflowSpec") or {} if doc.get("kind") == "CronWorkflow" else spec


def _image_map_note(wf: dict[str, Any], config: ExecutorConfig, notes: list[str]) -> None:
    """Images stay as written; say where the local imageMap ran something else."""
    if not config.image_map:
        return
    images = {str(c.get("image")) for t in wf["spec"].get("templates") or [] if isinstance(t, dict)
              for c in [t.get("container"), t.get("script")] if isinstance(c, dict) and c.get("image")}
    for image in sorted(images):
        local = config.map_image(image)
        if local != image:
            notes.append(f"image {image} stays as written (here imageMap ran {local} instead)")


def as_documents(docs: list[dict[str, Any]], label: str) -> list[Document]:
    """The exported dicts as Documents, as JSON will carry them (so lint sees exactly what is sent)."""
    return [Document(json.loads(json.dumps(data)), f"{label} (exported #{i + 1})", i, str(data.get("kind")))
            for i, data in enumerate(docs)]


def check(docs: list[dict[str, Any]], label: str) -> None:
    """`lint --strict` on what will be sent; a SpecError listing every issue otherwise."""
    issues = lint_documents(as_documents(docs, label), strict=True)
    if issues:
        listed = "\n  ".join(str(i) for i in issues)
        raise SpecError(f"the exported document does not pass lint --strict ({len(issues)} issue(s)):\n  {listed}",
                        file=label)
