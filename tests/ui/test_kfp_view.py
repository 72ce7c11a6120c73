"""A KFP v2 run's node seen through the server's KFP view: display name, typed inputs and outputs, and
every kind of metrics artifact (scalars, confusion matrix, ROC points, Markdown, HTML)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.kfp_v2.helpers import submit
from tests.kfp_v2.ir_builder import pipeline, task, write
from tests.server.conftest import ServerProcess, make_server

EXECUTOR_OUTPUT = {"artifacts": {
    "metrics": {"artifacts": [{"metadata": {"accuracy": 0.9, "loss": 0.25}}]},
    "classes": {"artifacts": [{"metadata": {
        "confusionMatrix": {"annotationSpecs": [{"displayName": "cat"}, {"displayName": "dog"}],
                            "rows": [{"row": [7, 1]}, {"row": [2, 9]}]},
        "confidenceMetrics": [{"confidenceThreshold": 0.8, "falsePositiveRate": 0.1, "recall": 0.6},
                              {"confidenceThreshold": 0.2, "falsePositiveRate": 0.5, "recall": 0.95}]}}]},
    "sliced": {"artifacts": [{"metadata": {"evaluationSlices": [{"slice": "night", "sliceClassificationMetrics": {
        "confidenceMetrics": [{"confidenceThreshold": 0.5, "falsePositiveRate": 0.3, "recall": 0.7}]}}]}}]}}}
SCRIPT = ('printf "# Report\\n*ok*" > "$1"; printf "<b>hi</b><script>x()</script>" > "$2"; '
          'printf "%s" "$0" > "$3"; printf "%s" "$4" > "$5"')


def _pipeline(tmp_path: Path) -> Path:
    arts = {k: {"artifactType": {"schemaTitle": t, "schemaVersion": "0.0.1"}} for k, t in (
        ("metrics", "system.Metrics"), ("classes", "system.ClassificationMetrics"),
        ("sliced", "system.SlicedClassificationMetrics"),
        ("report", "system.Markdown"), ("page", "system.HTML"))}
    comp = {
        "executor": {"container": {"image": "alpine", "command": [
            "sh", "-c", SCRIPT, json.dumps(EXECUTOR_OUTPUT), "{{$.outputs.artifacts['report'].path}}",
            "{{$.outputs.artifacts['page'].path}}", "{{$.outputs.output_file}}",
            "{{$.inputs.parameters['rows']}}", "{{$.outputs.parameters['seen'].output_file}}"]}},
        "inputDefinitions": {"parameters": {"rows": {"parameterType": "NUMBER_INTEGER"}}},
        "outputDefinitions": {"parameters": {"seen": {"parameterType": "STRING"}}, "artifacts": arts},
    }
    tasks = {"evaluate": task("evaluate", taskInfo={"name": "Evaluate model"},
                              inputs={"parameters": {"rows": {"runtimeValue": {"constant": 40}}}})}
    return write(tmp_path / "metrics.yaml", pipeline("metrics-view", tasks, {"evaluate": comp}))


@pytest.fixture(scope="module")
def kfp_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("kfp-view")
    home = tmp / "home"
    wf = submit(home, _pipeline(tmp), timeout=300)
    assert wf["status"]["phase"] == "Succeeded", wf["status"]
    with make_server(home) as srv:
        yield srv, wf


def _view(srv: ServerProcess, wf: dict[str, Any], node_id: str) -> requests.Response:
    return requests.get(f"{srv.url}/api/v1/wfexec/workflows/{wf['metadata']['namespace']}/{wf['metadata']['name']}"
                        f"/kfp/{node_id}", timeout=10)


def test_kfp_view_shows_display_name_types_and_every_metrics_kind(kfp_run: tuple[ServerProcess, dict[str, Any]]) -> None:
    srv, wf = kfp_run
    [node] = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    res = _view(srv, wf, node["id"])
    assert res.status_code == 200, res.text
    view = res.json()
    assert view["display_name"] == "Evaluate model"
    assert {"name": "rows", "type": "NUMBER_INTEGER", "value": 40} in view["inputs"]
    assert {"name": "seen", "type": "STRING", "value": "40"} in view["outputs"]
    assert {o["name"]: o["type"] for o in view["outputs"]}["page"] == "system.HTML"
    by_name = {m["name"]: m for m in view["metrics"]}
    assert by_name["metrics"]["scalars"] == {"accuracy": 0.9, "loss": 0.25}
    assert by_name["classes"]["confusion_matrix"] == {"labels": ["cat", "dog"], "rows": [[7, 1], [2, 9]]}
    assert by_name["classes"]["roc"] == [{"threshold": 0.8, "fpr": 0.1, "tpr": 0.6},
                                         {"threshold": 0.2, "fpr": 0.5, "tpr": 0.95}]
    assert by_name["sliced"]["slice"] == "night" and by_name["sliced"]["confusion_matrix"] is None
    assert by_name["sliced"]["roc"] == [{"threshold": 0.5, "fpr": 0.3, "tpr": 0.7}]
    assert by_name["report"]["text_kind"] == "markdown" and by_name["report"]["text"] == "# Report\n*ok*"
    assert by_name["page"]["text_kind"] == "html" and by_name["page"]["text"].startswith("<b>hi</b>")


def test_kfp_view_answers_404_for_an_unknown_node_or_a_plain_run(kfp_run: tuple[ServerProcess, dict[str, Any]]) -> None:
    srv, wf = kfp_run
    assert _view(srv, wf, "no-such-node").status_code == 404
    plain = dict(wf, metadata={**wf["metadata"], "name": "not-a-run"})
    assert _view(srv, plain, "x").status_code == 404


def test_node_panel_renders_the_kfp_metrics(kfp_run: tuple[ServerProcess, dict[str, Any]], page: Any) -> None:
    srv, wf = kfp_run
    [node] = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    page.goto(f"{srv.url}/workflows/{wf['metadata']['namespace']}/{wf['metadata']['name']}?node={node['id']}")
    page.wait_for_selector("aside.panel table.kfp-scalars")
    assert page.inner_text("aside.panel .kfp-name") == "Evaluate model"
    scalars = page.locator("aside.panel table.kfp-scalars tbody tr").all_inner_texts()
    assert [" ".join(r.split()) for r in scalars] == ["accuracy 0.9", "loss 0.25"]
    cells = page.locator("aside.panel table.kfp-confusion tbody td").all_inner_texts()
    assert cells == ["7", "1", "2", "9"]
    assert page.locator("aside.panel svg.kfp-roc circle").count() == 3  # classes' 2 readings, the slice's 1
    assert "sliced [night]" in page.inner_text("aside.panel section.kfp-metric[data-artifact='sliced'] h4")
    assert page.inner_text("aside.panel .kfp-markdown h4") == "Report"
    frame = page.locator("aside.panel iframe.kfp-html")
    assert frame.get_attribute("sandbox") == ""  # no allow-scripts: the artifact's <script> never runs
    assert "<b>hi</b>" in (frame.get_attribute("srcdoc") or "")


def test_text_artifacts_are_read_only_inside_the_runs_kfp_root(kfp_run: tuple[ServerProcess, dict[str, Any]]) -> None:
    from wfexec.server.ui.kfp_view import kfp_node_view

    _, wf = kfp_run
    [node] = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    outside = [{"name": "report", "uri": "/etc/passwd", "metadata": {},
                "type": {"schemaTitle": "system.Markdown", "schemaVersion": "0.0.1"}}]
    params = [p if p["name"] != "a-report" else {**p, "value": json.dumps(outside)} for p in node["outputs"]["parameters"]]
    view = kfp_node_view(wf, {**node, "outputs": {**node["outputs"], "parameters": params}})
    report = next(m for m in view.metrics if m.name == "report")
    assert report.text_kind == "markdown" and report.text is None  # a URI pointing elsewhere is not read
    assert next(m for m in view.metrics if m.name == "page").text is not None
