"""The control-flow issue's 70 workflows survive export.

All 70 export to strictly valid Workflows whose spec is the one written (nothing local-only to
drop, every container has its command). Running all 70 twice would take about ten minutes on
two cores (parallelism-* and colored-logs alone take minutes), so the run comparison uses a
fixed subset of 18 whose phase is deterministic and that together cover each construct: steps,
DAG, `depends`, withItems/withSequence/withParam loops, aggregation, exit handlers (workflow,
DAG and template level), `when`, continueOn, recursion, scripts, `{{=…}}` expressions,
workflow parameters, containerSet, status variables and pod metadata. Retries are not in it: every
retry example fails at random (`random.choice`), so its phase cannot be compared; they are in
the export check of all 70. Each original and its export run concurrently, as two `wfexec submit
--wait` processes on the host runtime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.engine.test_control_flow_corpus import ARGO_PHASE_OVERRIDES, SEVENTY
from tests.export.support import COUNTS, assert_cluster_ready
from wfexec.export import ExportOptions, export_path
from wfexec.spec.loader import load_file

EX = CORPUS / "argo-examples"
RUN_SUBSET = """
steps dag-diamond dag-enhanced-depends loops loops-sequence parameter-aggregation-dag exit-handlers
exit-handler-dag-level template-on-exit continue-on-fail dag-continue-on-fail recursive-for-loop scripts-python
expression-destructure-json global-parameters container-set-template/outputs-result-workflow status-reference
pod-metadata
""".split()


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


def test_subset_is_in_the_seventy() -> None:
    assert set(RUN_SUBSET) <= set(SEVENTY) and len(set(RUN_SUBSET)) == len(RUN_SUBSET) == 18


def argo_phase(name: str) -> str:
    """The phase Argo's e2e suite expects (the subset has no random outcome)."""
    if name in ARGO_PHASE_OVERRIDES:
        return ARGO_PHASE_OVERRIDES[name]
    return "Failed" if 'no-test: "expected-failure"' in (EX / f"{name}.yaml").read_text() else "Succeeded"


def _submit(path: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "wfexec.cli.main", "submit", str(path), "--wait", "-o", "json",
           "--runtime", "host", "--executor", "emissary"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def _phase(proc: subprocess.Popen[str], label: str) -> str:
    out, err = proc.communicate(timeout=300)
    assert out.strip().startswith("{"), f"{label}: exit {proc.returncode}; stderr: {err[-2000:]}"
    return json.loads(out)["status"]["phase"]


@pytest.mark.parametrize("name", RUN_SUBSET)
def test_exported_runs_to_the_same_phase(name: str, tmp_path: Path) -> None:
    exported = export_to(name, tmp_path)
    original = _submit(EX / f"{name}.yaml")
    again = _submit(exported)
    want, got = _phase(original, f"{name} (original)"), _phase(again, f"{name} (exported)")
    assert got == want, f"{name}: original {want}, exported {got}"
    assert want == argo_phase(name), f"{name}: both ended {want}; Argo gives {argo_phase(name)}"
    COUNTS["control-flow workflows run as written and exported, same phase"] = \
        COUNTS.get("control-flow workflows run as written and exported, same phase", 0) + 1
