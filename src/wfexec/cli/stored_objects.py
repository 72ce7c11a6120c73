"""What `wfexec template`, `cluster-template` and `cron` share: where the objects live, and how they print.

The verbs work on an `ObjectsBackend`: the local store, or an Argo Server (`cli/remote.py`) when
`--argo-server`/`$ARGO_SERVER` is set. Output follows the argo CLI's.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any, Protocol

from rich.table import Table

from wfexec.cli.common import console, dump, err
from wfexec.cli.render import duration
from wfexec.engine.labels import parse_selector
from wfexec.engine.objects import CLUSTER_WORKFLOW_TEMPLATE, CRON_WORKFLOW, WORKFLOW_TEMPLATE, ObjectStore
from wfexec.errors import SpecError, WfexecError
from wfexec.spec.cron_spec import schedules
from wfexec.spec.document import Document


class ObjectsBackend(Protocol):
    def create(self, kind: str, doc: Document, namespace: str) -> dict[str, Any]: ...
    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]: ...
    def list(self, kind: str, namespace: str | None, selector: str | None) -> list[dict[str, Any]]: ...
    def delete(self, kind: str, namespace: str, name: str) -> None: ...
    def lint(self, kind: str, doc: Document, namespace: str) -> None: ...
    def set_suspend(self, namespace: str, name: str, suspend: bool) -> dict[str, Any]: ...


class LocalObjects:
    """The objects in this machine's run store."""

    def __init__(self) -> None:
        from wfexec.cli.common import open_store

        self.store = open_store()
        self.objects = ObjectStore(self.store)

    def create(self, kind: str, doc: Document, namespace: str) -> dict[str, Any]:
        self.lint(kind, doc, namespace)
        return self.objects.create(doc.data, namespace).manifest()

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        return self.objects.get(kind, namespace, name).manifest()

    def list(self, kind: str, namespace: str | None, selector: str | None) -> list[dict[str, Any]]:
        return [o.manifest() for o in self.objects.list(kind, namespace, parse_selector(selector))]

    def delete(self, kind: str, namespace: str, name: str) -> None:
        self.objects.delete(kind, namespace, name)

    def lint(self, kind: str, doc: Document, namespace: str) -> None:
        from wfexec.spec.lint import lint_documents

        stored = [Document(o.manifest(), f"stored {o.kind}", 0, o.kind)
                  for k in (WORKFLOW_TEMPLATE, CLUSTER_WORKFLOW_TEMPLATE) for o in self.objects.list(k, namespace)]
        stored = [d for d in stored if not (d.kind == doc.kind and d.name == doc.name)]
        issues = lint_documents([doc], templates=stored)
        if kind == CRON_WORKFLOW and not issues:
            from wfexec.server.cron import cron_rules

            try:
                cron_rules(doc.data.get("spec") or {})
            except SpecError as exc:
                raise SpecError(exc.detail, file=doc.file, line=doc.line_of(tuple((exc.field or "").split("."))),
                                field=exc.field) from None
        if issues:
            for issue in issues:
                err.print(str(issue))
            raise SpecError(f"{len(issues)} linting error(s)", file=doc.file)

    def set_suspend(self, namespace: str, name: str, suspend: bool) -> dict[str, Any]:
        return self.objects.set_suspend(namespace, name, suspend).manifest()


def backend(args: argparse.Namespace) -> ObjectsBackend:
    from wfexec.cli import remote

    server = remote.settings_from(args)
    return remote.RemoteObjects(server) if server else LocalObjects()


def namespace_of(args: argparse.Namespace) -> str:
    from wfexec.cli import remote

    return args.namespace or remote.default_namespace()


def load_kind(paths: list[str], kind: str) -> list[Document]:
    """The documents of `kind` in the files (or `-` for stdin); any other kind is an error naming it."""
    import sys

    from wfexec.spec.loader import load_file, load_text

    docs: list[Document] = []
    for path in paths:
        if path == "-":
            found = load_text(sys.stdin.read(), "-")
        elif not Path(path).exists():
            raise WfexecError(f"{path}: no such file")
        else:
            found = load_file(path)
        for doc in found:
            if doc.kind != kind:
                raise SpecError(f"expected a {kind}, got {doc.kind or 'no kind'}", file=doc.file, field="kind")
            docs.append(doc)
    if not docs:
        raise WfexecError(f"no {kind} in {', '.join(paths)}")
    return docs


