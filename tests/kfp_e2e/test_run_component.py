"""`wfexec run-component`: one component, and a three-component pipeline, run to their outputs.

The pipeline (tests/kfp/data/pipeline.yaml) passes a file by `outputPath` → `inputPath`
(produce.blob → upper-case.data, upper-case.upper → consume.data) and a value into an
`inputValue` (produce.out → consume.val). Each test runs under every (runtime, executor) pair.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.kfp_e2e.artifacts import artifact_bytes
from tests.kfp_e2e.conftest import BACKENDS, DATA, KFP_DATA, Backend, make_backend
from wfexec.cli.main import main


@pytest.fixture(params=BACKENDS, ids=lambda b: f"{b[0]}-{b[1]}")
def backend(request: pytest.FixtureRequest) -> Backend:
    return make_backend(request.param, request)


def run_component(capsys: pytest.CaptureFixture[str], spec: Path, backend: Backend, *args: str,
                  fmt: str = "json") -> tuple[int, Any]:
    code = main(["run-component", str(spec), *backend.cli(), *args, "-o", fmt])
    out = capsys.readouterr().out
    return code, (json.loads(out) if fmt == "json" else out)


def test_single_component_prints_values_and_artifacts(capsys: pytest.CaptureFixture[str], backend: Backend) -> None:
    code, report = run_component(capsys, KFP_DATA / "producer.yaml", backend, "-a", "text=hi there")
    assert code == 0, report
    assert report["phase"] == "Succeeded"
    outs = report["outputs"]
    assert set(outs) == {"out", "blob"}
    assert outs["out"]["value"] == "hi there"  # type String: a value, and a file
    assert "value" not in outs["blob"]  # untyped: a file only
    assert artifact_bytes(outs["out"]["artifact"]) == b"hi there"
    assert artifact_bytes(outs["blob"]["artifact"]) == b"blob:hi there"
    assert Path(outs["blob"]["location"]).is_file()


def test_pipeline_passes_a_file_and_a_value(capsys: pytest.CaptureFixture[str], backend: Backend) -> None:
    code, report = run_component(capsys, KFP_DATA / "pipeline.yaml", backend, "-a", "greeting=yo")
    assert code == 0, report
    assert report["phase"] == "Succeeded"
    final = report["outputs"]["final"]
    # consume echoes its inputValue (produce.out) and the file upper-case made from produce.blob.
    assert artifact_bytes(final["artifact"]) == b"yo BLOB:YO\n"


def test_pipeline_default_argument_and_yaml_output(capsys: pytest.CaptureFixture[str]) -> None:
    host = Backend("host", "emissary", None)
    code, out = run_component(capsys, KFP_DATA / "pipeline.yaml", host, fmt="yaml")
    assert code == 0, out
    assert "phase: Succeeded" in out and "final:" in out and "consume-result.tgz" in out


def test_text_output_lists_values_and_locations(capsys: pytest.CaptureFixture[str]) -> None:
    host = Backend("host", "emissary", None)
    code, out = run_component(capsys, KFP_DATA / "producer.yaml", host, "-a", "text=abc", fmt="text")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1] == "Phase:    Succeeded"
    assert any(line.startswith("out ") and line.endswith("value:    abc") for line in lines)
    assert any(line.startswith("blob ") and "artifact: " in line and line.endswith("-blob.tgz") for line in lines)


def test_failing_component_exits_1_and_names_the_step(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "fails.yaml"
    spec.write_text("name: Fails\noutputs:\n- {name: out, type: String}\nimplementation:\n  container:\n"
                    "    image: alpine\n    command: [sh, -c, 'exit 3', {outputPath: out}]\n")
    code, out = run_component(capsys, spec, Backend("host", "emissary", None), fmt="text")
    assert code == 1
    assert "Phase:    Failed" in out and "exit code 3" in out and "wfexec logs fails-" in out


def test_bad_argument_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run-component", str(DATA / "word_stats.component.yaml"), "-a", "label=x"])
    err = capsys.readouterr().err
    assert code == 1
    assert "word_stats.component.yaml" in err and "no value for required input 'text'" in err
    assert "Traceback" not in err


def test_graph_output_of_a_value_type_is_printed_as_a_value(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    """A graph's typed output comes up from the task through the DAG's output parameters."""
    spec = tmp_path / "graph.yaml"
    spec.write_text(json.dumps({
        "name": "Said twice", "inputs": [{"name": "word", "type": "String"}],
        "outputs": [{"name": "said", "type": "String"}, {"name": "file"}],
        "implementation": {"graph": {
            "tasks": {"say": {"componentRef": {"path": str(KFP_DATA / "producer.yaml")},
                              "arguments": {"text": {"graphInput": {"inputName": "word"}}}}},
            "outputValues": {"said": {"taskOutput": {"taskId": "say", "outputName": "out"}},
                             "file": {"taskOutput": {"taskId": "say", "outputName": "blob"}}}}}}))
    code, report = run_component(capsys, spec, Backend("host", "emissary", None), "-a", "word=hey")
    assert code == 0, report
    assert report["outputs"]["said"]["value"] == "hey"
    assert artifact_bytes(report["outputs"]["file"]["artifact"]) == b"blob:hey"


def test_annotate_warns_that_the_program_must_make_its_directories(capsys: pytest.CaptureFixture[str]) -> None:
    """No runtime creates the annotated directories yet, so the user is told, and this one fails."""
    code = main(["run-component", str(KFP_DATA / "producer.yaml"), "--output-dirs", "annotate", "-o", "json"])
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["phase"] == "Failed"
    assert "output directories /tmp/outputs/blob, /tmp/outputs/out are not created" in captured.err
