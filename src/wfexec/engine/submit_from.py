"""A Workflow made from a stored object: `submit --from KIND/NAME`, the API's submit, and each cron tick.

The shapes follow Argo's: a Workflow from a WorkflowTemplate keeps only a `workflowTemplateRef`
(resolved when the run is created) and the label naming its template; one from a CronWorkflow
is its `workflowSpec` with its `workflowMetadata`, labelled with the cron's name.
"""

from __future__ import annotations

import copy
from typing import Any

from wfexec.engine import nodes as N
from wfexec.engine.objects import (
    API_VERSION,
    CLUSTER_WORKFLOW_TEMPLATE,
    CRON_WORKFLOW,
    WORKFLOW_TEMPLATE,
    StoredObject,
)
from wfexec.engine.scope import SCHEDULED_TIME
from wfexec.errors import SpecError

LABEL_WORKFLOW_TEMPLATE = "workflows.argoproj.io/workflow-template"
LABEL_CLUSTER_WORKFLOW_TEMPLATE = "workflows.argoproj.io/cluster-workflow-template"
LABEL_CRON_WORKFLOW = "workflows.argoproj.io/cron-workflow"

# The names `argo submit --from` and the API's `resourceKind` accept, lowercased.
KIND_NAMES = {
    "workflowtemplate": WORKFLOW_TEMPLATE, "wftmpl": WORKFLOW_TEMPLATE,
    "clusterworkflowtemplate": CLUSTER_WORKFLOW_TEMPLATE, "cwftmpl": CLUSTER_WORKFLOW_TEMPLATE,
    "cronworkflow": CRON_WORKFLOW, "cronwf": CRON_WORKFLOW,
}


def parse_kind(text: str, field: str = "kind") -> str:
    kind = KIND_NAMES.get((text or "").lower())
    if kind is None:
        raise SpecError(f"cannot submit from {text!r}: expected workflowtemplate, clusterworkflowtemplate"
                        " or cronworkflow (or wftmpl, cwftmpl, cronwf)", field=field)
    return kind


def parse_from(text: str) -> tuple[str, str]:
    """`KIND/NAME` as `--from` takes it, as (kind, name)."""
    kind, sep, name = text.partition("/")
    if not sep or not name:
        raise SpecError(f"--from {text!r}: expected KIND/NAME, for example workflowtemplate/my-template")
    return parse_kind(kind, "--from"), name


def workflow_from_object(obj: StoredObject) -> dict[str, Any]:
    """The Workflow that submitting `obj` creates (templates by reference, crons by copy)."""
    if obj.kind == CRON_WORKFLOW:
        return workflow_from_cron(obj)
    cluster = obj.kind == CLUSTER_WORKFLOW_TEMPLATE
    label = LABEL_CLUSTER_WORKFLOW_TEMPLATE if cluster else LABEL_WORKFLOW_TEMPLATE
    ref: dict[str, Any] = {"name": obj.name}
    if cluster:
        ref["clusterScope"] = True
    meta: dict[str, Any] = {"generateName": f"{obj.name}-", "labels": {label: obj.name}}
    wf_meta = obj.spec.get("workflowMetadata") or {}
    if isinstance(wf_meta.get("labels"), dict):
        meta["labels"] = {**wf_meta["labels"], **meta["labels"]}
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": meta, "spec": {"workflowTemplateRef": ref}}


def workflow_from_cron(obj: StoredObject, name: str | None = None, scheduled: str | None = None) -> dict[str, Any]:
    """A run of a CronWorkflow; a scheduled one gets Argo's name `<cron>-<unix time>` and annotation."""
    spec = obj.spec
    wf_meta = copy.deepcopy(spec.get("workflowMetadata") or {})
    meta: dict[str, Any] = {"labels": {**(wf_meta.get("labels") or {}), LABEL_CRON_WORKFLOW: obj.name}}
    if wf_meta.get("annotations"):
        meta["annotations"] = dict(wf_meta["annotations"])
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = f"{obj.name}-"
    # a run submitted by hand is stamped with the time it was made, as Argo's submit --from cronwf does:
    # the cron's templates may read {{workflow.scheduledTime}}
    meta.setdefault("annotations", {})[SCHEDULED_TIME] = scheduled or N.now()
    meta["ownerReferences"] = [{"apiVersion": API_VERSION, "kind": CRON_WORKFLOW, "name": obj.name,
                                "uid": obj.uid, "controller": True, "blockOwnerDeletion": True}]
    if obj.namespace:
        meta["namespace"] = obj.namespace
    return {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": meta,
            "spec": copy.deepcopy(spec.get("workflowSpec") or {})}
