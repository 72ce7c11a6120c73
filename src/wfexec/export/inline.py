"""`templateRef`s to local WorkflowTemplates: copied into the Workflow, or listed to be emitted beside it.

Argo resolves a `templateRef` against the cluster. A user moving from one machine has those
WorkflowTemplates as files (`--templates`), so either their templates are copied into the
Workflow (a self-contained document to submit), or the WorkflowTemplates go out alongside it.
A copied template keeps its own `template:` calls working: they are renamed to the copies of
the templates they named in their WorkflowTemplate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from wfexec.spec.document import Document

Key = tuple[bool, str]  # (cluster scope, WorkflowTemplate name)


def call_sites(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every mapping in a template that calls another one: steps, DAG tasks and their lifecycle hooks."""
    sites: list[Any] = []
    for group in template.get("steps") or []:
        sites.extend(group if isinstance(group, list) else [])
    dag = template.get("dag")
    if isinstance(dag, dict):
        sites.extend(dag.get("tasks") or [])
    for site in sites:
        if not isinstance(site, dict):
            continue
        yield site
        for hook in (site.get("hooks") or {}).values():
            if isinstance(hook, dict):
                yield hook


def spec_call_sites(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Call sites of every template of a WorkflowSpec, and its workflow-level hooks."""
    for template in spec.get("templates") or []:
        if isinstance(template, dict):
            yield from call_sites(template)
    for hook in (spec.get("hooks") or {}).values():
        if isinstance(hook, dict):
            yield hook


def ref_key(ref: dict[str, Any]) -> Key:
    return bool(ref.get("clusterScope")), str(ref.get("name"))


def describe(key: Key) -> str:
    return f"{'ClusterWorkflowTemplate' if key[0] else 'WorkflowTemplate'} {key[1]!r}"


class Inliner:
    """Copies referenced templates into one WorkflowSpec, each once, under a free name."""

    def __init__(self, spec: dict[str, Any], local: dict[Key, Document], note: Callable[[str], None]) -> None:
        self.spec = spec
        self.local = local
        self.note = note
        templates = spec.setdefault("templates", [])
        self.taken = {t.get("name") for t in templates if isinstance(t, dict)}
        self.copies: dict[tuple[Key, str], str] = {}

    def run(self) -> None:
        for site in list(spec_call_sites(self.spec)):
            self._rewrite_site(site, None)
        for key, name in self.copies:
            self.note(f"inlined template {name!r} of {describe(key)} as {self.copies[(key, name)]!r}")

    def _rewrite_site(self, site: dict[str, Any], scope: Key | None) -> None:
        ref = site.get("templateRef")
        if isinstance(ref, dict):
            new = self._copy(ref_key(ref), str(ref.get("template")))
            if new is not None:  # the same place in the mapping, so the output reads like the input
                items = [("template", new) if k == "templateRef" else (k, v) for k, v in site.items()]
                site.clear()
                site.update(items)
        elif scope is not None and isinstance(site.get("template"), str):
            site["template"] = self._copy(scope, site["template"]) or site["template"]
        if scope is not None and isinstance(site.get("onExit"), str):
            site["onExit"] = self._copy(scope, site["onExit"]) or site["onExit"]

    def _copy(self, key: Key, name: str) -> str | None:
        """The name of the copy of template `name` of WorkflowTemplate `key`; None when it is not local."""
        if (key, name) in self.copies:
            return self.copies[(key, name)]
        doc = self.local.get(key)
        spec = doc.workflow_spec if doc is not None else None
        found = next((t for t in (spec or {}).get("templates") or [] if isinstance(t, dict) and t.get("name") == name),
                     None)
        if found is None:
            return None
        new_name = self._free_name(name, key[1])
        self.copies[(key, name)] = new_name
        template = copy.deepcopy(found)
        template["name"] = new_name
        self.spec["templates"].append(template)
        for site in list(call_sites(template)):
            self._rewrite_site(site, key)
        return new_name

    def _free_name(self, name: str, owner: str) -> str:
        for candidate in (name, f"{owner}-{name}"):
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        n = 2
        while f"{owner}-{name}-{n}" in self.taken:
            n += 1
        self.taken.add(f"{owner}-{name}-{n}")
        return f"{owner}-{name}-{n}"


def referenced(spec: dict[str, Any], local: dict[Key, Document]) -> tuple[list[Key], list[Key]]:
    """(local WorkflowTemplates `spec` needs, transitively, in first-use order; those not local)."""
    found: list[Key] = []
    missing: list[Key] = []
    pending = [spec]
    while pending:
        current = pending.pop(0)
        refs = [s["templateRef"] for s in spec_call_sites(current) if isinstance(s.get("templateRef"), dict)]
        if isinstance(current.get("workflowTemplateRef"), dict):
            refs.insert(0, current["workflowTemplateRef"])
        for ref in refs:
            key = ref_key(ref)
            if key in found or key in missing:
                continue
            doc = local.get(key)
            if doc is None:
                missing.append(key)
                continue
            found.append(key)
            pending.append(doc.workflow_spec or {})
    return found, missing


def inline_refs(wf: dict[str, Any], local: dict[Key, Document], note: Callable[[str], None]) -> None:
    """Copy every local template the Workflow references into it; say which references stay for the cluster."""
    Inliner(wf["spec"], local, note).run()
    _, missing = referenced(wf["spec"], local)
    for key in missing:
        note(f"{describe(key)} is not among the local templates; it must exist in the cluster")
