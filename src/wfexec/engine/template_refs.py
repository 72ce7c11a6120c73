"""`templateRef` and `workflowTemplateRef` resolved from the stored templates.

A run carries copies of the WorkflowTemplates it uses (its `workflowTemplates` option), taken
when it is created: editing a template later does not change a run already made from it, as in
Argo. Templates given by hand (`--templates`) win over stored ones of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from wfexec.engine.store import Store

Ref = tuple[bool, str]  # (cluster scope, name)


def references(doc: Any) -> set[Ref]:
    """Every (Cluster)WorkflowTemplate a document names, anywhere in it."""
    found: set[Ref] = set()
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("templateRef", "workflowTemplateRef"):
                ref = item.get(key)
                if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                    found.add((bool(ref.get("clusterScope")), ref["name"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _ref_of(doc: dict[str, Any]) -> Ref:
    from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE

    meta = doc.get("metadata") or {}
    return (doc.get("kind") == CLUSTER_WORKFLOW_TEMPLATE, str(meta.get("name") or ""))


def gather(store: Store | Callable[[], Store], roots: list[dict[str, Any]], namespace: str,
           given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored templates that `roots` (and the templates they reach) name and `given` lacks.
    `store` may be a function that opens it: most runs name no template, and need no store here."""
    given_names = {_ref_of(d)[1] for d in given}  # the engine looks templates up by name alone
    wanted = {r for r in set().union(*(references(r) for r in roots), *(references(d) for d in given))
              if r[1] not in given_names}
    if not wanted:
        return []  # most runs name no template: the object store (and its imports) is not needed
    from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, WORKFLOW_TEMPLATE, ObjectStore

    objects = ObjectStore(store() if callable(store) else store)
    out: list[dict[str, Any]] = []
    seen = set(wanted)
    while wanted:
        cluster, name = wanted.pop()
        kind = CLUSTER_WORKFLOW_TEMPLATE if cluster else WORKFLOW_TEMPLATE
        obj = objects.find(kind, namespace, name)
        if obj is None:
            continue  # lint or the engine says it is missing, naming the field
        doc = obj.manifest()
        out.append(doc)
        new = {r for r in references(doc) - seen if r[1] not in given_names}
        seen |= new
        wanted |= new
    return out
