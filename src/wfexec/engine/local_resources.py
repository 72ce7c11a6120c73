"""Resource templates that make sense on one machine: a PersistentVolumeClaim is a directory.

KFP v1's `dsl.VolumeOp` compiles to a `resource` template that creates a PVC, and later steps
mount it by `claimName`. Here the claim is the directory that `engine.volumes.pod_volumes`
mounts for that `claimName`, `$WFEXEC_HOME/volumes/claim-<name>` (like a PVC it outlives the
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec.engine import nodes as N
from wfexec.engine.nodes import Node
from wfexec.errors import ExpressionError, SpecError, WfexecError
from wfexec.expr.template import substitute_obj
from wfexec.home import wfexec_home

if TYPE_CHECKING:
    from wfexec.engine.context import RunContext

LOCAL_ACTIONS = ("create", "apply", "delete")


def claim_dir(claim: str) -> Path:
    """Where an existing claim lives: the path `engine.volumes.pod_volumes` binds for `claimName`."""
    return wfexec_home() / "volumes" / f"claim-{claim}"


def is_local_resource(tmpl: dict[str, Any]) -> bool:
    """A resource template this module runs: create/apply/delete of a PersistentVolumeClaim."""
    res = tmpl.get("resource") or {}
    if res.get("action") not in LOCAL_ACTIONS or not isinstance(res.get("manifest"), str):
        return False
    from ruamel.yaml import YAML  # only for resource templates: ruamel is some 10 ms of the engine's start
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="safe").load(res["manifest"])
    except YAMLError:  # unquoted {{…}} may not parse before substitution; the kind line still tells
        return re.search(r"^kind:\s*[\"']?PersistentVolumeClaim[\"']?\s*$", res["manifest"], re.M) is not None
    return isinstance(doc, dict) and doc.get("kind") == "PersistentVolumeClaim"


async def run_local_resource(ctx: RunContext, node: Node, tmpl: dict[str, Any], scope: dict[str, Any],
                             arts: list[dict[str, Any]]) -> Node:
    """Create (or delete) the claim's directory and record the template's output parameters."""
    where = f"templates[{tmpl.get('name')}].resource"
    res = substitute_obj(tmpl.get("resource") or {}, scope, where=where, strict=True)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        obj = YAML(typ="safe").load(res["manifest"])
    except YAMLError as exc:
        raise SpecError(f"manifest is not valid YAML: {' '.join(str(exc).split())}",
                        field=f"{where}.manifest") from None
    name = str((obj.get("metadata") or {}).get("name") or "")
    if not name or "/" in name or name in (".", ".."):
        raise SpecError(f"a PersistentVolumeClaim needs a plain metadata.name, got {name!r}",
                        field=f"{where}.manifest")
    node["phase"] = N.RUNNING
    ctx.book.save(node)
    path = claim_dir(name)
    if res["action"] == "delete":
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.mkdir(parents=True, exist_ok=True)
    reported = _as_reported(obj, ctx.manifest)
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
    done = {"create": "created", "apply": "configured", "delete": "deleted"}[res["action"]]
    return ctx.book.finish_node(node, N.SUCCEEDED, f"persistentvolumeclaim/{name} {done} (directory {path})")


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
    """`kubectl get -o jsonpath=TEMPLATE` for the templates Argo users write.

    `{}`, `{.a.b}`, `{.a[0].b}`, `{.metadata.annotations['k']}`, with text around them.
    """
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
        value = _walk(obj, expr, template)
        out.append(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))
        pos = end + 1
    return "".join(out)


_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']+)'\]")


def _walk(obj: Any, expr: str, template: str) -> Any:
    """Follow `.name`, `[index]` and `['key']` steps from the object's root (`$`, `@` and `.` alone are the root)."""
    text = expr.lstrip("$@")
    if text in ("", "."):
        return obj
    value, pos = obj, 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            raise ExpressionError(f"jsonPath {template!r}: {expr!r} is not a simple path (.a.b, [0], ['k'])")
        key: Any = m.group(1) or m.group(3)
        if m.group(2) is not None:
            key = int(m.group(2))
        ok = (isinstance(value, dict) and key in value) or \
             (isinstance(value, list) and isinstance(key, int) and key < len(value))
        if not ok:
            raise ExpressionError(f"jsonPath {template!r}: {expr} is not in the object")
        value = value[key]
        pos = m.end()
    return value
