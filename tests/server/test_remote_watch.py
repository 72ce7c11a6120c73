"""`wfexec submit --watch` against a server, piped: each new view as the run changes, as the local `watch`."""

from __future__ import annotations

import re
from pathlib import Path

TWO = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: two-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: nap}
    - - {name: second, template: nap}
  - name: nap
    container: {image: busybox, command: [sleep, '1']}
"""


def test_piped_submit_watch_prints_each_change(server, tmp_path: Path) -> None:
    wf = tmp_path / "two.yaml"
    wf.write_text(TWO)
    r = server.client(tmp_path / "empty", "submit", str(wf), "--watch")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("Name:") and out.endswith("\n") and not out.endswith("\n\n") and "\x1b" not in out
    views = re.split(r"\n\n(?=Name:)", out)
    status = [next(line.split()[1] for line in v.splitlines() if line.startswith("Status:")) for v in views]
    assert len(views) >= 3 and status[-1] == "Succeeded" and "Running" in status, out
    assert all(a != b for a, b in zip(views, views[1:], strict=False))
    assert "second" not in views[0] and "second" in views[-1]
