"""`wfexec resolve-component` and `compile-component` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.kfp.conftest import COMPONENTS, GOLDEN
from wfexec.cli.main import main


def test_resolve_component_prints_kfp_shape(capsys: pytest.CaptureFixture[str]) -> None:
    rel = "sdk/python/test_data/v1_component_yaml/concat_placeholder_component.yaml"
    golden = json.loads(GOLDEN.read_text())["resolved"][rel]["all_inputs"]
    argv = ["resolve-component", str(COMPONENTS / rel), "-o", "json"]
    for name in golden["arguments"]:
        argv += ["-a", f"{name}=<{name}>"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {k: golden[k] for k in ("command", "args", "input_paths", "output_paths")}


def test_compile_component_yaml_and_json(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["compile-component", str(data_dir / "pipeline.yaml"), "-a", "greeting=hey"]) == 0
    wf = YAML(typ="safe").load(capsys.readouterr().out)
    assert wf["spec"]["entrypoint"] == "three-steps"
    assert main(["compile-component", str(data_dir / "producer.yaml"), "-o", "json", "--name", "p1"]) == 0
    wf = json.loads(capsys.readouterr().out)
    assert wf["metadata"]["generateName"] == "p1-"


def test_errors_are_one_line_not_tracebacks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nimplementation:\n  container:\n    image: i\n    args: [{inputValue: nope}]\n")
    assert main(["resolve-component", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:5: implementation.container.args[0].inputValue" in err and "Traceback" not in err
    assert main(["compile-component", str(COMPONENTS / "sdk/python/kfp/components/test_data/simple_yaml.yaml")]) == 1
    assert "inputs: expected a list, got a mapping" in capsys.readouterr().err
    assert main(["resolve-component", str(tmp_path / "none.yaml")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["resolve-component", str(bad), "-a", "novalue"]) == 1
    assert "expected NAME=VALUE" in capsys.readouterr().err
