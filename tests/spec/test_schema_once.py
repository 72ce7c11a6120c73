"""A document is schema-checked once: the same document again skips the check (its import included);
a changed one, or one with problems, is checked every time. The default check never imports jsonschema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GOOD = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hello]}
"""
PROBE = """
import sys
from wfexec.spec.loader import load_file
from wfexec.spec.schema import validate
issues = validate(load_file(sys.argv[1])[0])
print(len(issues), "wfexec.spec.structural" in sys.modules, "jsonschema" in sys.modules)
"""


def _check(home: Path, wf: Path) -> str:
    env = dict(os.environ, WFEXEC_HOME=str(home))
    return subprocess.run([sys.executable, "-c", PROBE, str(wf)], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_passed_document_skips_the_schema_check_the_second_time(wfexec_home: Path, tmp_path: Path) -> None:
    wf = tmp_path / "wf.yaml"
    wf.write_text(GOOD)
    assert _check(wfexec_home, wf) == "0 True False"
    assert _check(wfexec_home, wf) == "0 False False"
    wf.write_text(GOOD.replace("image: busybox", "image: busybox, contianer: x"))  # changed, and wrong
    assert _check(wfexec_home, wf) == "1 True False"
    assert _check(wfexec_home, wf) == "1 True False"  # problems are never remembered as a pass
