"""`submit -f FILE` for a KFP v2 pipeline: the file's values are typed by the IR like `-p`'s, and `-p` wins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kfp_v2.helpers import KFP_CORPUS, param, wfexec

ADD = KFP_CORPUS / "critical" / "add_numbers.yaml"


def test_a_parameter_file_feeds_the_pipeline_and_p_wins_over_it(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("a: 3\nb: 4\n")
    proc = wfexec(tmp_path / "home", "submit", "--wait", str(ADD), "-f", str(values), "-p", "b=10", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert param(json.loads(proc.stdout), "add-numbers") == ["13"]


def test_a_wrongly_typed_value_in_the_file_names_the_parameter(tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text('{"a": "three", "b": 4}')
    proc = wfexec(tmp_path / "home", "submit", "--wait", str(ADD), "-f", str(values))
    assert proc.returncode == 1
    assert "parameters.a: expected a value of type NUMBER_INTEGER, got 'three'" in proc.stderr
    assert "Traceback" not in proc.stderr
