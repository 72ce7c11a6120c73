"""Resource templates that make sense on one machine: a PersistentVolumeClaim is a directory.

KFP v1's `dsl.VolumeOp` compiles to a `resource` template that creates a PVC, and later steps
mount it by `claimName`. Here the claim is the directory the controller mounts for that
`claimName` (`Controller._volume_dir("claim-<name>", shared=True)`: like a PVC it outlives the
run, until a `delete` removes it); its output parameters (`jsonPath`, as `kubectl get -o
jsonpath=…` would print them) are read from the object a cluster would report: the manifest,
bound at once (`status.phase: Bound`, `status.capacity` = the requested storage). Every other
resource still needs a cluster (`--kube`).
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from wfexec.engine import nodes as N
from wfexec.errors import ExpressionError, SpecError, WfexecError
from wfexec.expr.builtins import EvalError
from wfexec.expr.jsonpath import jsonpath
from wfexec.expr.template import substitute_obj

if TYPE_CHECKING:
    from wfexec.engine.controller import Controller

LOCAL_ACTIONS = ("create", "apply", "delete")


def is_local_resource(tmpl: dict[str, Any]) -> bool:
    """A resource template this module runs: create/apply/delete of a PersistentVolumeClaim."""
    res = tmpl.get("resource") or {}
    if res.get("action") not in LOCAL_ACTIONS or not isinstance(res.get("manifest"), str):
        return False
    try:
        doc = YAML(typ="safe").load(res["manifest"])
    except YAMLError:  # unquoted {{…}} may not parse before substitution; the kind line still tells
        return re.search(r"^kind:\s*[\"']?PersistentVolumeClaim[\"']?\s*$", res["manifest"], re.M) is not None
    return isinstance(doc, dict) and doc.get("kind") == "PersistentVolumeClaim"


async def run_local_resource(ctl: Controller, node: dict[str, Any], tmpl: dict[str, Any], scope: dict[str, Any],
                             arts: list[dict[str, Any]]) -> dict[str, Any]:
    """Create (or delete) the claim's directory and record the template's output parameters."""
    where = f"templates[{tmpl.get('name')}].resource"
    res = substitute_obj(tmpl.get("resource") or {}, scope, where=where, strict=True)
    try:
        obj = YAML(typ="safe").load(res["manifest"])
    except YAMLError as exc:
        raise SpecError(f"manifest is not valid YAML: {' '.join(str(exc).split())}", field=f"{where}.manifest") from None
    name = str((obj.get("metadata") or {}).get("name") or "")
    if not name or "/" in name or name in (".", ".."):
        raise SpecError(f"a PersistentVolumeClaim needs a plain metadata.name, got {name!r}",
                        field=f"{where}.manifest")
    node["phase"] = N.RUNNING
    ctl.save(node)
    path = ctl._volume_dir(f"claim-{name}", shared=True)  # the directory steps mount for this claimName
    if res["action"] == "delete":
        shutil.rmtree(path, ignore_errors=True)
    reported = _as_reported(obj, ctl.wf)
    params = []
    for p in (tmpl.get("outputs") or {}).get("parameters") or []:
        vf = p.get("valueFrom") or {}
        if "jsonPath" not in vf:
            raise SpecError("a resource template's output parameter needs valueFrom.jsonPath",
                            field=f"templates[{tmpl.get('name')}].outputs.parameters.{p['name']}")
        try:
            value = kubectl_jsonpath(reported, str(vf["jsonPath"]))
        except WfexecError as exc:
            raise SpecError(str(exc), field=f"templates[{tmpl.get('name')}].outputs.parameters.{p['name']}") from None
        params.append({"name": p["name"], "value": value, "valueFrom": dict(vf)})
    if params:
        node["outputs"] = {"parameters": params}
    return ctl.finish_node(node, N.SUCCEEDED, f"{res['action']}d persistentvolumeclaim/{name} at {path}")


def _as_reported(obj: dict[str, Any], wf: dict[str, Any]) -> dict[str, Any]:
    """The PVC as the API server would return it once bound."""
    out = json.loads(json.dumps(obj))
    meta = out.setdefault("metadata", {})
    meta.setdefault("namespace", (wf.get("metadata") or {}).get("namespace") or "default")
    meta.setdefault("uid", str(uuid.uuid4()))
    meta.setdefault("creationTimestamp", N.now())
    spec = out.get("spec") or {}
    status: dict[str, Any] = {"phase": "Bound", "accessModes": list(spec.get("accessModes") or [])}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is not None:
        status["capacity"] = {"storage": str(storage)}
    out["status"] = status
    return out


def kubectl_jsonpath(obj: dict[str, Any], template: str) -> str:
    """`kubectl get -o jsonpath=TEMPLATE` for the simple templates Argo users write: `{}`, `{.a.b}`, text around."""
    out, pos = [], 0
    while pos < len(template):
        start = template.find("{", pos)
        if start < 0:
            out.append(template[pos:])
            break
        end = template.find("}", start)
        if end < 0:
            raise ExpressionError(f"jsonPath {template!r}: unclosed '{{'")
        out.append(template[pos:start])
        expr = template[start + 1:end].strip()
        try:
            value = obj if expr in ("", ".", "@") else jsonpath(json.dumps(obj), "$" + expr.lstrip("$"))
        except EvalError as exc:
            raise ExpressionError(f"jsonPath {template!r}: {exc}") from None
        if value is None:
            raise ExpressionError(f"jsonPath {template!r}: {expr} is not in the object")
        out.append(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))
        pos = end + 1
    return "".join(out)
