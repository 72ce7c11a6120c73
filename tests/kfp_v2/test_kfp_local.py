"""A few corpus pipelines under wfexec (host runtime) and under kfp.local, in the same run.

kfp.local (kfp 2.17.3, `SubprocessRunner(use_venv=False)`) lives in `.venv-kfplocal`, which `make test`
builds. Each pipeline runs from its `.py` under kfp.local and from its compiled `.yaml` under wfexec;
both must succeed, and every output parameter of a task both ran must agree. The whole corpus is
compared by `scripts/kfp_v2_compare.py` (table in docs/kfp-v2.md).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_compare():
    spec = importlib.util.spec_from_file_location("kfp_v2_compare", REPO / "scripts" / "kfp_v2_compare.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


compare_mod = _load_compare()

# Chosen to be quick (kfp.local takes ~0.6 s a task, several on a busy machine) and to cover a single
# component, several outputs (named tuple, artifact) and a ParallelFor. kfp.local's
# SubprocessRunner refuses container components, so pipelines with them are only in the full table;
# so are those whose outputs are random (flip_coin, parameter_oneof).
PIPELINES = ["critical/add_numbers.yaml", "essential/lightweight_python_functions_with_outputs.yaml",
             "essential/pipeline_with_params_containing_format.yaml"]


@pytest.fixture(scope="module")
def shared_pyenvs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pyenvs")


@pytest.mark.parametrize("name", PIPELINES)
def test_wfexec_and_kfp_local_agree(name: str, tmp_path: Path, shared_pyenvs: Path,
                                    monkeypatch: pytest.MonkeyPatch):
    assert os.access(compare_mod.KFP_PYTHON, os.X_OK), "kfp.local's venv is missing: make kfplocal-venv"
    path = compare_mod.CORPUS / name
    [(yaml_path, source, pipeline)] = [p for p in compare_mod.corpus_pairs() if p[0] == path]
    monkeypatch.setenv("WFEXEC_PYENV_DIR", str(shared_pyenvs))  # read by the wfexec it starts
    monkeypatch.setenv("WFEXEC_PYENV_IDLE", "20")
    try:
        row = compare_mod.compare(yaml_path, source, pipeline, tmp_path)
    finally:
        for sock in shared_pyenvs.glob("*/warm.sock"):
            sock.unlink()
    assert row.wfexec.status == "Succeeded", row.wfexec.error
    assert row.kfp_local.status == "Succeeded", row.kfp_local.error
    assert row.compared > 0, (row.wfexec.tasks, row.kfp_local.tasks)
    assert not row.differences, row.differences
