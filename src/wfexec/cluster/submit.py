"""`submit --kube`, the cluster side: the cluster's executor, creating the Workflow, following it.

The CLI exports and checks the file first (nothing is sent unless the exported documents pass
`lint --strict`) and shows what comes back. Status is polled: a GET every `poll_seconds()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wfexec.cluster import controller
from wfexec.cluster.kube import call
from wfexec.cluster.workflows import (
    DONE,
    GROUP,
    PLURAL,
    VERSION,
    get_workflow,
    objects,
    phase_of,
    poll_seconds,
)
from wfexec.errors import ClusterError

UNPICKED_WARNING_SECONDS = 60.0


@dataclass
class ClusterExecutor:
    """The executor the cluster's controller uses, and its `images:` index."""

    executor: str | None  # None: its ConfigMap could not be read
    images: dict[str, Any] = field(default_factory=dict)
    note: str | None = None  # why it could not be read


def cluster_executor(api: Any) -> ClusterExecutor:
    try:
        found = controller.read(api, None)
    except ClusterError as exc:
        return ClusterExecutor(None, note=f"cannot read the cluster's executor ({exc}); using the local config's")
    return ClusterExecutor(found.effective_executor, controller.images_in(found.data))


def create_workflow(api: Any, namespace: str, wf: dict[str, Any]) -> dict[str, Any]:
    """Create the Workflow; the object the API server returns (its final name included)."""
    objs = objects(api)
    created = call(f"CREATE workflow in {namespace}",
                   lambda: objs.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, wf))
    if created is None:
        raise ClusterError(f"CREATE workflow in {namespace}: the API server returned nothing")
    return dict(created)


Show = Callable[[dict[str, Any], dict[str, Any] | None], None]


def follow(api: Any, namespace: str, name: str, show: Show, warn: Callable[[str], None]) -> dict[str, Any]:
    """Poll the Workflow until it ends; `show(now, before)` after each change, `warn(text)` when no
    controller has picked it up after a while. Returns the final object."""
    before: dict[str, Any] | None = None
    started = time.monotonic()
    warned = False
    while True:
        wf = get_workflow(api, namespace, name)
        if before is None or wf.get("status") != before.get("status"):
            show(wf, before)
        if phase_of(wf) in DONE:
            return wf
        if not (wf.get("status") or {}).get("phase") and not warned and \
                time.monotonic() - started > UNPICKED_WARNING_SECONDS:
            warn(f"no Argo controller has picked up {name} yet; is Argo running and watching "
                 f"namespace {namespace}?")
            warned = True
        before = wf
        time.sleep(poll_seconds())
