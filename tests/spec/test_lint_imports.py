"""`wfexec lint` of a Workflow loads only what it needs (its speed is measured in bench/whole_command.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = ("import sys, json\nfrom wfexec.cli.main import main\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\nsys.stdout.flush()\n"
         "print(json.dumps(sorted({m.split('.')[0] if not m.startswith('wfexec.') else m for m in sys.modules})),"
         " file=sys.stderr)\n")
NOT_FOR_LINT = {"ruamel", "jsonschema", "rich", "wfexec.kfp"}


def _modules(home: Path, *args: str) -> tuple[set[str], str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, WFEXEC_HOME=str(home)))
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    return {m for m in loaded if m in NOT_FOR_LINT or m.startswith("wfexec.kfp")}, proc.stdout


def test_a_workflow_is_linted_without_ruamel_jsonschema_rich_or_the_kfp_modules(tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text((REPO / "examples" / "hello-world.yaml").read_text().replace("image:", "contianer: 1\n      image:"))
    heavy, out = _modules(tmp_path / "home", "lint", str(wf))
    assert heavy == set()
    assert 'unknown field "contianer"' in out  # the file was checked, schema included


def test_a_kfp_pipeline_is_still_recognised(tmp_path: Path) -> None:
    ir = next((REPO.parent / "shared" / "corpus" / "kfp-v2-pipelines").rglob("*.yaml"))
    heavy, out = _modules(tmp_path / "home", "lint", str(ir))
    assert any(m.startswith("wfexec.kfp") for m in heavy), out
    assert "no linting errors" in out  # linted as a pipeline, not refused as a document without a kind
