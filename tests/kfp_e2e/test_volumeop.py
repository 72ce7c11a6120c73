"""KFP's VolumeOp pattern on one machine: create a PVC, use it from steps, delete it."""

from __future__ import annotations

import pytest

from tests.support.runs import run_workflow
from wfexec.engine.local_resources import claim_dir, kubectl_jsonpath
from wfexec.errors import ExpressionError

PVC = """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: '{{workflow.name}}-vol'
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
"""


def _pvc(action: str) -> dict[str, object]:
    return {"name": action, "resource": {"action": action, "manifest": PVC},
            "outputs": {"parameters": [{"name": "name", "valueFrom": {"jsonPath": "{.metadata.name}"}}]}}


def test_claim_created_shared_by_steps_then_deleted() -> None:
    mount = {"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "{{inputs.parameters.claim}}"}}],
             "inputs": {"parameters": [{"name": "claim"}]}}
    wf = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "volop-"},
          "spec": {"entrypoint": "main", "templates": [
              {"name": "main", "steps": [
                  [{"name": "make", "template": "create"}],
                  [{"name": "write", "template": "write",
                    "arguments": {"parameters": [{"name": "claim", "value": "{{steps.make.outputs.parameters.name}}"}]}}],
                  [{"name": "read", "template": "read",
                    "arguments": {"parameters": [{"name": "claim", "value": "{{steps.make.outputs.parameters.name}}"}]}}],
                  [{"name": "drop", "template": "delete"}]]},
              _pvc("create"), _pvc("delete"),
              {"name": "write", **mount, "container": {"image": "alpine", "command": ["sh", "-c", "echo kept > /data/f"],
                                                       "volumeMounts": [{"name": "v", "mountPath": "/data"}]}},
              {"name": "read", **mount, "container": {"image": "alpine", "command": ["cat", "/data/f"],
                                                      "volumeMounts": [{"name": "v", "mountPath": "/data"}]}}]}}
    done = run_workflow(wf)
    assert done.phase == "Succeeded", done.message
    assert done.param("make", "name") == f"{done.name}-vol"
    assert done.log(done.by_display("read")).strip() == "kept"
    assert not claim_dir(f"{done.name}-vol").exists()


def test_kubectl_jsonpath() -> None:
    obj = {"metadata": {"name": "n", "labels": {"a": "b"}}, "spec": {"n": 3}}
    assert kubectl_jsonpath(obj, "{.metadata.name}") == "n"
    assert kubectl_jsonpath(obj, "name={.metadata.name}, n={.spec.n}") == "name=n, n=3"
    assert kubectl_jsonpath(obj, "{.metadata.labels}") == '{"a":"b"}'
    assert kubectl_jsonpath(obj, "{}") == '{"metadata":{"name":"n","labels":{"a":"b"}},"spec":{"n":3}}'
    with pytest.raises(ExpressionError, match="status.phase is not in the object"):
        kubectl_jsonpath(obj, "{.status.phase}")
    with pytest.raises(ExpressionError, match="unclosed"):
        kubectl_jsonpath(obj, "{.metadata")
