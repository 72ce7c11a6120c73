"""A file that is almost a pipeline IR, or a wrong parameter: one clear error naming the field,
and no run started. `wfexec lint` says the same of IR files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kfp_v2.helpers import KFP_CORPUS, wfexec

ADD = KFP_CORPUS / "critical" / "add_numbers.yaml"


def _broken(tmp_path: Path, change: Any) -> Path:
    doc = yaml.safe_load(ADD.read_text())
    change(doc)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _no_root(doc: dict) -> None:
    del doc["root"]


def _old_schema(doc: dict) -> None:
    doc["schemaVersion"] = "1.0.0"


def _no_executor(doc: dict) -> None:
    doc["components"]["comp-add-numbers"]["executorLabel"] = "exec-nowhere"


def _bad_type(doc: dict) -> None:
    doc["root"]["inputDefinitions"]["parameters"]["a"]["parameterType"] = "INTEGER"


def _unknown_producer(doc: dict) -> None:
    doc["root"]["dag"]["tasks"]["add-numbers"]["dependentTasks"] = ["ghost"]


BROKEN = [
    (_no_root, "root", "is missing"),
    (_old_schema, "schemaVersion", "expected a KFP pipeline IR schema 2.x"),
    (_no_executor, "components.comp-add-numbers.executorLabel", "executor 'exec-nowhere' is not in"),
    (_bad_type, "root.inputDefinitions.parameters.a.parameterType", "expected one of STRING"),
    (_unknown_producer, "root.dag.tasks.add-numbers.dependentTasks", "task 'ghost' is not a task"),
]


def _assert_nothing_started(home: Path) -> None:
    runs = wfexec(home, "list", "-o", "name") if (home / "runs.db").exists() else None
    assert runs is None or runs.stdout.strip() == ""


@pytest.mark.parametrize(("change", "field", "message"), BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_almost_ir_is_refused_naming_the_field(tmp_path: Path, change: Any, field: str, message: str) -> None:
    path = _broken(tmp_path, change)
    home = tmp_path / "home"
    proc = wfexec(home, "submit", "--wait", str(path), "-p", "a=1", "-p", "b=2")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    line = proc.stderr.strip()
    assert line.startswith(f"error: {path}: {field}: ") and message in line, line
    assert len(line.splitlines()) == 1
    _assert_nothing_started(home)
    lint = wfexec(home, "lint", "-o", "simple", str(path))
    assert lint.returncode == 1 and f"{path}: {field}: " in lint.stdout and message in lint.stdout


@pytest.mark.parametrize(("params", "message"), [
    (["a=one", "b=2"], "root.inputDefinitions.parameters.a: expected a value of type NUMBER_INTEGER, got 'one'"),
    (["b=2"], "root.inputDefinitions.parameters.a: parameter 'a' (NUMBER_INTEGER) is required: give it with -p a="),
    (["a=1", "b=2", "c=3"], "the pipeline has no parameter 'c'"),
])
def test_a_wrong_or_missing_parameter_is_refused(tmp_path: Path, params: list[str], message: str) -> None:
    home = tmp_path / "home"
    argv = ["submit", "--wait", str(ADD)]
    for p in params:
        argv += ["-p", p]
    proc = wfexec(home, *argv)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {ADD}: ") and message in proc.stderr, proc.stderr
    _assert_nothing_started(home)


def test_lint_passes_the_corpus(tmp_path: Path) -> None:
    files = sorted(str(f) for f in KFP_CORPUS.glob("*/*.yaml"))
    proc = wfexec(tmp_path / "home", "lint", "-o", "simple", *files)
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.strip().endswith("no linting errors found!")


def test_a_struct_parameter_must_be_a_json_object(tmp_path: Path) -> None:
    doc = copy.deepcopy(yaml.safe_load((KFP_CORPUS / "essential" / "dict_input.yaml").read_text()))
    path = tmp_path / "dict.yaml"
    path.write_text(yaml.safe_dump(doc))
    proc = wfexec(tmp_path / "home", "submit", "--wait", str(path), "-p", "struct=[1, 2]")
    assert proc.returncode != 0 and "expected a value of type STRUCT, got '[1, 2]'" in proc.stderr
