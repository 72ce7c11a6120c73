"""`argo lint --offline`, locally: schema checks plus Argo's own validation rules.

The engine calls `lint_documents` before every run, so it must stay cheap: the schema
validator is built once per process and the semantic checks are one pass over plain data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from wfexec.errors import SpecError
from wfexec.spec.checks import SpecChecker
from wfexec.spec.document import TEMPLATE_KINDS, WORKFLOW_KINDS, Document, FieldPath, format_path
from wfexec.spec.issue import LintIssue
from wfexec.spec.loader import MissingKindError, load_file, spec_files
from wfexec.spec.refs import TemplateIndex
from wfexec.spec.schema import known_kinds, validate

#: The one version of Argo's workflow kinds, in v3 and v4 alike.
API_VERSION = "argoproj.io/v1alpha1"

__all__ = ["LintIssue", "lint_documents", "load_and_lint"]


def lint_documents(docs: list[Document], *, strict: bool = False,
                   templates: list[Document] | None = None) -> list[LintIssue]:
    """Problems in `docs`, in file and line order.

    `templateRef`s resolve against `templates` and the WorkflowTemplates among `docs`; a
    reference to one not found is an error only when `templates` was given. `strict` adds
    every schema keyword (const, enum, …) to the default unknown-field/type/required checks.
    """
    index = TemplateIndex.build([*(templates or []), *docs], complete=templates is not None)
    issues: list[LintIssue] = []
    for doc in docs:
        issues.extend(lint_document(doc, index, strict=strict))
    return sorted(issues, key=lambda i: (i.file, i.line or 0))


def lint_document(doc: Document, index: TemplateIndex, *, strict: bool = False) -> list[LintIssue]:
    """Problems in one document; kinds outside argoproj.io are not ours and pass."""
    if doc.kind not in WORKFLOW_KINDS:
        return _other_kind(doc, strict)
    issues = validate(doc, strict=strict)
    spec = doc.data.get("spec")
    if doc.kind == "CronWorkflow" and isinstance(spec, dict):
        issues.extend(_cron_issues(doc, spec))
    api = doc.data.get("apiVersion")
    if api != API_VERSION and isinstance(api, str) and not strict:  # strict: the schema's own const says it
        issues.append(LintIssue(doc.file, doc.line_of(("apiVersion",)), "apiVersion",
                                f"expected {json.dumps(API_VERSION)}, got {json.dumps(api)}"))
    issues.extend(SpecChecker(doc, index).run())
    return issues


def _cron_issues(doc: Document, spec: dict[str, Any]) -> list[LintIssue]:
    """Argo's ValidateCronWorkflow, run by `argo lint`: the check `cron lint|create` and the scheduler use."""
    from wfexec.spec.cron_spec import cron_problems

    return [LintIssue(doc.file, doc.line_of(path), format_path(path), message)
            for path, message in cron_problems(spec)]


def _other_kind(doc: Document, strict: bool) -> list[LintIssue]:
    api = doc.data.get("apiVersion")
    if not (isinstance(api, str) and api.startswith("argoproj.io/")):
        return []
    if doc.kind in known_kinds():
        return validate(doc, strict=strict)
    import difflib

    close = difflib.get_close_matches(doc.kind, WORKFLOW_KINDS, n=1, cutoff=0.6)
    hint = f' (did you mean "{close[0]}"?)' if close else f" (expected one of {', '.join(WORKFLOW_KINDS)})"
    return [LintIssue(doc.file, doc.line_of(("kind",)), "kind", f'unknown kind "{doc.kind}"{hint}')]


def yaml11_warnings(docs: list[Document]) -> list[LintIssue]:
    """Where Kubernetes (YAML 1.1) reads a value otherwise than YAML 1.2 would: a warning each."""
    out: list[LintIssue] = []
    for doc in docs:
        for r in doc.readings:
            out.append(LintIssue(doc.file, doc.line_of(r.path), format_path(r.path),
                                 f"warning: {r.text} is read as {json.dumps(r.kubernetes)} by Kubernetes (YAML 1.1),"
                                 f" as {json.dumps(r.yaml12)} by YAML 1.2; quote it to keep the text"))
    return out


def backoff_warnings(docs: list[Document]) -> list[LintIssue]:
    """A retryStrategy.backoff value Argo cannot read: a warning each, not an error, since Argo's validation
    passes it and only the controller, about to wait for a retry, finds it (the Retry node ends in Error)."""
    from wfexec.spec.backoff import backoff_problems

    out: list[LintIssue] = []
    for doc in docs:
        spec = doc.workflow_spec if doc.kind in WORKFLOW_KINDS else None
        for path, strategy in _retry_strategies(spec, doc.spec_path):
            for key, why in backoff_problems(strategy.get("backoff")):
                where = (*path, "backoff", key)
                out.append(LintIssue(doc.file, doc.line_of(where), format_path(where),
                                     f"warning: {why}; the Retry node will end in Error when a retry is due"))
    return out


def _retry_strategies(node: Any, path: FieldPath) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every `retryStrategy` object under `node`: templates, inline ones, templateDefaults."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "retryStrategy" and isinstance(value, dict):
                yield (*path, key), value
            else:
                yield from _retry_strategies(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _retry_strategies(value, (*path, i))


def load_and_lint(paths: Iterable[str | Path], strict: bool = False,
                  templates_paths: Iterable[str | Path] = ()) -> tuple[list[Document], list[LintIssue]]:
    """Load files/directories and lint them; a file that does not load becomes one issue.

    Raises SpecError only when a path does not exist at all.
    """
    paths, templates_paths = list(paths), list(templates_paths)
    docs, issues = _load_all(paths)
    templates: list[Document] | None = None
    if templates_paths:
        loaded, template_issues = _load_all(templates_paths)
        templates = [d for d in loaded if d.kind in TEMPLATE_KINDS]
        issues.extend(template_issues)
    issues.extend(lint_documents(docs, strict=strict, templates=templates))
    return docs, issues


def _load_all(paths: list[str | Path]) -> tuple[list[Document], list[LintIssue]]:
    """Named files must be workflows; files found by walking a directory may be anything else."""
    found = [(f, Path(p).is_dir()) for p in paths for f in spec_files(p)]
    docs: list[Document] = []
    issues: list[LintIssue] = []
    for f, walked in found:
        try:
            docs.extend(load_file(f))
        except MissingKindError as exc:
            if not walked:
                issues.append(_issue(exc, f))
        except SpecError as exc:
            issues.append(_issue(exc, f))
    return docs, issues


def _issue(exc: SpecError, file: Path) -> LintIssue:
    return LintIssue(exc.file or str(file), exc.line, exc.field or "", exc.detail)
