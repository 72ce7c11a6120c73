"""A KFP v2 task as KFP users know it: its display name, typed inputs and outputs, and its metrics
artifacts (scalars, confusion matrix, ROC points, Markdown and HTML text) for the node panel."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from wfexec.kfp.v2.metrics import METRICS_TYPES
from wfexec.kfp_runs import is_kfp_v2

KFP_TASK = "wfexec.io/kfp-task"
TEXT_TYPES = {"system.Markdown": "markdown", "system.HTML": "html"}
MAX_TEXT = 256 * 1024  # a Markdown or HTML artifact shown inline; a bigger one is cut and says so


@dataclass
class TypedValue:
    name: str
    type: str
    value: Any = None


@dataclass
class MetricsArtifact:
    """One output artifact of a metrics type; only the fields of its kind are set."""

    name: str
    type: str
    uri: str
    scalars: dict[str, float] = field(default_factory=dict)
    confusion_matrix: dict[str, Any] | None = None  # {"labels": [...], "rows": [[...]]}
    roc: list[dict[str, float]] = field(default_factory=list)  # threshold, fpr, tpr
    text: str | None = None
    text_kind: str | None = None  # markdown / html
    truncated: bool = False
    slice: str | None = None  # a SlicedClassificationMetrics artifact gives one view per slice


@dataclass
class KfpNodeView:
    display_name: str
    inputs: list[TypedValue]
    outputs: list[TypedValue]
    metrics: list[MetricsArtifact]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class NotKfp(ValueError):
    """The run or node is not a KFP v2 task."""


def _launcher_spec(template: dict[str, Any]) -> dict[str, Any]:
    """The task's interface, as the compiler gave it to the launcher (its first argument, base64 JSON)."""
    args = (template.get("container") or {}).get("args") or []
    try:
        spec = json.loads(base64.b64decode(args[0])) if args else {}
    except ValueError:
        return {}
    return spec if isinstance(spec, dict) else {}


def _params(listed: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {p.get("name", ""): p.get("value") for p in listed or []}


def _artifacts(value: Any) -> list[dict[str, Any]]:
    try:
        arts = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [a for a in arts if isinstance(a, dict)] if isinstance(arts, list) else []


def _typed(iface: dict[str, Any], values: dict[str, Any], constants: dict[str, Any]) -> list[TypedValue]:
    """Values by interface name, typed by it; a constant argument is in the launcher's spec, not the node."""
    out = [TypedValue(k, str(s.get("type") or ""), values.get("p-" + k, constants.get(k)))
           for k, s in (iface.get("parameters") or {}).items()]
    for k, s in (iface.get("artifacts") or {}).items():
        uris = [a.get("uri", "") for a in _artifacts(values.get("a-" + k))]
        out.append(TypedValue(k, str(s.get("schema_title") or "system.Artifact"), uris[0] if len(uris) == 1 else uris))
    return out


def _read_text(uri: str, root: str) -> tuple[str | None, bool]:
    """The artifact's text when it is a file inside the KFP root of the run (never elsewhere on disk)."""
    if not uri or not root or "://" in uri:
        return None, False
    path, top = os.path.realpath(uri), os.path.realpath(root)
    if os.path.commonpath([path, top]) != top or not os.path.isfile(path):
        return None, False
    with open(path, "rb") as f:
        data = f.read(MAX_TEXT + 1)
    return data[:MAX_TEXT].decode("utf-8", "replace"), len(data) > MAX_TEXT


def _number(v: Any) -> float | None:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def _classification(m: MetricsArtifact, meta: dict[str, Any]) -> MetricsArtifact:
    """KFP's `confusionMatrix` (annotationSpecs and rows) and `confidenceMetrics` (the ROC readings)."""
    cm = meta.get("confusionMatrix") or {}
    if isinstance(cm, dict) and cm.get("rows"):
        m.confusion_matrix = {
            "labels": [str(s.get("displayName", "")) for s in cm.get("annotationSpecs") or [] if isinstance(s, dict)],
            "rows": [[_number(x) or 0 for x in (r.get("row") or [])] for r in cm["rows"] if isinstance(r, dict)]}
    for pt in meta.get("confidenceMetrics") or []:
        if isinstance(pt, dict) and _number(pt.get("falsePositiveRate")) is not None \
                and _number(pt.get("recall")) is not None:
            m.roc.append({"threshold": _number(pt.get("confidenceThreshold")) or 0.0,
                          "fpr": pt["falsePositiveRate"], "tpr": pt["recall"]})
    return m


def _metrics(name: str, art: dict[str, Any], root: str) -> list[MetricsArtifact]:
    title = (art.get("type") or {}).get("schemaTitle") or ""
    meta = art.get("metadata") or {}
    uri = str(art.get("uri") or "")
    m = MetricsArtifact(name, title, uri)
    if title in METRICS_TYPES:
        m.scalars = {k: v for k, v in meta.items() if _number(v) is not None}
    elif title == "system.ClassificationMetrics":
        _classification(m, meta)
    elif title == "system.SlicedClassificationMetrics":  # one view per slice
        return [_classification(MetricsArtifact(name, title, uri, slice=str(s.get("slice", ""))),
                                s.get("sliceClassificationMetrics") or {})
                for s in meta.get("evaluationSlices") or [] if isinstance(s, dict)]
    elif title in TEXT_TYPES:
        m.text_kind = TEXT_TYPES[title]
        m.text, m.truncated = _read_text(m.uri, root)
    else:
        return []
    return [m]


def kfp_node_view(manifest: dict[str, Any], node: dict[str, Any]) -> KfpNodeView:
    """The KFP view of one node of a KFP v2 run; NotKfp when the run or node has none."""
    if not is_kfp_v2(manifest):
        raise NotKfp("not a KFP v2 run")
    templates = {t.get("name"): t for t in (manifest.get("spec") or {}).get("templates") or []}
    tmpl = templates.get(node.get("templateName")) or {}
    spec = _launcher_spec(tmpl)
    display = ((tmpl.get("metadata") or {}).get("annotations") or {}).get(KFP_TASK) or node.get("displayName", "")
    ins = _params((node.get("inputs") or {}).get("parameters"))
    outs = _params((node.get("outputs") or {}).get("parameters"))
    metrics = []
    for k in (spec.get("outputs") or {}).get("artifacts") or {}:
        for art in _artifacts(outs.get("a-" + k)):
            metrics += _metrics(k, art, str(spec.get("root") or ""))
    return KfpNodeView(str(display), _typed(spec.get("inputs") or {}, ins, spec.get("constants") or {}),
                       _typed(spec.get("outputs") or {}, outs, {}),
                       metrics)
