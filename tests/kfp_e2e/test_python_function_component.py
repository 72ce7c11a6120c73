"""A component in the shape `kfp.components.create_component_from_func` emits runs unchanged.

data/word_stats.component.yaml: `sh -ec` writes the inline function source to `mktemp` and
runs `python3 -u "$program_path" "$@"`; KFP's generated argparse reads `--text {inputPath}`,
`--label {inputValue}`, an optional `--min-length`, `--words {outputPath}` and
`----output-paths {outputPath}…` for the function's return values.
"""

from __future__ import annotations

import json

import pytest

from tests.kfp_e2e.artifacts import artifact_bytes
from tests.kfp_e2e.conftest import BACKENDS, DATA, Backend, make_backend
from wfexec.cli.main import main

SPEC = DATA / "word_stats.component.yaml"


@pytest.fixture(params=BACKENDS, ids=lambda b: f"{b[0]}-{b[1]}")
def backend(request: pytest.FixtureRequest) -> Backend:
    return make_backend(request.param, request)


def test_runs_with_run_component(capsys: pytest.CaptureFixture[str], backend: Backend) -> None:
    argv = ["run-component", str(SPEC), *backend.cli(), "-a", "text=the cat saw the dog and a bird",
            "-a", "label=pets", "-a", "min_length=3", "-o", "json"]
    code = main(argv)
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    outs = report["outputs"]
    assert outs["count"]["value"] == "7"
    assert outs["top_word"]["value"] == "the"
    assert json.loads(outs["report"]["value"]) == {"count": 7, "label": "pets", "top": "the"}
    assert "value" not in outs["words"]  # untyped output: a file
    words = artifact_bytes(outs["words"]["artifact"]).decode()
    assert words == "the\ncat\nsaw\nthe\ndog\nand\nbird\n"  # "a" is shorter than min_length


def test_optional_input_left_out_uses_the_function_default(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run-component", str(SPEC), "-a", "text=a bb a", "-a", "label=x", "-o", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["outputs"]["count"]["value"] == "3"
    assert report["outputs"]["top_word"]["value"] == "a"


def test_needs_no_migration(capsys: pytest.CaptureFixture[str]) -> None:
    """It names its command, so the emissary needs nothing from the image: `migrate --check` is clean."""
    assert main(["migrate", "--check", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert "0 of 1 file(s) need migration" in out
