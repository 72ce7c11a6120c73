"""A Workflow object from a request body, checked as `wfexec lint` checks a file, turned into a run.

The API names the body's fields in its errors (`body.workflow.spec.templates[0].container: …`), so a
client sees what to fix without a file or line to point at.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from wfexec.engine import api
from wfexec.engine.store import RunRecord, Store
from wfexec.server.http import bad_request
from wfexec.spec.document import Document

BODY = "body.workflow"
_checked_backends: set[tuple[str, str, str | None]] = set()
_checked_lock = threading.Lock()


def checked_workflow(wf: dict[str, Any], namespace: str, *, require_name: bool = True,
                     store: Store | None = None) -> dict[str, Any]:
    """The body's workflow, linted; its namespace is the path's, as Argo Server makes it. With the
    `store`, its templateRefs and workflowTemplateRef are checked against the namespace's stored
    templates (a missing one, or a template or entrypoint not in it, is a 400, as Argo validates)."""
    from wfexec.spec.lint import lint_documents

    kind = wf.get("kind", "Workflow")
    if kind != "Workflow":
        raise bad_request(f"{BODY}.kind: expected Workflow, got {kind!r}")
    wf = copy.deepcopy(wf)
    wf.setdefault("apiVersion", "argoproj.io/v1alpha1")
    wf["kind"] = "Workflow"
    meta = wf.get("metadata")
    if meta is None:
        meta = wf["metadata"] = {}
    if not isinstance(meta, dict):
        raise bad_request(f"{BODY}.metadata: expected an object")
    if not isinstance(wf.get("spec"), dict):
        raise bad_request(f"{BODY}.spec: required, expected an object")
    ns = meta.get("namespace")
    if ns not in (None, "", namespace):
        raise bad_request(f"{BODY}.metadata.namespace: {ns!r} differs from the namespace in the path ({namespace!r})")
    meta["namespace"] = namespace
    if require_name and not (meta.get("name") or meta.get("generateName")):
        raise bad_request(f"{BODY}.metadata: name or generateName is required")
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        meta.pop(key, None)
    wf.pop("status", None)
    templates = None
    if store is not None:
        from wfexec.engine.template_refs import gather

        templates = [Document(data=t, file=f"stored {t['kind']}", index=0, kind=t["kind"])
                     for t in gather(store, [wf], namespace, [])]
    issues = lint_documents([Document(data=wf, file=BODY, index=0, kind="Workflow")], templates=templates)
    if issues:
        shown = "; ".join(f"{i.path}: {i.message}" if i.path else i.message for i in issues[:10])
        more = f" (and {len(issues) - 10} more)" if len(issues) > 10 else ""
        raise bad_request(f"{BODY}: {len(issues)} linting error(s): {shown}{more}")
    return wf


def _check_backend(runtime: str, executor: str, config: str | None) -> None:
    """Fail before a run is created when its runtime cannot work; once per combination that worked."""
    key = (runtime, executor, config)
    with _checked_lock:
        if key in _checked_backends:
            return
    from wfexec.runtimes.backends import make_backend

    make_backend(runtime, executor, config, start=False).close()  # the checks, not a fork server it would not use
    with _checked_lock:
        _checked_backends.add(key)


def start_run(store: Store, wf: dict[str, Any], labels: dict[str, str] | None = None) -> RunRecord:
    """Create the run and start its engine detached, so the server's death loses nothing."""
    from wfexec.config import load_config

    cfg = load_config(None)
    executor = cfg.executor or "emissary"
    runtime = getattr(cfg, "runtime", None) or "host"
    _check_backend(runtime, executor, None)
    opts = api.SubmitOptions(runtime=runtime, executor=executor, labels=dict(labels or {}),
                             executor_source=getattr(cfg, "executor_source", "default"))
    rec = api.create_run(store, wf, opts, file=BODY)  # a generated name that is taken is drawn again there
    api.start_background(rec.name)
    return rec
