"""The control-flow issue's 70 workflows survive export.

All 70 export to strictly valid Workflows whose spec is the one written (nothing local-only to
drop, every container has its command). Each exported document is then run on the host runtime
and must end in the phase the original gets: Argo's phase, as tests/engine/test_control_flow_corpus.py
decides it (including the examples whose outcome is drawn at random, judged from the draw).
The originals themselves run in that file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.engine.test_control_flow_corpus import SEVENTY, expected_phase
from tests.export.support import COUNTS, assert_cluster_ready
from tests.support.runs import run_file
from wfexec.export import ExportOptions, export_path
from wfexec.spec.loader import load_file

EX = CORPUS / "argo-examples"
def export_to(name: str, directory: Path) -> Path:
    result = export_path(str(EX / f"{name}.yaml"), ExportOptions(daemon=False, registry=False))
    out = directory / f"{name.replace('/', '_')}.exported.json"
    out.write_text(json.dumps(result.workflow))
    return out


def test_all_seventy_export_unchanged_and_valid() -> None:
    for name in SEVENTY:
        result = export_path(str(EX / f"{name}.yaml"), ExportOptions(daemon=False, registry=False))
        assert_cluster_ready(result.documents, name)
        [original] = [d.data for d in load_file(EX / f"{name}.yaml") if d.kind == "Workflow"]
        assert result.workflow["spec"] == original["spec"], name
        assert result.workflow["metadata"] == original["metadata"], name
        assert result.missing == [], name
    COUNTS["control-flow workflows exported unchanged and strictly valid"] = len(SEVENTY)


@pytest.mark.parametrize("name", SEVENTY)
def test_exported_runs_to_argos_phase(name: str, tmp_path: Path) -> None:
    exported = export_to(name, tmp_path)
    run = run_file(exported)
    want = expected_phase(EX / f"{name}.yaml", run)
    assert run.phase == want, f"{name} (exported): {run.phase} ({run.message}); Argo gives {want}"
    COUNTS["control-flow workflows exported and run to Argo's phase"] = \
        COUNTS.get("control-flow workflows exported and run to Argo's phase", 0) + 1
