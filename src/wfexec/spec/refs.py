"""Where `templateRef` and `workflowTemplateRef` point: the WorkflowTemplates lint can see.

Argo resolves these against the cluster; offline we know only the templates the user handed
us (`--templates`) and those in the files being linted. A reference to a WorkflowTemplate we
have not seen is an error only when the user told us where the templates are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wfexec.spec.document import TEMPLATE_KINDS, Document


@dataclass
class TemplateIndex:
    """WorkflowTemplates and ClusterWorkflowTemplates by scope and name."""

    specs: dict[tuple[bool, str], dict[str, Any]] = field(default_factory=dict)
    #: True when the user named where templates live, so an unknown one is an error.
    complete: bool = False

    @classmethod
    def build(cls, docs: Iterable[Document], complete: bool) -> TemplateIndex:
        index = cls(complete=complete)
        for doc in docs:
            spec = doc.workflow_spec
            if doc.kind in TEMPLATE_KINDS and doc.name and spec is not None:
                index.specs.setdefault((doc.kind == "ClusterWorkflowTemplate", doc.name), spec)
        return index

    def spec_of(self, name: str, cluster_scope: bool) -> dict[str, Any] | None:
        """The WorkflowSpec of a known (Cluster)WorkflowTemplate, else None."""
        return self.specs.get((cluster_scope, name))

    def names(self, cluster_scope: bool) -> list[str]:
        return sorted(n for scope, n in self.specs if scope == cluster_scope)


def template_names(spec: dict[str, Any] | None) -> list[str]:
    """Names of the templates a WorkflowSpec defines (malformed entries skipped)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("templates"), list):
        return []
    return [t["name"] for t in spec["templates"] if isinstance(t, dict) and isinstance(t.get("name"), str)]


def kind_label(cluster_scope: bool) -> str:
    return "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