def add_common(p: argparse.ArgumentParser, namespaced: bool = True) -> None:
    if namespaced:
        p.add_argument("-n", "--namespace", help="namespace (default: $ARGO_NAMESPACE, else default)")


def _created(meta: dict[str, Any]) -> str:
    stamp = meta.get("creationTimestamp") or ""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp} ({duration(stamp, now)} ago)" if stamp else ""


def print_object(obj: dict[str, Any], fmt: str | None) -> None:
    """One object as `argo template get` prints it (or -o json|yaml|name)."""
    meta = obj.get("metadata") or {}
    if fmt in ("json", "yaml"):
        dump(obj, fmt)
        return
    if fmt == "name":
        console.print(meta.get("name", ""))
        return
    rows = [("Name:", meta.get("name", ""))]
    if meta.get("namespace"):
        rows.append(("Namespace:", meta["namespace"]))
    rows.append(("Created:", _created(meta)))
    if obj.get("kind") == CRON_WORKFLOW:
        rows += cron_rows(obj)
    width = max(len(k) for k, _ in rows) + 2
    for key, value in rows:
        console.print(f"{key:<{width}}{value}")


def cron_rows(obj: dict[str, Any]) -> list[tuple[str, str]]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    rows = [("Schedules:", ",".join(schedules(spec))), ("Suspended:", str(bool(spec.get("suspend"))).lower()),
            ("StartingDeadlineSeconds:", str(spec.get("startingDeadlineSeconds") or 0)),
            ("ConcurrencyPolicy:", spec.get("concurrencyPolicy") or "Allow")]
    if spec.get("timezone"):
        rows.append(("Timezone:", spec["timezone"]))
    if status.get("lastScheduledTime"):
        rows.append(("LastScheduledTime:", status["lastScheduledTime"]))
    nxt = next_run(spec)
    if nxt:
        rows.append(("NextScheduledTime:", nxt))
    active = [a.get("name", "") for a in status.get("active") or []]
    if active:
        rows.append(("Active Workflows:", ", ".join(active)))
    return rows


def next_run(spec: dict[str, Any]) -> str:
    from croniter import croniter

    from wfexec.server.cron import cron_rules, rfc3339

    try:
        rules = cron_rules(spec)
    except SpecError:
        return ""
    now = dt.datetime.now(dt.UTC)
    times = [croniter(s, now.astimezone(rules.timezone)).get_next(dt.datetime) for s in rules.schedules]
    return rfc3339(min(times)) if times else ""


def print_list(objs: list[dict[str, Any]], fmt: str | None, all_namespaces: bool) -> None:
    if fmt in ("json", "yaml"):
        dump(objs, fmt)
        return
    if fmt == "name":
        for o in objs:
            console.print((o.get("metadata") or {}).get("name", ""))
        return
    cron = bool(objs) and objs[0].get("kind") == CRON_WORKFLOW
    table = Table(box=None, header_style="bold", pad_edge=False)
    cols = (["NAMESPACE"] if all_namespaces else []) + ["NAME"]
    if cron:
        cols += ["AGE", "LAST RUN", "NEXT RUN", "SCHEDULES", "TIMEZONE", "SUSPENDED"]
    for col in cols:
        table.add_column(col)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for o in objs:
        meta = o.get("metadata") or {}
        row = ([meta.get("namespace", "")] if all_namespaces else []) + [meta.get("name", "")]
        if cron:
            spec, status = o.get("spec") or {}, o.get("status") or {}
            last = status.get("lastScheduledTime")
            row += [duration(meta.get("creationTimestamp"), now), duration(last, now) if last else "N/A",
                    next_run(spec) or "N/A", ",".join(schedules(spec)), spec.get("timezone") or "",
                    str(bool(spec.get("suspend"))).lower()]
        table.add_row(*row)
    console.print(table)
